// whohad's configuration: every environment variable any command reads, in one zod schema, validated
// once before a command does anything. A bad value stops the command with a sentence that names the
// variable, its value and what is accepted, instead of failing on the first request or poll.
import { readFileSync } from 'node:fs'
import { z } from 'zod'
import { formatDuration, parseDuration } from './model/time.ts'

/**
 * The defaults of the variables that have a fixed one, as the README's Configuration table states them
 * (test/config.test.ts holds the table and this schema together). The others are unset by default.
 */
export const DEFAULTS = {
  WHOHAD_TABLE: 'whohad',
  WHOHAD_DATA_DIR: './data',
  WHOHAD_RETENTION_DAYS: '400',
  AWS_REGION: 'us-east-1',
  WHOHAD_HOST: '127.0.0.1',
  WHOHAD_PORT: '8080',
  WHOHAD_LOG_LEVEL: 'warn',
  WHOHAD_AUDIT_LOG: 'off',
  WHOHAD_AUDIT_LEVEL: 'info',
  WHOHAD_RATE_LIMIT: '6000',
  WHOHAD_MAX_CIDR_ADDRESSES: '256',
  WHOHAD_MEMBERSHIP_FILTER: 'on',
  WHOHAD_REDIS_CLUSTER: 'false',
  WHOHAD_CACHE_STALE_MS: '2000',
  WHOHAD_ROLE_NAME: 'whohad-read',
  WHOHAD_POLL_INTERVAL: '60s',
  WHOHAD_MAX_GAP: '5m',
  WHOHAD_CLOCK_SKEW: '1s',
  WHOHAD_CONCURRENCY: '8',
  WHOHAD_LEASE_SHARDS: '64',
  WHOHAD_LEASE_PERIOD: '30s',
  WHOHAD_CONFIG_HORIZON_DAYS: '90',
  WHOHAD_CONFIG_EVERY: '15m',
  WHOHAD_CONFIG_MAX_DELAY: '15m',
  WHOHAD_MAX_HEAP_MB: '256',
} as const

// pino's levels: another value would stop the API only once it was being built, in pino's words.
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const

const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/

/** An empty value means unset: compose passes `${V:-}` as ''. */
const optionalUrl = (message: string, protocol?: RegExp) =>
  z
    .string()
    .trim()
    .transform((v) => (v === '' ? undefined : v))
    .pipe(z.url({ ...(protocol ? { protocol } : {}), message }).optional())
    .optional()

/** Digits only (no `1e3`, no `0x10`), within bounds; `what` says what is counted, `why` overrides. */
const wholeNumber = (fallback: string, min: number, max: number, what = '', why?: string) => {
  const message = why ?? `must be a whole number${what ? ` of ${what}` : ''} from ${min} to ${max}`
  return z.string().default(fallback).pipe(z.string().trim().regex(/^\d+$/, message).transform(Number).pipe(z.number().min(min, message).max(max, message)))
}

/** A duration like 5m, 90s or 1h30m, in milliseconds; at most `max`. */
const duration = (fallback: string, max = 30 * 86_400_000) =>
  z
    .string()
    .default(fallback)
    .transform((v, ctx) => {
      let ms: number
      try {
        ms = parseDuration(v, Infinity)
      } catch {
        ctx.addIssue({ code: 'custom', message: `must be a duration like 5m, 90s or 1h30m, at most ${formatDuration(max)}` })
        return z.NEVER
      }
      if (ms > max) ctx.addIssue({ code: 'custom', message: `must be at most ${formatDuration(max)}` })
      return ms
    })

const list = (item: RegExp, message: string) =>
  z
    .string()
    .trim()
    .transform((v) => (v === '' ? [] : v.split(/[\s,]+/)))
    .pipe(z.array(z.string().regex(item, message)))
    .optional()

export interface ApiKeySetting {
  readonly name: string
  readonly scopes: readonly string[]
  /** sha256 of the key, hex: the key itself is never configured. */
  readonly sha256: string
  /** The accounts whose resources the key may see; unset: every account. */
  readonly accounts?: readonly string[]
}

/** A key that signs requests (SigV4): its secret must be known to verify them, so it is configured. */
export interface SigningKeySetting {
  readonly name: string
  readonly scopes: readonly string[]
  readonly accessKeyId: string
  readonly secret: string
  readonly accounts?: readonly string[]
}

/** `accounts=111111111111+222222222222`, the optional last part of a key. */
function accountsPart(part: string | undefined): readonly string[] | undefined | null {
  if (part === undefined) return undefined
  const m = /^accounts=(\d{12}(\+\d{12})*)$/.exec(part)
  return m ? m[1]!.split('+') : null
}

const apiKeys = z
  .string()
  .default('')
  .transform((text, ctx): ApiKeySetting[] => {
    if (!text.trim()) return []
    const keys: ApiKeySetting[] = []
    for (const entry of text.split(',')) {
      const [name, scopes, sha256, limit, ...rest] = entry.trim().split(':')
      const accounts = accountsPart(limit)
      if (!name || !scopes || !sha256 || !/^[0-9a-f]{64}$/i.test(sha256) || accounts === null || rest.length > 0) {
        ctx.addIssue({ code: 'custom', message: 'must be keys like name:scope1+scope2:sha256-hex[:accounts=111111111111+222222222222], comma-separated' })
        return z.NEVER
      }
      keys.push({ name, scopes: scopes.split('+'), sha256: sha256.toLowerCase(), ...(accounts ? { accounts } : {}) })
    }
    return keys
  })

const SIGNING_KEY_FORMAT = 'name:scope1+scope2:ACCESSKEYID:secret[:accounts=111111111111+222222222222]'

/**
 * Signing keys, one per entry (a line of WHOHAD_SIGNING_KEYS_FILE, or comma-separated in
 * WHOHAD_SIGNING_KEYS). A bad entry is named by its position, never shown: it holds a secret.
 */
export function parseSigningKeys(entries: readonly string[], where: string): SigningKeySetting[] {
  const keys: SigningKeySetting[] = []
  entries.forEach((raw, i) => {
    const entry = raw.trim()
    if (entry === '' || entry.startsWith('#')) return
    const [name, scopes, accessKeyId, secret, limit, ...rest] = entry.split(':')
    const accounts = accountsPart(limit)
    if (!name || !scopes || !accessKeyId || !/^[A-Za-z0-9]{8,128}$/.test(accessKeyId) || !secret || !/^[\x21-\x7e]{16,256}$/.test(secret) || accounts === null || rest.length > 0) {
      throw new ConfigError(`invalid configuration:\n  ${where}, entry ${i + 1}: must be ${SIGNING_KEY_FORMAT} (an access key id of 8-128 letters and digits, a secret of 16-256 printable characters without spaces)`)
    }
    if (keys.some((k) => k.accessKeyId === accessKeyId)) throw new ConfigError(`invalid configuration:\n  ${where}, entry ${i + 1}: access key id ${accessKeyId} is configured twice`)
    keys.push({ name, scopes: scopes.split('+'), accessKeyId, secret, ...(accounts ? { accounts } : {}) })
  })
  return keys
}

/** Where the audit log goes: nowhere, standard output, or a file appended to. */
export type AuditDestination = 'off' | 'stdout' | { readonly file: string }

const schema = z.object({
  // the store
  WHOHAD_STORE: z.enum(['embedded', 'dynamodb'], { message: 'must be embedded or dynamodb' }).optional(),
  WHOHAD_DYNAMODB_ENDPOINT: optionalUrl('must be a URL like http://localhost:8000'),
  WHOHAD_TABLE: z.string().default(DEFAULTS.WHOHAD_TABLE).pipe(z.string().regex(/^[a-zA-Z0-9_.-]{3,255}$/, 'must be 3-255 letters, digits, _ . or -')),
  WHOHAD_DATA_DIR: z.string().default(DEFAULTS.WHOHAD_DATA_DIR).pipe(z.string().min(1, 'must be a directory, not empty')),
  WHOHAD_RETENTION_DAYS: wholeNumber(DEFAULTS.WHOHAD_RETENTION_DAYS, 1, 36_500, 'days'),
  AWS_REGION: z.string().default(DEFAULTS.AWS_REGION).pipe(z.string().regex(REGION, 'must be a region name like eu-west-1')),
  // the API (whohad serve)
  WHOHAD_HOST: z.string().default(DEFAULTS.WHOHAD_HOST).pipe(z.string().trim().min(1, 'must be an address to listen on, like 127.0.0.1 or 0.0.0.0')),
  WHOHAD_PORT: wholeNumber(DEFAULTS.WHOHAD_PORT, 0, 65_535, '', 'must be a port number 0-65535'),
  WHOHAD_API_KEYS: apiKeys,
  WHOHAD_SIGNING_KEYS: z.string().default('').pipe(z.string().regex(/^[^\s,]*(,[^\s,]*)*$/, `must be keys like ${SIGNING_KEY_FORMAT}, comma-separated, without spaces`)),
  WHOHAD_SIGNING_KEYS_FILE: z
    .string()
    .trim()
    .transform((v) => (v === '' ? undefined : v))
    .optional(),
  WHOHAD_AUDIT_LOG: z.string().default(DEFAULTS.WHOHAD_AUDIT_LOG).pipe(z.string().trim().min(1, 'must be off, stdout or the path of a file')),
  WHOHAD_AUDIT_LEVEL: z.string().default(DEFAULTS.WHOHAD_AUDIT_LEVEL).pipe(z.enum(['info', 'silent'], { message: 'must be info (one line per audited request) or silent' })),
  WHOHAD_LOG_LEVEL: z.string().default(DEFAULTS.WHOHAD_LOG_LEVEL).pipe(z.enum(LOG_LEVELS, { message: `must be one of ${LOG_LEVELS.join(', ')}` })),
  WHOHAD_RATE_LIMIT: wholeNumber(DEFAULTS.WHOHAD_RATE_LIMIT, 1, 1_000_000_000, 'requests per minute per key'),
  WHOHAD_MAX_CIDR_ADDRESSES: wholeNumber(DEFAULTS.WHOHAD_MAX_CIDR_ADDRESSES, 1, 65_536),
  WHOHAD_MEMBERSHIP_FILTER: z.string().default(DEFAULTS.WHOHAD_MEMBERSHIP_FILTER).pipe(z.enum(['on', 'off'], { message: 'must be on (never-held addresses answered from memory) or off (every lookup reads the cache or the store)' })),
  // the cache
  REDIS_URL: optionalUrl('must be a URL like redis://localhost:6379', /^rediss?$/),
  WHOHAD_REDIS_CLUSTER: z.string().default(DEFAULTS.WHOHAD_REDIS_CLUSTER).pipe(z.enum(['0', '1', 'true', 'false'], { message: 'must be true or false' })),
  WHOHAD_CACHE_STALE_MS: wholeNumber(DEFAULTS.WHOHAD_CACHE_STALE_MS, 0, 60_000, 'milliseconds', 'must be a whole number of milliseconds from 0 to 60000 (answers touching the present change every poll)'),
  // the collector
  WHOHAD_ACCOUNTS: list(/^\d{12}$/, 'must be 12-digit account ids, comma-separated'),
  WHOHAD_ACCOUNTS_INCLUDE: list(/^\d{12}$/, 'must be 12-digit account ids, comma-separated'),
  WHOHAD_ACCOUNTS_EXCLUDE: list(/^\d{12}$/, 'must be 12-digit account ids, comma-separated'),
  WHOHAD_REGIONS: list(REGION, 'must be region names like eu-west-1, comma-separated'),
  WHOHAD_ROLE_NAME: z.string().default(DEFAULTS.WHOHAD_ROLE_NAME).pipe(z.string().regex(/^[\w+=,.@-]{1,64}$/, 'must be an IAM role name (1-64 letters, digits or +=,.@_-)')),
  WHOHAD_EXTERNAL_ID: z.string().min(2, 'must be 2-1224 characters').max(1224, 'must be 2-1224 characters').optional(),
  WHOHAD_AWS_ENDPOINT: z.url({ message: 'must be a URL like http://127.0.0.1:4566' }).optional(),
  WHOHAD_SELF_ACCOUNT: z.string().regex(/^\d{12}$/, 'must be a 12-digit account id').optional(),
  WHOHAD_POLL_INTERVAL: duration(DEFAULTS.WHOHAD_POLL_INTERVAL),
  WHOHAD_MAX_GAP: duration(DEFAULTS.WHOHAD_MAX_GAP),
  WHOHAD_QUIET_INTERVAL: z
    .string()
    .optional()
    .transform((v, ctx) => {
      // Unset: three poll intervals, within WHOHAD_MAX_GAP (quietInterval, below).
      if (v === undefined || v === '') return undefined
      if (v.trim() === '0') return 0
      try {
        return parseDuration(v, 30 * 86_400_000)
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be a duration like 5m, 90s or 1h30m, or 0 (every target every WHOHAD_POLL_INTERVAL)' })
        return z.NEVER
      }
    }),
  WHOHAD_CLOCK_SKEW: duration(DEFAULTS.WHOHAD_CLOCK_SKEW, 3_600_000),
  WHOHAD_CONCURRENCY: wholeNumber(DEFAULTS.WHOHAD_CONCURRENCY, 1, 256, 'polls'),
  WHOHAD_LEASE_SHARDS: wholeNumber(DEFAULTS.WHOHAD_LEASE_SHARDS, 1, 4096, 'shards'),
  WHOHAD_LEASE_PERIOD: duration(DEFAULTS.WHOHAD_LEASE_PERIOD),
  WHOHAD_CONFIG_HORIZON_DAYS: wholeNumber(DEFAULTS.WHOHAD_CONFIG_HORIZON_DAYS, 0, 400, 'days'),
  WHOHAD_CONFIG_EVERY: duration(DEFAULTS.WHOHAD_CONFIG_EVERY, 86_400_000),
  WHOHAD_CONFIG_MAX_DELAY: duration(DEFAULTS.WHOHAD_CONFIG_MAX_DELAY, 86_400_000),
  // whohad collect's heap policy (src/heap-policy.ts): 0 leaves V8's defaults
  WHOHAD_MAX_HEAP_MB: wholeNumber(DEFAULTS.WHOHAD_MAX_HEAP_MB, 0, 65_536, '', "must be 0 (V8's defaults) or a whole number of MB from 64 to 65536").refine(
    (n) => n === 0 || n >= 64,
    "must be 0 (V8's defaults) or a whole number of MB from 64 to 65536",
  ),
  // whohad lookup, asking a server
  WHOHAD_URL: optionalUrl('must be a URL like http://whohad:8080', /^https?$/),
  WHOHAD_API_KEY: z
    .string()
    .transform((v) => (v === '' ? undefined : v))
    .pipe(z.string().regex(/^\S+$/, 'must be the key alone, without spaces or line breaks').optional())
    .optional(),
})

/** Every variable the schema knows, in the schema's order. */
export const VARIABLES: readonly string[] = Object.keys(schema.shape)

/** Values never repeated in a message. */
const SECRETS = new Set(['WHOHAD_API_KEY', 'WHOHAD_SIGNING_KEYS'])

export interface CollectorSettings {
  readonly accounts?: readonly string[]
  readonly include?: readonly string[]
  readonly exclude?: readonly string[]
  readonly regions?: readonly string[]
  readonly roleName: string
  readonly externalId?: string
  readonly endpoint?: string
  readonly selfAccountId?: string
  readonly intervalMs: number
  readonly maxGapMs: number
  /** How often a target whose last complete polls changed nothing is polled (0: every interval, like the rest). */
  readonly quietEveryMs: number
  readonly concurrency: number
  readonly leaseShards: number
  readonly leasePeriodMs: number
  readonly configHorizonMs: number
  /** How often each target's Config history is read. */
  readonly configEveryMs: number
  /** Assumed longest delay between a change and Config's capture of it (AWS publishes none). */
  readonly configMaxDelayMs: number
  /** How far this host's clock may be from AWS's: poll windows are widened by it on both sides. */
  readonly clockSkewMs: number
  readonly homeRegion: string
  /** The collector's JS heap cap in MB (old generation); 0: V8's own defaults. */
  readonly maxHeapMb: number
}

export interface Config {
  readonly store: {
    /** `embedded`: dynalite in this process under `dataDir`; `dynamodb`: AWS or `endpoint`. */
    readonly mode: 'embedded' | 'dynamodb'
    readonly endpoint?: string
    /** Local DynamoDBs (an endpoint set, no AWS keys in the environment) accept any credentials. */
    readonly localCredentials: boolean
    readonly tableName: string
    readonly dataDir: string
    readonly region: string
    readonly retentionMs: number
  }
  readonly cache: {
    /** Redis (shared by every API and collector process); unset: an in-process LRU. */
    readonly redisUrl?: string
    readonly cluster: boolean
    /** The staleness bound: how long an answer touching the present, or a first-level entry, may be served. */
    readonly staleMs: number
  }
  readonly collector: CollectorSettings
  readonly serve: {
    readonly host: string
    readonly port: number
    readonly apiKeys: readonly ApiKeySetting[]
    /** Keys that sign requests (SigV4), from WHOHAD_SIGNING_KEYS and WHOHAD_SIGNING_KEYS_FILE. */
    readonly signingKeys: readonly SigningKeySetting[]
    readonly audit: { readonly destination: AuditDestination; readonly level: 'info' | 'silent' }
    readonly logLevel: (typeof LOG_LEVELS)[number]
    readonly rateLimitPerMinute: number
    readonly maxCidrAddresses: number
    /** Answer never-held addresses from memory (api/membership.ts). */
    readonly membershipFilter: boolean
  }
  readonly lookup: {
    /** A server to ask; unset: `whohad lookup` reads the store itself. */
    readonly url?: string
    readonly apiKey?: string
  }
}

/** The one error every command stops on when its configuration (environment or flags) is wrong. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError'
}

/** zod's issues as sentences an operator can act on: the variable, the value given, what is accepted. */
function describeIssues(issues: readonly z.core.$ZodIssue[], env: Record<string, string | undefined>): string {
  const lines = issues.map((issue) => {
    const name = String(issue.path[0] ?? '')
    const value = env[name]
    const shown = value === undefined ? '' : SECRETS.has(name) ? '=(hidden)' : `=${JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value)}`
    return `  ${name}${shown}: ${issue.message}`
  })
  return `invalid configuration:\n${lines.join('\n')}`
}

/**
 * How often a quiet target is polled (collector/cadence.ts). It must stay inside WHOHAD_MAX_GAP with a
 * poll interval to spare (a poll's own time, a wait for a free slot), or a quiet target would leave
 * gaps. Unset: three poll intervals, within that room, and off where there is no room; set: checked.
 */
function quietInterval(given: number | undefined, text: string | undefined, intervalMs: number, maxGapMs: number): number {
  const room = maxGapMs - intervalMs
  if (given === undefined) return Math.min(3 * intervalMs, room) > intervalMs ? Math.min(3 * intervalMs, room) : 0
  if (given !== 0 && (given <= intervalMs || given > room)) {
    throw new ConfigError(
      `invalid configuration:\n  WHOHAD_QUIET_INTERVAL=${JSON.stringify(text)}: must be 0 (every target every WHOHAD_POLL_INTERVAL) or longer than WHOHAD_POLL_INTERVAL (${formatDuration(intervalMs)}) ` +
        `and at most WHOHAD_MAX_GAP less one WHOHAD_POLL_INTERVAL (${formatDuration(Math.max(0, room))}), so that a quiet target never leaves a gap`,
    )
  }
  return given
}

/** Reads the signing keys file; `read` is injectable so that the schema's tests need no file. */
export type ReadFile = (path: string) => string

export function loadConfig(env: Record<string, string | undefined> = process.env, readFile: ReadFile = (p) => readFileSync(p, 'utf8')): Config {
  const parsed = schema.safeParse(env)
  if (!parsed.success) throw new ConfigError(describeIssues(parsed.error.issues, env))
  const v = parsed.data
  const signingKeys = parseSigningKeys(v.WHOHAD_SIGNING_KEYS.split(','), 'WHOHAD_SIGNING_KEYS')
  if (v.WHOHAD_SIGNING_KEYS_FILE) {
    let text: string
    try {
      text = readFile(v.WHOHAD_SIGNING_KEYS_FILE)
    } catch (e) {
      throw new ConfigError(`invalid configuration:\n  WHOHAD_SIGNING_KEYS_FILE=${JSON.stringify(v.WHOHAD_SIGNING_KEYS_FILE)}: must be a readable file of signing keys, one a line (${(e as NodeJS.ErrnoException).code ?? 'unreadable'})`)
    }
    for (const k of parseSigningKeys(text.split('\n'), `WHOHAD_SIGNING_KEYS_FILE=${JSON.stringify(v.WHOHAD_SIGNING_KEYS_FILE)}`)) {
      if (signingKeys.some((s) => s.accessKeyId === k.accessKeyId)) throw new ConfigError(`invalid configuration:\n  access key id ${k.accessKeyId} is configured in both WHOHAD_SIGNING_KEYS and WHOHAD_SIGNING_KEYS_FILE`)
      signingKeys.push(k)
    }
  }
  const audit = v.WHOHAD_AUDIT_LOG
  return {
    store: {
      // An endpoint implies DynamoDB; with neither set, whohad runs on its embedded store.
      mode: v.WHOHAD_STORE ?? (v.WHOHAD_DYNAMODB_ENDPOINT ? 'dynamodb' : 'embedded'),
      endpoint: v.WHOHAD_DYNAMODB_ENDPOINT,
      localCredentials: v.WHOHAD_DYNAMODB_ENDPOINT !== undefined && !env.AWS_ACCESS_KEY_ID && !env.AWS_PROFILE,
      tableName: v.WHOHAD_TABLE,
      dataDir: v.WHOHAD_DATA_DIR,
      region: v.AWS_REGION,
      retentionMs: v.WHOHAD_RETENTION_DAYS * 86_400_000,
    },
    cache: {
      ...(v.REDIS_URL ? { redisUrl: v.REDIS_URL } : {}),
      cluster: v.WHOHAD_REDIS_CLUSTER === '1' || v.WHOHAD_REDIS_CLUSTER === 'true',
      staleMs: v.WHOHAD_CACHE_STALE_MS,
    },
    collector: {
      ...(v.WHOHAD_ACCOUNTS?.length ? { accounts: v.WHOHAD_ACCOUNTS } : {}),
      ...(v.WHOHAD_ACCOUNTS_INCLUDE?.length ? { include: v.WHOHAD_ACCOUNTS_INCLUDE } : {}),
      ...(v.WHOHAD_ACCOUNTS_EXCLUDE?.length ? { exclude: v.WHOHAD_ACCOUNTS_EXCLUDE } : {}),
      ...(v.WHOHAD_REGIONS?.length ? { regions: v.WHOHAD_REGIONS } : {}),
      roleName: v.WHOHAD_ROLE_NAME,
      ...(v.WHOHAD_EXTERNAL_ID ? { externalId: v.WHOHAD_EXTERNAL_ID } : {}),
      ...(v.WHOHAD_AWS_ENDPOINT ? { endpoint: v.WHOHAD_AWS_ENDPOINT } : {}),
      ...(v.WHOHAD_SELF_ACCOUNT ? { selfAccountId: v.WHOHAD_SELF_ACCOUNT } : {}),
      intervalMs: v.WHOHAD_POLL_INTERVAL,
      maxGapMs: v.WHOHAD_MAX_GAP,
      quietEveryMs: quietInterval(v.WHOHAD_QUIET_INTERVAL, env.WHOHAD_QUIET_INTERVAL, v.WHOHAD_POLL_INTERVAL, v.WHOHAD_MAX_GAP),
      concurrency: v.WHOHAD_CONCURRENCY,
      leaseShards: v.WHOHAD_LEASE_SHARDS,
      leasePeriodMs: v.WHOHAD_LEASE_PERIOD,
      configHorizonMs: v.WHOHAD_CONFIG_HORIZON_DAYS * 86_400_000,
      configEveryMs: v.WHOHAD_CONFIG_EVERY,
      configMaxDelayMs: v.WHOHAD_CONFIG_MAX_DELAY,
      clockSkewMs: v.WHOHAD_CLOCK_SKEW,
      homeRegion: v.AWS_REGION,
      maxHeapMb: v.WHOHAD_MAX_HEAP_MB,
    },
    serve: {
      host: v.WHOHAD_HOST,
      port: v.WHOHAD_PORT,
      apiKeys: v.WHOHAD_API_KEYS,
      signingKeys,
      audit: { destination: audit === 'off' || audit === 'stdout' ? audit : { file: audit }, level: v.WHOHAD_AUDIT_LEVEL },
      logLevel: v.WHOHAD_LOG_LEVEL,
      rateLimitPerMinute: v.WHOHAD_RATE_LIMIT,
      maxCidrAddresses: v.WHOHAD_MAX_CIDR_ADDRESSES,
      membershipFilter: v.WHOHAD_MEMBERSHIP_FILTER === 'on',
    },
    lookup: {
      ...(v.WHOHAD_URL ? { url: v.WHOHAD_URL } : {}),
      ...(v.WHOHAD_API_KEY ? { apiKey: v.WHOHAD_API_KEY } : {}),
    },
  }
}
