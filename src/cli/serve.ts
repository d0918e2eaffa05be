// `whohad serve`: the API and the collector in one process (or either alone), on embedded defaults
// when nothing is configured. Bound to loopback it may run without API keys; bound anywhere else it
// refuses to start without them.
import { parseArgs } from 'node:util'
import { buildApp } from '../api/app.ts'
import { type Drainable, drainable } from '../api/drain.ts'
import { openCache, reliableInvalidation } from '../cache/open.ts'
import { startCollector } from '../collector/collector.ts'
import { wireCollector } from '../collector/wiring.ts'
import { type DestinationStream, pino } from 'pino'
import { type AuditDestination, ConfigError, loadConfig } from '../config.ts'
import { openStore } from '../store/open.ts'
import { onStopSignal, STOP_GRACE_MS } from './stop-signal.ts'

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost'])

const HELP = `usage: whohad serve [--api-only | --collector-only]

  --api-only         serve the API and the page; no collector in this process
  --collector-only   poll every account and region into the store; no API
  -h, --help         this help

Listens on $WHOHAD_HOST:$WHOHAD_PORT (default 127.0.0.1:8080); with nothing configured, the store is
embedded under ./data. Configuration is read from the environment: see the README, Configuration. A bad
value stops whohad before it serves. Ctrl-C (SIGINT) or SIGTERM stops it gracefully: no new connections,
requests and polls in flight finish (for ${STOP_GRACE_MS / 1000} s at most), leases are handed back; a second
signal stops it at once.
`

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { 'api-only': { type: 'boolean' }, 'collector-only': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } })
  if (values.help) {
    process.stdout.write(HELP)
    return 0
  }
  if (values['api-only'] && values['collector-only']) throw new ConfigError('--api-only and --collector-only exclude each other; give one, or neither for both')
  // Every setting is checked before anything starts: a bad one found after the API is listening would
  // leave a server running that was told to do something else.
  const config = loadConfig()
  const settings = config.collector
  const { host, port, apiKeys, signingKeys, audit, logLevel, rateLimitPerMinute: rateLimit, maxCidrAddresses: maxCidr } = config.serve
  if (!values['collector-only'] && !LOOPBACK.has(host) && apiKeys.length === 0 && signingKeys.length === 0) {
    throw new ConfigError(`refusing to serve on ${host} without API keys: set WHOHAD_API_KEYS (name:lookup:sha256-of-key) or WHOHAD_SIGNING_KEYS_FILE, or bind to 127.0.0.1`)
  }
  const store = await openStore(config.store)
  process.stdout.write(`whohad: store ready: ${store.location} (${store.table === 'created' ? 'table created' : 'table found'})\n`)
  const log = (m: string) => process.stderr.write(`whohad: ${m}\n`)
  for (const notice of store.notices) log(notice)
  // Without Redis, an API process alone cannot hear another process's collector: it keeps answers
  // no longer than the staleness bound.
  const cache = openCache(config.cache, log)
  if (!config.cache.redisUrl && values['api-only']) log(`no REDIS_URL: answers are cached at most ${config.cache.staleMs} ms, since no collector can reach this process`)
  let app: Awaited<ReturnType<typeof buildApp>> | undefined
  let drain: Drainable | undefined
  let session: ReturnType<typeof wireCollector>['session'] | undefined
  let collector: Awaited<ReturnType<typeof startCollector>> | undefined
  let invalidation: ReturnType<typeof reliableInvalidation> | undefined
  // Whatever stops this process (a signal, a port in use, a failure) closes what was opened: an open
  // store or cache connection would keep it running without serving. A signal while starting stops
  // whohad once it has started, in order.
  const stop = onStopSignal({ log })
  try {
    if (!values['collector-only']) {
      const auditLog = audit.destination === 'off' ? undefined : { stream: auditDestination(audit.destination), level: audit.level }
      app = await buildApp({ store, apiKeys, signingKeys, ...(auditLog ? { auditLog } : {}), logger: { level: logLevel }, cache, staleMs: config.cache.staleMs, maxGapMs: settings.maxGapMs, rateLimitPerMinute: rateLimit, maxCidrAddresses: maxCidr, membershipFilter: config.serve.membershipFilter, ...(!config.cache.redisUrl && values['api-only'] ? { settledMs: config.cache.staleMs } : {}) })
      drain = drainable(app.fastify.server)
      const address = await listen(app, host, port)
      process.stdout.write(`whohad: API and page at ${address}${apiKeys.length || signingKeys.length ? ` (${apiKeys.length} API keys${signingKeys.length ? `, ${signingKeys.length} signing keys` : ''})` : ' (open: loopback, no keys)'}; cache: ${config.cache.redisUrl ? 'redis' : 'in-process'}\n`)
    }
    invalidation = reliableInvalidation(cache, { log })
    if (!values['api-only']) {
      await store.members.ensureComplete(log)
      const wiring = wireCollector(store, settings, { log, leases: true, onChanged: invalidation.invalidate, ...(app ? { onResult: app.metrics.pollResult } : {}) })
      session = wiring.session
      try {
        collector = await startCollector(wiring.deps, wiring.options)
        log(`collector polling ${collector.targets().length} targets`)
      } catch (err) {
        log(`collector not started: ${(err as Error).message} (configure AWS access: see the README, Configuration; the API keeps serving what is stored)`)
      }
    }
    process.stdout.write('whohad: press Ctrl-C to stop\n')
    await stop.received
  } finally {
    // The API and the collector wind down side by side, each within the grace time; the cache and the
    // store they use close after both.
    await Promise.all([
      drain?.drain(STOP_GRACE_MS).then(({ forced }) => forced > 0 && log(`${forced} connections still busy after ${STOP_GRACE_MS} ms were closed`)),
      collector?.stop({ graceMs: STOP_GRACE_MS }),
    ])
    session?.destroy()
    invalidation?.stop()
    await app?.fastify.close()
    await cache.close()
    await store.close()
    stop.dispose()
  }
  process.stdout.write('whohad: stopped\n')
  return 0
}

/** Listens, or says in words why it cannot (the address or port as the operator configured them). */
export async function listen(app: { fastify: { listen(o: { host: string; port: number }): Promise<string> } }, host: string, port: number, portSetting = 'WHOHAD_PORT'): Promise<string> {
  try {
    return await app.fastify.listen({ host, port })
  } catch (err) {
    const code = (err as { code?: string }).code
    if (code === 'EADDRINUSE') throw new Error(`port ${port} on ${host} is already in use: stop what listens there, or choose another port with ${portSetting}`, { cause: err })
    if (code === 'EACCES') throw new Error(`port ${port} on ${host} needs privileges this process lacks: choose a port above 1023 with ${portSetting}`, { cause: err })
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') throw new Error(`${host} is not an address of this machine: set WHOHAD_HOST to one (127.0.0.1, or 0.0.0.0 for every interface)`, { cause: err })
    throw err
  }
}

/** The audit log's stream: standard output, or a file appended to (its directory made if missing). */
function auditDestination(destination: Exclude<AuditDestination, 'off'>): DestinationStream {
  return destination === 'stdout' ? pino.destination(1) : pino.destination({ dest: destination.file, append: true, mkdir: true })
}
