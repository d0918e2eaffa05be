// What `whohad collect --once` prints: a progress bar over targets while it works (on stderr, so
// stdout stays a clean table) and a summary table when it is done.
import { SingleBar } from 'cli-progress'
import type { PollResult } from '../model/poll-result.ts'

export interface Progress {
  tick(result: PollResult): void
  stop(): void
}

export function progressBar(total: number, stream: NodeJS.WriteStream = process.stderr): Progress {
  const bar = new SingleBar({
    format: 'polling [{bar}] {value}/{total} targets | {ok} ok, {failed} failed | {eta_formatted} left',
    stream,
    // Without a terminal (CI, a pipe) print a line now and then instead of redrawing.
    noTTYOutput: !stream.isTTY,
    notTTYSchedule: 5_000,
    hideCursor: true,
  })
  let ok = 0
  let failed = 0
  bar.start(total, 0, { ok, failed })
  return {
    tick(result) {
      if (result.complete) ok++
      else failed++
      bar.increment(1, { ok, failed })
    },
    stop: () => bar.stop(),
  }
}

export function summaryTable(results: readonly PollResult[], wallMs: number): string {
  const ok = results.filter((r) => r.complete)
  const failed = results.filter((r) => !r.complete)
  const sum = (f: (r: PollResult) => number) => results.reduce((n, r) => n + f(r), 0)
  const rows: [string, string][] = [
    ['targets', String(results.length)],
    ['  complete', String(ok.length)],
    ['  failed', String(failed.length)],
    ['holdings seen', String(sum((r) => r.observations))],
    ['opened', String(sum((r) => r.opened))],
    ['closed', String(sum((r) => r.closed))],
    ['refined', String(sum((r) => r.refined))],
    ['duration', `${(wallMs / 1000).toFixed(1)} s`],
  ]
  const width = Math.max(...rows.map(([k]) => k.length))
  const lines = rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`)
  if (failed.length > 0) {
    lines.push('', 'failed targets (their holdings stay open until a complete poll proves otherwise):')
    for (const r of failed) lines.push(`  ${r.target.accountId} ${r.target.region}: ${r.error ?? 'incomplete'}`)
  }
  return lines.join('\n') + '\n'
}
