// `whohad lookup <ip> --at <time>`: the abuse desk's question from a terminal. Asks a running server
// (--url or WHOHAD_URL, with --key or WHOHAD_API_KEY) or, with neither, reads the store directly.
import { parseArgs } from 'node:util'
import { Answers, type Rendered } from '../api/answers.ts'
import type { Coverage } from '../api/coverage.ts'
import { LocalCache } from '../cache/local.ts'
import { type Config, loadConfig } from '../config.ts'
import { RESOURCE_WORDS } from '../model/eni-class.ts'
import type { Holder } from '../model/holding.ts'
import { InvalidIpError, parseIp } from '../model/ip.ts'
import { formatTime, InvalidDurationError, InvalidTimeError, parseDuration, parseTime } from '../model/time.ts'
import { openStore } from '../store/open.ts'

const HELP = `usage: whohad lookup <ip> --at <time> [--window 5m] [--vpc vpc-…] [--account 123456789012] [--json]
                     [--url http://whohad:8080 --key <api key>]

  --at       when: ISO-8601 with an offset ("2026-11-20 10:00 +0100", 2026-11-20T09:00:00Z),
             epoch seconds/milliseconds, or now
  --window   also holders within this long either side of --at (5m, 90s, 2h; at most 7d)
  --json     print the answer as JSON, as the API returns it
  --url      ask this server (default: $WHOHAD_URL; unset: read the store directly)
  --key      API key for --url (default: $WHOHAD_API_KEY)

Exit status: 0 someone held it, 4 nobody did (check the coverage line), 2 bad input, 1 error.
`

interface Answer {
  ip: string
  at: string
  window: number
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
  process.stdout.write(values.json ? `${JSON.stringify(answer, null, 2)}\n` : formatAnswer(answer))
  return answer.holdings.length > 0 ? 0 : 4
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
 * What held it, as the analyst will look it up: "i-0b2 (web-prod-3)", "NAT gateway nat-0a8…",
 * "application load balancer web (app/web/5bd1…)". Holdings stored before holders had a resource
 * fall back to the instance, the name, or the kind.
 */
export function holderWords(holder: Holder): string {
  const r = holder.resource
  if (!r) {
    if (holder.instanceId) return holder.name ? `${holder.instanceId} (${holder.name})` : holder.instanceId
    return holder.name ?? `${holder.kind} ${holder.eniId}`
  }
  if (r.type === 'instance') {
    const id = r.id ?? holder.instanceId ?? `instance ENI ${holder.eniId}`
    const name = r.name ?? holder.name
    return name ? `${id} (${name})` : id
  }
  if (r.type === 'network-interface') return `${holder.kind === 'requester-managed' ? 'AWS-managed network interface' : 'network interface'} ${r.id ?? holder.eniId}`
  const words = RESOURCE_WORDS[r.type] ?? r.type
  if (r.name && r.id && r.name !== r.id) return `${words} ${r.name} (${r.id})`
  const called = r.name ?? r.id
  return called ? `${words} ${called}` : `${words} ENI ${holder.eniId}`
}

/** The answer in words first, then a table; what an analyst pastes into a ticket. */
export function formatAnswer(a: Answer): string {
  const lines: string[] = []
  const when = a.window ? `${a.at} ± ${a.window} s` : a.at
  if (a.holdings.length === 0) {
    lines.push(
      a.coverage.state === 'complete'
        ? `None of our resources held ${a.ip} at ${when}.`
        : `No holder of ${a.ip} at ${when} is recorded, but whohad was not watching everything then: ${a.coverage.detail}.`,
    )
  } else {
    for (const h of a.holdings) {
      const who = holderWords(h.holder)
      const span = `from ${formatTime(h.start.after)} to ${'end' in h && h.end ? formatTime(h.end.by) : 'now'}`
      lines.push(`${h.certainty === 'certain' ? 'HELD' : 'maybe'}: ${who}, account ${h.holder.accountId}, ${h.holder.region}, held ${a.ip} ${span}`)
    }
    if (a.coverage.state !== 'complete') lines.push(`caveat: ${a.coverage.detail}`)
  }
  lines.push('')
  const header = ['CERTAINTY', 'HOLDER', 'ENI', 'NAME', 'ACCOUNT', 'REGION', 'VPC', 'STARTED (after … by)', 'ENDED (after … by)']
  const rows = a.holdings.map((h) => [
    h.certainty,
    h.holder.resource ? [h.holder.resource.type, h.holder.resource.id].filter(Boolean).join(' ') : (h.holder.instanceId ?? h.holder.kind),
    h.holder.eniId,
    h.holder.resource?.name ?? h.holder.name ?? '',
    h.holder.accountId,
    h.holder.region,
    h.holder.vpcId ?? '',
    `${formatTime(h.start.after)} … ${formatTime(h.start.by)}`,
    'end' in h && h.end ? `${formatTime(h.end.after)} … ${formatTime(h.end.by)}` : `open, proven until ${formatTime('provenUntil' in h ? h.provenUntil : h.start.by)}`,
  ])
  if (rows.length > 0) {
    const widths = header.map((_, i) => Math.max(header[i]!.length, ...rows.map((r) => r[i]!.length)))
    for (const r of [header, ...rows]) lines.push(r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd())
    lines.push('')
  }
  lines.push(`coverage: ${a.coverage.state}: ${a.coverage.detail}`)
  if (a.coverage.config && a.coverage.config.state !== 'available') lines.push(`config: ${a.coverage.config.state}: ${a.coverage.config.detail}`)
  return `${lines.join('\n')}\n`
}
