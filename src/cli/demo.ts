// `whohad demo` (`npm run demo`): whohad in a minute, with no AWS, Docker or Redis. A simulated
// organisation churns in real time; the collector polls it through the real AWS SDK into a fresh embedded
// store; the API and page serve it. An hour of history is played first (polled every simulated minute),
// so that there is something to ask about; then everything runs live until Ctrl-C.
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { buildApp } from '../api/app.ts'
import { LocalCache } from '../cache/local.ts'
import { collectOnce, startCollector } from '../collector/collector.ts'
import { wireCollector } from '../collector/wiring.ts'
import { ConfigError, loadConfig } from '../config.ts'
import { startFakeAws } from '../fakeaws/fake.ts'
import { parseDuration } from '../model/time.ts'
import { listen } from './serve.ts'
import { type Story, storiesOf } from './stories.ts'
import { coarseSpells, watchOfHolding } from '../api/coverage.ts'
import { unwatched } from '../model/holding.ts'
import type { StoredHolding } from '../model/stored-holding.ts'
import { openStore, type Store } from '../store/open.ts'

/**
 * The demo's signing key, printed at start so that an AWS SDK or the AWS CLI can read /ec2/ with it. Fixed
 * rather than made per run: the README shows the very lines the demo prints, and the key guards nothing —
 * the demo listens on 127.0.0.1 only, serves a simulated organisation, and deletes it all on exit. It is
 * verified as any signing key is (a wrong secret is refused), so the demo shows what production does; never
 * configure it on a real server. Requests without credentials stay open, as the page needs no key.
 */
export const DEMO_KEY = { name: 'demo', scopes: ['lookup'], accessKeyId: 'WHOHADDEMOKEY0000001', secret: 'whohad-demo-secret-for-this-demo-only' } as const

const HELP = `usage: whohad demo [--port 8080] [--history 60] [--interval 10s]

  --port       API port (default: $WHOHAD_PORT or 8080; 0 picks a free one)
  --history    minutes of history to play before going live (default 60)
  --interval   live poll interval (default 10s)

Starts a simulated AWS organisation, the collector and the API on 127.0.0.1 with a throwaway store.
Prints a demo key with which AWS SDKs and the AWS CLI read EC2's API at /ec2/ (this demo only).
Ctrl-C stops everything and deletes the store.
`

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { port: { type: 'string' }, history: { type: 'string', default: '60' }, interval: { type: 'string', default: '10s' }, help: { type: 'boolean', short: 'h' } } })
  if (values.help) {
    process.stdout.write(HELP)
    return 0
  }
  // Everything is checked before anything starts, the environment too: a bad value found later would
  // stop a demo that had already started a server and written a store.
  const environment = loadConfig()
  const port = values.port === undefined ? environment.serve.port : Number(values.port)
  const historyMinutes = Number(values.history)
  if (!/^\d+$/.test(values.port ?? '0') || port > 65535) throw new ConfigError(`--port must be a port number 0-65535, not ${JSON.stringify(values.port)}`)
  if (!/^\d+$/.test(values.history) || historyMinutes > 24 * 60) throw new ConfigError(`--history must be 0-1440 minutes, not ${JSON.stringify(values.history)}`)
  try {
    parseDuration(values.interval)
  } catch (err) {
    throw new ConfigError(`--interval: ${(err as Error).message}`, { cause: err })
  }
  const out = (line: string) => process.stdout.write(`${line}\n`)
  const log = (m: string) => process.stderr.write(`whohad demo: ${m}\n`)

  // The simulated world starts `history` minutes ago and follows the wall clock; playing the history
  // moves it forward in one-minute steps until it is back at (about) the present.
  const fake = await startFakeAws({ seed: 42, accounts: 3, regions: 2, enisPerRegion: 24, churn: 240, clock: 'realtime', startTime: Date.now() - historyMinutes * 60_000, throttling: 'off' })
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'whohad-demo-'))
  let store: Store | undefined
  let app: Awaited<ReturnType<typeof buildApp>> | undefined
  let wiring: ReturnType<typeof wireCollector> | undefined
  let collector: Awaited<ReturnType<typeof startCollector>> | undefined
  // However the demo ends (Ctrl-C, a port in use, a failure), it stops what it started and deletes its
  // store: nothing of it outlives the process.
  try {
    const config = loadConfig({ ...process.env, WHOHAD_STORE: 'embedded', WHOHAD_DATA_DIR: dataDir, WHOHAD_DYNAMODB_ENDPOINT: '' })
    store = await openStore(config.store)
    // The collector polls the simulated organisation only, whatever the environment says about AWS.
    const demoCollector = loadConfig({ WHOHAD_AWS_ENDPOINT: fake.endpoint, WHOHAD_POLL_INTERVAL: values.interval, WHOHAD_CONFIG_EVERY: '5m', WHOHAD_CONFIG_HORIZON_DAYS: '1' }).collector
    const settings = { ...demoCollector, homeRegion: fake.regions[0]! }
    const cache = new LocalCache()
    const now = () => fake.clock.now()
    // Listening before the history is played: a port in use is reported in seconds, not after it.
    app = await buildApp({ store, cache, maxGapMs: settings.maxGapMs, signingKeys: [{ ...DEMO_KEY, scopes: [...DEMO_KEY.scopes] }], admitAnonymous: true })
    const url = await listen(app, '127.0.0.1', port, '--port or WHOHAD_PORT')
    // The simulated organisation does not throttle (it is a demo); whohad's own buckets, set for AWS's
    // limits, would only make playing the history slow.
    const unlimited = { ratePerSecond: 1e6, burst: 1e6 }
    wiring = wireCollector(store, settings, { credentials: fake.managementCredentials, now, log, onChanged: (a) => cache.invalidate(a), rateLimits: { ec2: unlimited, config: unlimited } })

    out(`whohad demo: simulated organisation ${fake.activeAccountIds.length} accounts × ${fake.regions.length} regions at ${fake.endpoint}`)
    const { targets } = await wiring.deps.discover()
    for (let minute = 0; minute < historyMinutes; minute++) {
      await collectOnce(wiring.deps, wiring.options, targets)
      fake.clock.advance(60_000)
      if (minute % 10 === 9) out(`  played ${minute + 1} of ${historyMinutes} minutes of history`)
    }
    for (const target of targets) await wiring.deps.configPass?.(target, () => true)
    collector = await startCollector(wiring.deps, wiring.options)

    const picks = await interesting(store)
    out('')
    out(`whohad is answering at ${url}  (API: ${url}/docs)`)
    out('')
    out('Addresses with a story (times are shown in UTC):')
    for (const p of picks) out(`  ${p.ip.padEnd(16)} ${p.why}: ${url}/?ip=${encodeURIComponent(p.ip)}&at=${encodeURIComponent(new Date(p.at).toISOString())}`)
    out('')
    for (const line of sdkLines(`${url}/ec2/`, settings.homeRegion)) out(line)
    out('')
    out('Press Ctrl-C to stop.')

    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve)
      process.once('SIGTERM', resolve)
    })
    out('whohad demo: stopping')
  } finally {
    await collector?.stop()
    await app?.fastify.close()
    wiring?.session.destroy()
    await store?.close()
    await fake.close()
    rmSync(dataDir, { recursive: true, force: true })
  }
  out('whohad demo: stopped')
  return 0
}

/** The stories of what was collected (cli/stories.ts), each told at a time its holder is the certain verdict. */
async function interesting(store: Store): Promise<Story[]> {
  const [holdings, states] = await Promise.all([store.holdings.everyHolding(), store.targets.list()])
  const byTarget = new Map(states.map((s) => [`${s.accountId}/${s.region}`, s]))
  const stateOf = (h: StoredHolding) => byTarget.get(`${h.holder.accountId}/${h.holder.region}`)
  return storiesOf({
    holdings,
    watchOf: (h) => watchOfHolding(h, stateOf(h)),
    everyWatched: (at) => states.every((s) => [...unwatched(s), ...coarseSpells(s)].every((g) => !(g.from < at && at < g.to)) && s.lastCompletePoll !== undefined && at <= s.lastCompletePoll),
  })
}

/**
 * How to point an SDK or the AWS CLI at /ec2/ with the demo key, as lines to paste into a shell. The CLI
 * gets --endpoint-url: Debian's (2.9) predates the per-service endpoint variable that SDKs read.
 */
export function sdkLines(endpoint: string, region: string): string[] {
  return [
    `EC2's API from what was collected, for AWS SDKs and the AWS CLI (the demo key works on this demo only):`,
    `  export AWS_ENDPOINT_URL_EC2=${endpoint} AWS_ACCESS_KEY_ID=${DEMO_KEY.accessKeyId} AWS_SECRET_ACCESS_KEY=${DEMO_KEY.secret} AWS_REGION=${region}`,
    `  aws ec2 describe-instances --endpoint-url ${endpoint} --region ${region}`,
  ]
}
