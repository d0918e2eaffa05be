// The API's contract, in zod: Fastify validates requests with these schemas and /docs is generated
// from them. Every parse error carries a message a person can act on; the error handler turns it into
// an RFC 9457 problem (always 4xx).
import { z } from 'zod'
import { InvalidCidrError, InvalidIpError, parseCidr, parseIp } from '../model/ip.ts'
import { DAY, InvalidDurationError, InvalidTimeError, parseDuration, parseTime } from '../model/time.ts'

const TIME_EXAMPLE = '2026-11-20T10:00:00Z'
const TIME_HELP = `use ISO-8601 like ${TIME_EXAMPLE}, epoch seconds, or now`

/** zod's own type errors ("expected string, received undefined") say what, not how to fix it. */
function expecting(help: string) {
  return {
    error: (issue: { input?: unknown }) =>
      issue.input === undefined ? `is required: ${help}` : Array.isArray(issue.input) ? 'is given more than once' : `is not valid: ${help}`,
  }
}

/** Runs a model parser inside zod, so its message (which says how to fix the input) becomes the issue. */
function via<T>(parse: (text: string) => T, errorType: new (...args: never[]) => Error) {
  return (text: string, ctx: z.RefinementCtx): T => {
    try {
      return parse(text)
    } catch (err) {
      if (!(err instanceof errorType)) throw err
      ctx.addIssue({ code: 'custom', message: err.message })
      return z.NEVER
    }
  }
}

export const ip = z
  .string(expecting('an IPv4 or IPv6 address like 203.0.113.7'))
  .max(100, 'an IP address is at most 100 characters')
  .transform(via((t) => parseIp(t).text, InvalidIpError))
  .meta({ description: 'IPv4 or IPv6 address', example: '203.0.113.7' })

export const cidr = z
  .string(expecting('a block like 10.0.1.0/28'))
  .max(100, 'a CIDR block is at most 100 characters')
  .transform(via(parseCidr, InvalidCidrError))
  .meta({ description: 'CIDR block, like 10.0.1.0/28', example: '10.0.1.0/28' })

export const time = z
  .union([z.string(), z.number()], expecting(TIME_HELP))
  .transform((v, ctx) => via((t) => parseTime(typeof v === 'number' ? v : t), InvalidTimeError)(String(v), ctx))
  .meta({ description: `ISO-8601 with an offset (${TIME_EXAMPLE}, 2026-11-20 11:00 +0100), epoch seconds/milliseconds, or now`, example: TIME_EXAMPLE })

export const window = z
  .string(expecting('a duration like 5m'))
  .transform(via((t) => parseDuration(t, 7 * DAY), InvalidDurationError))
  .meta({ description: 'a duration around "at", like 90s, 5m or 2h (at most 7d)', example: '5m' })

const vpc = z.string(expecting('a VPC id like vpc-0abc123')).regex(/^vpc-[0-9a-f]{1,32}$/, 'a VPC id looks like vpc-0abc123').meta({ example: 'vpc-0abc1234' })
const account = z.string(expecting('a 12-digit account id')).regex(/^\d{12}$/, 'an account id is 12 digits').meta({ example: '123456789012' })
const region = z.string(expecting('a region like eu-west-1')).regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'a region looks like eu-west-1').meta({ example: 'eu-west-1' })

export const ipParams = z.strictObject({ ip })
export const cidrParams = z.strictObject({ cidr })
export const eniParams = z.strictObject({ id: z.string(expecting('an ENI id like eni-0abc123')).regex(/^eni-[0-9a-f]{1,32}$/, 'an ENI id looks like eni-0abc123') })
export const instanceParams = z.strictObject({ id: z.string(expecting('an instance id like i-0abc123')).regex(/^i-[0-9a-f]{1,32}$/, 'an instance id looks like i-0abc123') })

export const pointQuery = z.strictObject({
  at: time,
  window: window.optional(),
  vpc: vpc.optional(),
  account: account.optional(),
})

export const timelineQuery = z
  .strictObject({ from: time, to: time, vpc: vpc.optional(), account: account.optional() })
  .refine((q) => q.to >= q.from, { message: '"to" is before "from"', path: ['to'] })
  .refine((q) => q.to - q.from <= 31 * DAY, { message: 'a timeline covers at most 31 days; narrow from/to', path: ['to'] })

export const cidrQuery = z.strictObject({ at: time, vpc: vpc.optional(), account: account.optional() })

export const instancesQuery = z.strictObject({
  account: account.optional(),
  region: region.optional(),
  vpc: vpc.optional(),
  name: z.string().max(256).optional().meta({ description: 'the Name tag, exactly' }),
  nextToken: z.string().max(200).optional().meta({ description: 'from the previous page' }),
})

export const MAX_BATCH = 10_000

export const lookupItem = z.strictObject({
  ip: z.string().max(100),
  at: z.union([z.string().max(64), z.number()]),
  window: z.string().max(16).optional(),
  vpc: z.string().max(40).optional(),
  account: z.string().max(12).optional(),
})

export const lookupsBody = z.strictObject({
  lookups: z
    .array(z.unknown(), expecting('a list of lookups like [{"ip": "203.0.113.7", "at": "2026-11-20T10:00:00Z"}]'))
    .min(1, 'send at least one lookup')
    .max(MAX_BATCH, `a batch holds at most ${MAX_BATCH} lookups; split it`)
    .meta({ description: 'up to 10,000 items like {"ip": "203.0.113.7", "at": "2026-11-20T10:00:00Z"}' }),
  format: z.enum(['whohad', 'ecs']).default('whohad').meta({ description: 'ecs: Elastic Common Schema field names' }),
})

/** One batch item, checked on its own so that its errors do not fail the batch. */
export const batchItem = z.strictObject({
  ip,
  at: time,
  window: window.optional(),
  vpc: vpc.optional(),
  account: account.optional(),
})

// Responses: documented in /docs and checked by the tests; not re-validated on every reply.
const bound = z.object({ after: z.number(), by: z.number() }).meta({ description: 'epoch ms: the event happened after `after` and by `by`' })
const holder = z.object({
  eniId: z.string(),
  kind: z.string(),
  accountId: z.string(),
  region: z.string(),
  vpcId: z.string().optional(),
  subnetId: z.string().optional(),
  instanceId: z.string().optional(),
  name: z.string().optional(),
  tags: z.record(z.string(), z.string()).optional(),
}).meta({ description: 'the ENI and what it belongs to (more fields as known: interfaceType, description, instanceType, imageId, allocationId)' })
export const holdingAnswer = z.object({
  certainty: z.enum(['certain', 'possible']),
  address: z.string(),
  addressKind: z.string(),
  scope: z.string(),
  holder,
  start: bound,
  end: bound.optional(),
  provenUntil: z.number().optional().meta({ description: 'open holdings: proven held until this time (the last complete poll)' }),
})
export const coverage = z.object({
  state: z.enum(['complete', 'partial', 'not-watching']),
  detail: z.string(),
  targets: z.number(),
  watching: z.number(),
  unwatched: z.array(z.object({ accountId: z.string(), region: z.string(), reason: z.string() })).readonly(),
})
export const pointAnswer = z.object({ ip: z.string(), at: z.string(), window: z.number(), holdings: z.array(holdingAnswer), coverage })
export const timelineAnswer = z.object({ ip: z.string(), from: z.string(), to: z.string(), holdings: z.array(holdingAnswer), coverage })
export const problem = z.object({ type: z.string(), title: z.string(), status: z.number(), detail: z.string() })
