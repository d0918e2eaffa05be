// The collector's configuration: environment variables, validated once (a bad value stops start-up
// with a message naming the variable, like src/config.ts).
import { z } from 'zod'
import { ConfigError } from '../config.ts'
import { parseDuration } from '../model/time.ts'

const accountList = z
  .string()
  .trim()
  .transform((v) => (v === '' ? [] : v.split(/[\s,]+/)))
  .pipe(z.array(z.string().regex(/^\d{12}$/, 'must be 12-digit account ids, comma-separated')))
const regionList = z
  .string()
  .trim()
  .transform((v) => (v === '' ? [] : v.split(/[\s,]+/)))
  .pipe(z.array(z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be region names like eu-west-1, comma-separated')))
const duration = (fallback: string, max?: number) =>
  z
    .string()
    .default(fallback)
    .transform((v, ctx) => {
      try {
        return parseDuration(v, max)
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message })
        return z.NEVER
      }
    })

const schema = z.object({
  WHOHAD_ACCOUNTS: accountList.optional(),
  WHOHAD_ACCOUNTS_INCLUDE: accountList.optional(),
  WHOHAD_ACCOUNTS_EXCLUDE: accountList.optional(),
  WHOHAD_REGIONS: regionList.optional(),
  WHOHAD_ROLE_NAME: z.string().regex(/^[\w+=,.@-]{1,64}$/, 'must be an IAM role name').default('whohad-read'),
  WHOHAD_EXTERNAL_ID: z.string().min(2).max(1224).optional(),
  WHOHAD_AWS_ENDPOINT: z.url({ message: 'must be a URL like http://127.0.0.1:4566' }).optional(),
  WHOHAD_SELF_ACCOUNT: z.string().regex(/^\d{12}$/, 'must be a 12-digit account id').optional(),
  WHOHAD_POLL_INTERVAL: duration('60s'),
  WHOHAD_MAX_GAP: duration('5m'),
  WHOHAD_CONCURRENCY: z.coerce.number().int().min(1, 'must be at least 1').max(256).default(8),
  WHOHAD_LEASE_SHARDS: z.coerce.number().int().min(1).max(4096).default(64),
  WHOHAD_LEASE_PERIOD: duration('30s'),
  WHOHAD_CONFIG_HORIZON_DAYS: z.coerce.number().int().min(0).max(400).default(90),
  WHOHAD_CONFIG_EVERY: duration('15m', 86_400_000),
  WHOHAD_CONFIG_MAX_DELAY: duration('15m', 86_400_000),
  WHOHAD_CLOCK_SKEW: duration('1s', 3_600_000),
  AWS_REGION: z.string().default('us-east-1'),
})

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
}

export function loadCollectorSettings(env: Record<string, string | undefined> = process.env): CollectorSettings {
  const parsed = schema.safeParse(env)
  if (!parsed.success) {
    throw new ConfigError(`invalid configuration:\n${parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n')}`)
  }
  const v = parsed.data
  return {
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
    concurrency: v.WHOHAD_CONCURRENCY,
    leaseShards: v.WHOHAD_LEASE_SHARDS,
    leasePeriodMs: v.WHOHAD_LEASE_PERIOD,
    configHorizonMs: v.WHOHAD_CONFIG_HORIZON_DAYS * 86_400_000,
    configEveryMs: v.WHOHAD_CONFIG_EVERY,
    configMaxDelayMs: v.WHOHAD_CONFIG_MAX_DELAY,
    clockSkewMs: v.WHOHAD_CLOCK_SKEW,
    homeRegion: v.AWS_REGION,
  }
}
