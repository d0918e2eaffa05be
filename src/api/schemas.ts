// The API's contract, in zod: Fastify validates requests with these schemas and /docs is generated
// from them. Every parse error carries a message a person can act on; the error handler turns it into
// an RFC 9457 problem (always 4xx).
import { z } from 'zod'
import { CONFIG_RECORDING_STATES } from '../model/config-recording.ts'
import { INSTANCE_STATES, type InstanceState, isInstanceState } from '../model/instance.ts'
import { RESOURCE_WORDS, type ResourceType } from '../model/eni-class.ts'
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
  .strictObject({
    from: time,
    to: time,
    vpc: vpc.optional(),
    account: account.optional(),
    format: z.enum(['json', 'csv']).default('json').meta({ description: 'csv: one row per holding, for a spreadsheet' }),
  })
  .refine((q) => q.to >= q.from, { message: '"to" is before "from"', path: ['to'] })
  .refine((q) => q.to - q.from <= 31 * DAY, { message: 'a timeline covers at most 31 days; narrow from/to', path: ['to'] })

export const cidrQuery = z.strictObject({ at: time, vpc: vpc.optional(), account: account.optional() })

/** Which instances a listing shows: listed ones in these states, and (or) the gone ones. */
export interface InstanceStateFilter {
  readonly states: readonly InstanceState[]
  readonly gone: boolean
}

const STATE_WORDS = [...INSTANCE_STATES, 'gone', 'all'] as const
/** Every state but terminated, and nothing gone: the instances that exist now. */
export const DEFAULT_INSTANCE_STATES: InstanceStateFilter = { states: INSTANCE_STATES.filter((x) => x !== 'terminated'), gone: false }

const instanceStates = z
  .string(expecting(`instance states, comma-separated: ${STATE_WORDS.join(', ')}`))
  .max(200, 'at most 200 characters')
  .transform((text, ctx): InstanceStateFilter => {
    const words = text.split(',').map((w) => w.trim()).filter((w) => w.length > 0)
    const unknown = words.filter((w) => !(STATE_WORDS as readonly string[]).includes(w))
    if (words.length === 0 || unknown.length > 0) {
      const what = words.length === 0 ? 'names no state' : `${unknown.map((w) => JSON.stringify(w.slice(0, 40))).join(', ')} ${unknown.length === 1 ? 'is not an instance state' : 'are not instance states'}`
      ctx.addIssue({ code: 'custom', message: `${what}; use one or more of ${STATE_WORDS.join(', ')}, comma-separated` })
      return z.NEVER
    }
    if (words.includes('all')) return { states: [...INSTANCE_STATES], gone: true }
    return { states: INSTANCE_STATES.filter((x) => words.includes(x)), gone: words.includes('gone') }
  })
  .meta({
    description:
      'comma-separated: pending, running, shutting-down, terminated, stopping, stopped select instances the latest complete poll listed in that state; ' +
      'gone selects those no poll lists any more (kept for history); all is both. Default: every state but terminated, nothing gone',
    example: 'running,stopped',
  })

export const instancesQuery = z.strictObject({
  account: account.optional(),
  region: region.optional(),
  vpc: vpc.optional(),
  name: z.string().max(256).optional().meta({ description: 'the Name tag, exactly' }),
  state: instanceStates.optional(),
  nextToken: z.string().max(400).optional().meta({ description: 'from the previous page' }),
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

/** The NDJSON form's options (its body is the lookups, one a line). */
export const ndjsonQuery = z.strictObject({
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
const bound = z
  .object({ after: z.number(), afterIso: z.string(), by: z.number(), byIso: z.string() })
  .meta({ description: 'epoch ms: the event happened after `after` and by `by`; `afterIso` and `byIso` are the same times in ISO-8601 UTC' })
const holder = z.object({
  eniId: z.string(),
  kind: z.string(),
  accountId: z.string(),
  region: z.string(),
  vpcId: z.string().optional(),
  subnetId: z.string().optional(),
  instanceId: z.string().optional(),
  resource: z
    .object({
      type: z.enum(Object.keys(RESOURCE_WORDS) as [ResourceType, ...ResourceType[]]),
      id: z.string().optional(),
      name: z.string().optional(),
    })
    .optional()
    .meta({ description: 'what the ENI is part of: its type, the id AWS knows it by (a load balancer: app/<name>/<id>), what a person calls it (an instance: its Name tag). Absent on holdings recorded before it was' }),
  name: z.string().optional(),
  tags: z.record(z.string(), z.string()).optional(),
}).meta({ description: 'the ENI and what it belongs to (more fields as known: interfaceType, description, instanceType, imageId, allocationId, associationId)' })
export const holdingAnswer = z.object({
  certainty: z.enum(['certain', 'possible']).meta({ description: 'certain: the time asked about (± window) meets the part of the holding its bounds prove; possible: only an uncertainty window' }),
  atT: z.enum(['certain', 'possible', 'outside']).optional().meta({ description: 'point lookups: where the time asked about itself (not ± window) lies: proven inside the holding, where its bounds are uncertain, or outside them' }),
  distanceMs: z.number().optional().meta({ description: 'point lookups: how far the time asked about lies outside the holding\'s bounds, in ms (0: they may contain it); holdings come nearest first' }),
  address: z.string(),
  addressKind: z.string(),
  scope: z.string(),
  holder,
  start: bound,
  end: bound.optional(),
  provenUntil: z.number().optional().meta({ description: 'open holdings: proven held until this time (the last complete poll), epoch ms' }),
  provenUntilIso: z.string().optional().meta({ description: 'provenUntil in ISO-8601 UTC' }),
})
export const coverage = z.object({
  state: z.enum(['complete', 'partial', 'not-watching']).meta({ description: 'whether complete polls watched every target over the whole time asked about (partial: part of it; not-watching: none of it)' }),
  detail: z.string(),
  targets: z.number(),
  watching: z.number(),
  unwatched: z.array(z.object({ accountId: z.string(), region: z.string(), reason: z.string() })).readonly(),
  watched: z
    .array(z.object({ from: z.string(), to: z.string() }))
    .readonly()
    .meta({ description: 'the stretches of that time (UTC, oldest first) during which every target was watched by complete polls' }),
  quiet: z
    .array(z.object({ accountId: z.string(), region: z.string(), everyMs: z.number() }))
    .readonly()
    .meta({ description: 'targets polled less often than the poll interval during part of that time, because nothing changed there: complete polls up to everyMs apart (where AWS Config history is not read, they are also unwatched then)' }),
  config: z
    .object({
      state: z.enum(['available', 'partial', 'unavailable']),
      detail: z.string(),
      unavailable: z
        .array(z.object({ accountId: z.string(), region: z.string(), state: z.enum([...CONFIG_RECORDING_STATES, 'unchecked']), detail: z.string() }))
        .readonly(),
    })
    .meta({ description: 'whether AWS Config history of network interfaces is read for the targets in scope; where it is not, holdings shorter than a poll interval may be missing and bounds are poll-wide' }),
})
export const verdict = z
  .object({
    state: z.enum(['held', 'possible', 'none', 'unknown']).meta({
      description:
        'held: at least one holding is proven to contain the time asked about; possible: some may, none is proven; none: no holding may contain it and every target was watched then; unknown: none is recorded and whohad was not watching everything then',
    }),
    text: z.string().meta({ description: 'the verdict in one sentence', example: 'At 2026-11-20T09:30:00.000Z, 203.0.113.7 was held by i-0a1 (web-prod-2), account 111111111111, eu-west-1 (certain)' }),
    held: z.array(z.number()).meta({ description: 'indices into holdings: proven to hold the address at the time asked about' }),
    mayHave: z.array(z.number()).meta({ description: 'indices into holdings: may have held it then (the time lies where their bounds are uncertain)' }),
  })
  .meta({ description: 'who held the address at the time asked about itself (the window only widens the holdings listed)' })
export const pointAnswer = z.object({ ip: z.string(), at: z.string(), window: z.number(), verdict, holdings: z.array(holdingAnswer), coverage })
const iso = z.string().meta({ description: 'ISO-8601 UTC' })
export const ecsHolder = z.object({
  'cloud.provider': z.literal('aws'),
  'cloud.account.id': z.string(),
  'cloud.region': z.string(),
  'cloud.instance.id': z.string().optional(),
  'cloud.instance.name': z.string().optional(),
  'cloud.machine.type': z.string().optional(),
  'cloud.service.name': z.string(),
  labels: z.record(z.string(), z.string()).optional(),
  'whohad.certainty': z.enum(['certain', 'possible']).meta({ description: 'certain: the time asked about lies inside the holding whatever its bounds; possible: it falls in an uncertainty window' }),
  'whohad.at_time': z.enum(['certain', 'possible', 'outside']).optional().meta({ description: 'where @timestamp itself (not ± window) lies in the holding' }),
  'whohad.eni.id': z.string(),
  'whohad.holder.kind': z.string(),
  'whohad.resource.type': z.string().optional(),
  'whohad.resource.id': z.string().optional(),
  'whohad.resource.name': z.string().optional(),
  'whohad.vpc.id': z.string().optional(),
  'whohad.subnet.id': z.string().optional(),
  'whohad.start': iso.meta({ description: 'the earliest the holding may have started (= whohad.start_after): the widest interval' }),
  'whohad.start_after': iso,
  'whohad.start_by': iso.meta({ description: 'the holding started after whohad.start_after and by whohad.start_by' }),
  'whohad.end': iso.optional().meta({ description: 'a closed holding: the latest it may have ended (= whohad.end_by): the widest interval' }),
  'whohad.end_after': iso.optional(),
  'whohad.end_by': iso.optional().meta({ description: 'the holding ended after whohad.end_after and by whohad.end_by' }),
  'whohad.proven_until': iso.optional().meta({ description: 'an open holding: proven held until this time (the last complete poll)' }),
})
export const ecsAnswer = z.object({
  'source.ip': z.string(),
  '@timestamp': iso.meta({ description: 'the time asked about' }),
  'whohad.window': z.number().meta({ description: 'seconds either side of @timestamp' }),
  'whohad.verdict': verdict.shape.state,
  'whohad.verdict_text': z.string().meta({ description: 'the verdict in one sentence' }),
  'whohad.coverage': coverage.shape.state,
  'whohad.coverage_detail': z.string(),
  'whohad.config_coverage': coverage.shape.config.shape.state,
  'whohad.config_coverage_detail': z.string(),
  holders: z.array(ecsHolder),
})
/** A batch item or NDJSON line that could not be answered; the others are. */
export const lookupError = z.object({
  error: z.object({
    status: z.number().meta({ description: '400: the item is wrong (detail says how); 503: the store could not answer it' }),
    detail: z.string(),
    line: z.number().optional().meta({ description: 'NDJSON: the line number (from 1) of the body' }),
  }),
})
export const lookupsAnswer = z.object({ results: z.array(z.union([pointAnswer, ecsAnswer, lookupError])) })
export const timelineAnswer = z.object({ ip: z.string(), from: z.string(), to: z.string(), holdings: z.array(holdingAnswer), coverage })
const instanceFields = {
  instanceId: z.string(),
  accountId: z.string(),
  region: z.string(),
  state: z
    .string()
    .refine(isInstanceState)
    .optional()
    .meta({ description: 'as DescribeInstances last said; absent only for an instance whohad knows from its ENIs alone (never listed by a poll since instance records were kept)' }),
  current: z.boolean().meta({ description: 'listed by the latest complete poll and not terminated (stopped instances are current)' }),
  stateSince: bound.extend({ evidence: z.array(z.object({ source: z.string(), at: z.number(), ref: z.string() })).readonly() }).optional().meta({ description: 'when the transition to this state was initiated, from StateTransitionReason' }),
  subnetId: z.string().optional().meta({ description: "the instance's own (its primary ENI's)" }),
  vpcId: z.string().optional(),
  availabilityZone: z.string().optional(),
  instanceType: z.string().optional(),
  imageId: z.string().optional(),
  launchTime: z.number().optional().meta({ description: 'epoch ms; EC2 moves it at every start' }),
  platform: z.string().optional(),
  architecture: z.string().optional(),
  privateIpAddress: z.string().optional(),
  publicIpAddress: z.string().optional(),
  tags: z.record(z.string(), z.string()).optional(),
  name: z.string().optional(),
  enis: z.array(z.object({ eniId: z.string(), deviceIndex: z.number().optional() })).readonly().meta({ description: 'attached ENIs, primary (device index 0) first' }),
  keyName: z.string().optional(),
  lastSeen: z.number().optional().meta({ description: 'epoch ms: the latest complete poll known to have listed it' }),
  gone: z.number().optional().meta({ description: 'epoch ms: by then a complete poll no longer listed it' }),
}
export const instanceAnswer = z.object(instanceFields)
export const instancesAnswer = z.object({ instances: z.array(instanceAnswer), nextToken: z.string().optional() })
const addressAnswer = z.object({ address: z.string(), addressKind: z.string(), scope: z.string(), eniId: z.string(), start: bound, end: bound.optional() })
export const instanceDetail = instanceAnswer.extend({ addresses: z.array(addressAnswer), history: z.array(addressAnswer) })
export const problem = z.object({ type: z.string(), title: z.string(), status: z.number(), detail: z.string() })
