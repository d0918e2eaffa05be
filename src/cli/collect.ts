// `whohad collect`: poll every account and region of the Organization into the store, continuously
// (sharing targets with other collector processes through leases) or once (`--once`, with a progress
// bar and a summary; exit status 3 when some target could not be polled completely).
import { parseArgs } from 'node:util'
import { collectOnce, disagreementLine, startCollector } from '../collector/collector.ts'
import { progressBar, summaryTable } from '../collector/report.ts'
import { wireCollector } from '../collector/wiring.ts'
import { openCache, reliableInvalidation } from '../cache/open.ts'
import { loadConfig } from '../config.ts'
import { openStore } from '../store/open.ts'
import { onStopSignal, STOP_GRACE_MS } from './stop-signal.ts'

const HELP = `usage: whohad collect [--once] [--json]

  --once   poll every target once, show progress, print a summary, exit
           (exit 0: all complete; 3: some targets failed; 1: could not start)
  --json   with --once, print the summary as JSON

Configuration is read from the environment: see the README, Configuration.
`

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { once: { type: 'boolean' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } })
  if (values.help) {
    process.stdout.write(HELP)
    return 0
  }
  const config = loadConfig()
  const settings = config.collector
  const store = await openStore(config.store)
  const log = (m: string) => process.stderr.write(`whohad collect: ${m}\n`)
  for (const notice of store.notices) log(notice)
  try {
    await store.members.ensureComplete(log)
    if (values.once) {
      const { deps, options, session } = wireCollector(store, settings, { log })
      try {
        const { targets, failures } = await deps.discover()
        for (const f of failures) log(`discovery: ${f.accountId}${f.region ? ` ${f.region}` : ''}: ${f.error}`)
        const began = Date.now()
        const bar = values.json ? undefined : progressBar(targets.length)
        const results = await collectOnce(deps, options, targets, (r) => bar?.tick(r))
        bar?.stop()
        for (const r of results) if (r.disagreements) log(disagreementLine(`${r.target.accountId}/${r.target.region}`, r.disagreements))
        const wallMs = Date.now() - began
        if (values.json) {
          process.stdout.write(`${JSON.stringify({ wallMs, discoveryFailures: failures, results: results.map(({ state: _state, ...r }) => r) }, null, 2)}\n`)
        } else {
          process.stdout.write(summaryTable(results, wallMs))
        }
        return results.every((r) => r.complete) && failures.length === 0 ? 0 : 3
      } finally {
        session.destroy()
      }
    }
    // With Redis, every API process hears of what this collector wrote (see the README's cache section).
    const cache = config.cache.redisUrl ? openCache(config.cache, log) : undefined
    const invalidation = cache ? reliableInvalidation(cache, { log }) : undefined
    const { deps, options, session } = wireCollector(store, settings, {
      log,
      leases: true,
      ...(invalidation ? { onChanged: invalidation.invalidate } : {}),
      onResult: (r) => {
        if (!r.complete) log(`${r.target.accountId} ${r.target.region}: ${r.error}`)
        else if (r.opened + r.closed + r.refined > 0) log(`${r.target.accountId} ${r.target.region}: +${r.opened} -${r.closed} ~${r.refined}`)
      },
    })
    // A collector that cannot start (no AWS access) must not leave a Redis connection holding the
    // process open.
    const stop = onStopSignal({ log })
    try {
      const collector = await startCollector(deps, options)
      log(`polling ${collector.targets().length} targets every ${options.intervalMs / 1000} s; ${store.location}`)
      await stop.received
      log('stopping: finishing polls in flight, handing leases back')
      await collector.stop({ graceMs: STOP_GRACE_MS })
    } finally {
      stop.dispose()
      session.destroy()
      invalidation?.stop()
      await cache?.close()
    }
    return 0
  } finally {
    await store.close()
  }
}
