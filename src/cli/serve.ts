// `whohad serve`: the API and the collector in one process (or either alone), on embedded defaults
// when nothing is configured. Bound to loopback it may run without API keys; bound anywhere else it
// refuses to start without them.
import { parseArgs } from 'node:util'
import { type ApiKey, buildApp } from '../api/app.ts'
import { openCache, reliableInvalidation } from '../cache/open.ts'
import { startCollector } from '../collector/collector.ts'
import { loadCollectorSettings } from '../collector/settings.ts'
import { wireCollector } from '../collector/wiring.ts'
import { ConfigError, loadConfig } from '../config.ts'
import { openStore } from '../store/open.ts'

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost'])
// pino's levels: another value would stop the API only once it was being built, in pino's words.
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']

export function apiKeysFrom(text: string | undefined): ApiKey[] {
  if (!text?.trim()) return []
  return text.split(',').map((entry) => {
    const [name, scopes, sha256] = entry.trim().split(':')
    if (!name || !scopes || !sha256 || !/^[0-9a-f]{64}$/i.test(sha256)) {
      throw new ConfigError(`invalid configuration:\n  WHOHAD_API_KEYS: each key must be name:scope1+scope2:sha256-hex (got ${JSON.stringify(entry.trim().slice(0, 20))}…)`)
    }
    return { name, scopes: scopes.split('+'), sha256: sha256.toLowerCase() }
  })
}

const HELP = `usage: whohad serve [--api-only | --collector-only]

  --api-only         serve the API and the page; no collector in this process
  --collector-only   poll every account and region into the store; no API
  -h, --help         this help

Listens on $WHOHAD_HOST:$WHOHAD_PORT (default 127.0.0.1:8080); with nothing configured, the store is
embedded under ./data. Configuration is read from the environment: see the README, Configuration. A bad
value stops whohad before it serves. Ctrl-C (SIGINT) or SIGTERM stops it.
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
  const settings = loadCollectorSettings()
  const host = process.env.WHOHAD_HOST ?? '127.0.0.1'
  const port = Number(process.env.WHOHAD_PORT ?? 8080)
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError('invalid configuration:\n  WHOHAD_PORT: must be a port number 0-65535')
  const apiKeys = apiKeysFrom(process.env.WHOHAD_API_KEYS)
  const rateLimit = Number(process.env.WHOHAD_RATE_LIMIT ?? 6000)
  if (!Number.isInteger(rateLimit) || rateLimit < 1) throw new ConfigError('invalid configuration:\n  WHOHAD_RATE_LIMIT: must be a whole number of requests per minute per key')
  const maxCidr = Number(process.env.WHOHAD_MAX_CIDR_ADDRESSES ?? 256)
  if (!Number.isInteger(maxCidr) || maxCidr < 1 || maxCidr > 65_536) throw new ConfigError('invalid configuration:\n  WHOHAD_MAX_CIDR_ADDRESSES: must be a whole number from 1 to 65536')
  const logLevel = process.env.WHOHAD_LOG_LEVEL ?? 'warn'
  if (!LOG_LEVELS.includes(logLevel)) throw new ConfigError(`invalid configuration:\n  WHOHAD_LOG_LEVEL: must be one of ${LOG_LEVELS.join(', ')}`)
  if (!values['collector-only'] && !LOOPBACK.has(host) && apiKeys.length === 0) {
    throw new ConfigError(`refusing to serve on ${host} without API keys: set WHOHAD_API_KEYS (name:lookup:sha256-of-key), or bind to 127.0.0.1`)
  }
  const store = await openStore(config.store)
  process.stdout.write(`whohad: store ready: ${store.location} (${store.table === 'created' ? 'table created' : 'table found'})\n`)
  const log = (m: string) => process.stderr.write(`whohad: ${m}\n`)
  // Without Redis, an API process alone cannot hear another process's collector: it keeps answers
  // no longer than the staleness bound.
  const cache = openCache(config.cache, log)
  if (!config.cache.redisUrl && values['api-only']) log(`no REDIS_URL: answers are cached at most ${config.cache.staleMs} ms, since no collector can reach this process`)
  let app: Awaited<ReturnType<typeof buildApp>> | undefined
  let collector: Awaited<ReturnType<typeof startCollector>> | undefined
  let invalidation: ReturnType<typeof reliableInvalidation> | undefined
  // Whatever stops this process (a signal, a port in use, a failure) closes what was opened: an open
  // store or cache connection would keep it running without serving.
  try {
    if (!values['collector-only']) {
      app = await buildApp({ store, apiKeys, logger: { level: logLevel }, cache, staleMs: config.cache.staleMs, maxGapMs: settings.maxGapMs, rateLimitPerMinute: rateLimit, maxCidrAddresses: maxCidr, ...(!config.cache.redisUrl && values['api-only'] ? { settledMs: config.cache.staleMs } : {}) })
      const address = await listen(app, host, port)
      process.stdout.write(`whohad: API and page at ${address}${apiKeys.length ? ` (${apiKeys.length} API keys)` : ' (open: loopback, no keys)'}; cache: ${config.cache.redisUrl ? 'redis' : 'in-process'}\n`)
    }
    invalidation = reliableInvalidation(cache, { log })
    if (!values['api-only']) {
      const wiring = wireCollector(store, settings, { log, leases: true, onChanged: invalidation.invalidate, ...(app ? { onResult: app.metrics.pollResult } : {}) })
      try {
        collector = await startCollector(wiring.deps, wiring.options)
        log(`collector polling ${collector.targets().length} targets`)
      } catch (err) {
        log(`collector not started: ${(err as Error).message} (configure AWS access: see the README, Configuration; the API keeps serving what is stored)`)
      }
    }
    process.stdout.write('whohad: press Ctrl-C to stop\n')
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve)
      process.once('SIGTERM', resolve)
    })
  } finally {
    await collector?.stop()
    invalidation?.stop()
    await app?.fastify.close()
    await cache.close()
    await store.close()
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
