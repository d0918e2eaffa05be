// `whohad lookup <ip> --at <time>`: the abuse desk's question from a terminal. Asks a running server
// (--url or WHOHAD_URL, with --key or WHOHAD_API_KEY) or, with neither, reads the store directly.
import { parseArgs } from 'node:util'
import { Answers, type Rendered } from '../api/answers.ts'
import type { Coverage } from '../api/coverage.ts'
import { holdingFields } from '../api/holding-fields.ts'
import { incidentNote, permalinkFor } from '../api/note.ts'
import { VERSION } from '../api/version.ts'
import type { VerdictBlock } from '../api/verdict.ts'
import { LocalCache } from '../cache/local.ts'
import { type Config, loadConfig } from '../config.ts'
import { InvalidIpError, parseIp } from '../model/ip.ts'
import { InvalidDurationError, InvalidTimeError, parseDuration, parseTime } from '../model/time.ts'
import { openStore } from '../store/open.ts'

const HELP = `usage: whohad lookup <ip> --at <time> [--window 5m] [--vpc vpc-…] [--account 123456789012] [--format text|json|markdown]
                     [--url http://whohad:8080 --key <api key>]

  --at       when: ISO-8601 with an offset ("2026-11-20 10:00 +0100", 2026-11-20T09:00:00Z),
             epoch seconds/milliseconds, or now
  --window   also holders within this long either side of --at (5m, 90s, 2h; at most 7d)
  --format   text (default): the verdict, then the holdings nearest the time first;
             json: the answer as the API returns it (--json is the same);
             markdown: the incident note, as the page's "Copy incident note" gives it
  --url      ask this server (default: $WHOHAD_URL; unset: read the store directly)
  --key      API key for --url (default: $WHOHAD_API_KEY)

Exit status: 0 someone held (or may have held) it at the time, 4 nobody did or it is unknown (check the
coverage line), 2 bad input, 1 error.
`

interface Answer {
  ip: string
  at: string
  window: number
  verdict: VerdictBlock
  holdings: Rendered[]
  coverage: Coverage
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      at: { type: 'string' },
      window: { type: 'string' },
      vpc: { type: 'string' },
      account: { type: 'string' },
      json: { type: 'boolean' },
      format: { type: 'string' },
      url: { type: 'string' },
      key: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (values.help) {
    process.stdout.write(HELP)
    return 0
  }
  // The environment is checked first, whether or not the store is read: a bad setting stops every command.
  const config = loadConfig()
  const usage = (message: string) => {
    process.stderr.write(`whohad lookup: ${message}\n\n${HELP}`)
    return 2
  }
  if (positionals.length !== 1) return usage('give exactly one IP address')
  if (!values.at) return usage('--at is required')
  const format = values.json ? 'json' : (values.format ?? 'text')
  if (format !== 'text' && format !== 'json' && format !== 'markdown') return usage(`--format is text, json or markdown, not ${JSON.stringify(format)}`)
  let ip: string, at: number, windowMs: number
  try {
    ip = parseIp(positionals[0]!).text
    at = parseTime(values.at)
    windowMs = values.window ? parseDuration(values.window, 7 * 86_400_000) : 0
  } catch (err) {
    if (err instanceof InvalidIpError || err instanceof InvalidTimeError || err instanceof InvalidDurationError) return usage(err.message)
    throw err
  }
  const url = values.url ?? config.lookup.url
  const answer = url
    ? await askServer(url, values.key ?? config.lookup.apiKey, { ip, at, windowMs, vpc: values.vpc, account: values.account })
    : await askStore(config, { ip, at, windowMs, vpc: values.vpc, account: values.account })
  if (format === 'json') process.stdout.write(`${JSON.stringify(answer, null, 2)}\n`)
  else if (format === 'markdown') process.stdout.write(incidentNote(answer, { permalink: url ? permalinkFor(url, answer) : undefined, version: VERSION }))
  else process.stdout.write(formatAnswer(answer))
  return answer.verdict.state === 'held' || answer.verdict.state === 'possible' ? 0 : 4
}

async function askServer(base: string, key: string | undefined, q: { ip: string; at: number; windowMs: number; vpc?: string | undefined; account?: string | undefined }): Promise<Answer> {
  const params = new URLSearchParams({ at: String(q.at) })
  if (q.windowMs) params.set('window', `${q.windowMs}ms`)
  if (q.vpc) params.set('vpc', q.vpc)
  if (q.account) params.set('account', q.account)
  let url: URL
  try {
    url = new URL(`/v1/ips/${encodeURIComponent(q.ip)}?${params}`, base)
  } catch (err) {
    throw new Error(`--url ${JSON.stringify(base)} is not a URL like http://whohad:8080`, { cause: err })
  }
  let res: Response
  try {
    res = await fetch(url, { headers: key ? { authorization: `Bearer ${key}` } : {} })
  } catch (err) {
    throw new Error(`could not reach ${base}: ${unreachable(err)}`, { cause: err })
  }
  const text = await res.text()
  let body: Answer & { detail?: string; title?: string }
  try {
    body = JSON.parse(text) as typeof body
  } catch (err) {
    throw new Error(`${base} answered ${res.status} ${res.statusText} with ${res.headers.get('content-type') ?? 'no content type'}, not whohad's JSON: is it a whohad server?`, { cause: err })
  }
  if (!res.ok) throw new Error(`${base} answered ${res.status} ${body.title ?? ''}: ${body.detail ?? ''}`)
  return body
}

/** Why fetch failed, in words: it says only "fetch failed" and keeps the reason in its cause. */
export function unreachable(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string; errors?: { code?: string }[] } }).cause
  const code = cause?.code ?? cause?.errors?.find((e) => e.code)?.code
  const reasons: Record<string, string> = {
    ECONNREFUSED: 'nothing is listening there (connection refused): is whohad serve running, on that port?',
    ENOTFOUND: 'the host name does not resolve',
    EAI_AGAIN: 'the host name could not be resolved (DNS did not answer)',
    ETIMEDOUT: 'the connection timed out',
    UND_ERR_CONNECT_TIMEOUT: 'the connection timed out',
    ECONNRESET: 'the connection was reset',
    EHOSTUNREACH: 'the host is unreachable',
    ENETUNREACH: 'the network is unreachable',
  }
  if (code && reasons[code]) return `${reasons[code]} [${code}]`
  // The fetch standard blocks some ports outright (6000 for X11, 6665-6669 for IRC, …).
  if (cause?.message === 'bad port') return 'fetch refuses to connect to that port (the fetch standard blocks it); serve whohad on another'
  return cause?.message ?? (err instanceof Error ? err.message : String(err))
}

async function askStore(config: Config, q: { ip: string; at: number; windowMs: number; vpc?: string | undefined; account?: string | undefined }): Promise<Answer> {
  const { maxGapMs } = config.collector
  const store = await openStore(config.store)
  try {
    const answers = new Answers({
      store: store.holdings,
      cache: new LocalCache(),
      targetStates: () => store.targets.list(),
      maxGapMs,
      staleMs: 0,
      settledMs: 0,
    })
    const [text] = await answers.points([q])
    return JSON.parse(text!) as Answer
  } finally {
    await store.close()
  }
}

/**
 * The verdict first, then the window's holdings nearest the time first, each as labelled fields (the
 * same fields as the incident note), then coverage.
 */
export function formatAnswer(a: Answer): string {
  const lines: string[] = [a.verdict.text, `coverage: ${a.coverage.state}: ${a.coverage.detail}`]
  if (a.coverage.config && a.coverage.config.state !== 'available') lines.push(`config: ${a.coverage.config.state}: ${a.coverage.config.detail}`)
  const at = Date.parse(a.at)
  if (a.holdings.length > 0) {
    lines.push('', a.window ? `Holdings within ${a.window} s of the time, nearest first:` : 'Holdings at the time:')
    const width = Math.max(...a.holdings.flatMap((h) => holdingFields(h, at).map((f) => f.label.length)))
    for (const h of a.holdings) {
      lines.push('')
      for (const f of holdingFields(h, at)) lines.push(`  ${f.label.padEnd(width)}  ${f.value}`)
    }
  }
  return `${lines.join('\n')}\n`
}
