// whohad's configuration: environment variables, validated once at start-up. A bad value stops the
// process with a message that names the variable, instead of failing on the first request.
import { z } from 'zod'

const optionalUrl = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .pipe(z.url({ message: 'must be a URL like http://localhost:8000' }).optional())

const schema = z.object({
  WHOHAD_STORE: z.enum(['embedded', 'dynamodb'], { message: 'must be embedded or dynamodb' }).optional(),
  WHOHAD_DYNAMODB_ENDPOINT: optionalUrl.optional(),
  WHOHAD_TABLE: z
    .string()
    .regex(/^[a-zA-Z0-9_.-]{3,255}$/, 'must be 3-255 letters, digits, _ . or -')
    .default('whohad'),
  WHOHAD_DATA_DIR: z.string().min(1, 'must not be empty').default('./data'),
  WHOHAD_RETENTION_DAYS: z.coerce
    .number({ message: 'must be a number of days' })
    .int('must be a whole number of days')
    .positive('must be at least 1')
    .default(400),
  REDIS_URL: z
    .string()
    .trim()
    .transform((v) => (v === '' ? undefined : v))
    .pipe(z.url({ protocol: /^rediss?$/, message: 'must be a URL like redis://localhost:6379' }).optional())
    .optional(),
  WHOHAD_REDIS_CLUSTER: z.enum(['0', '1', 'true', 'false'], { message: 'must be true or false' }).optional(),
  WHOHAD_CACHE_STALE_MS: z.coerce
    .number({ message: 'must be milliseconds' })
    .int('must be a whole number of milliseconds')
    .min(0, 'must be 0 or more')
    .max(60_000, 'must be at most 60000 (answers touching the present change every poll)')
    .default(2_000),
  AWS_REGION: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be a region name like eu-west-1').default('us-east-1'),
})

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
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError'
}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = schema.safeParse(env)
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`)
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`)
  }
  const v = parsed.data
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
  }
}

// ---- The heap policy: read on its own by src/cli.ts before a command loads (see src/heap-policy.ts), so
// that it can re-execute the process before anything else is parsed or loaded. ----
const heapSchema = z.object({
  WHOHAD_MAX_HEAP_MB: z.coerce
    .number({ message: 'must be a number of MB' })
    .int('must be a whole number of MB')
    .refine((n) => n === 0 || (n >= 64 && n <= 65_536), 'must be 0 (V8\'s defaults) or 64–65536')
    .default(256),
})

/** `WHOHAD_MAX_HEAP_MB`: the collector's JS heap cap in MB (old generation), 0 for V8's own defaults. */
export function loadMaxHeapMb(env: Record<string, string | undefined> = process.env): number {
  const parsed = heapSchema.safeParse(env)
  if (!parsed.success) throw new ConfigError(`invalid configuration:\n${parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n')}`)
  return parsed.data.WHOHAD_MAX_HEAP_MB
}
