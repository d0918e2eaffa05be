// Failure injection, configurable at runtime per service / action / account / region: throttling with
// AWS's token buckets, error responses, latency, and failures partway through a pagination run.
// Random choices use a seeded generator, so a given sequence of requests fails the same way every run.
import { AwsError } from '../protocol/errors.ts'
import { Rng } from './rng.ts'

export type ServiceName = 'ec2' | 'sts' | 'organizations' | 'config'

/** Which requests a rule applies to; an absent field matches everything. */
export interface FaultMatch {
  readonly service?: ServiceName | readonly ServiceName[]
  readonly action?: string | readonly string[]
  /** The account acted on: the caller's, or for STS AssumeRole the role's account. */
  readonly accountId?: string | readonly string[]
  readonly region?: string | readonly string[]
}

export type FaultRule =
  /** Answers matching requests with an error: by default EC2-style `InternalError` / HTTP 500. */
  | {
      readonly kind: 'error'
      readonly match?: FaultMatch
      readonly code?: string
      readonly status?: number
      readonly message?: string
      /** Probability per matching request (seeded). Default 1. */
      readonly rate?: number
      /** Fire at most this many times. Default unlimited. */
      readonly times?: number
    }
  /** Delays matching requests by ms (+ up to jitterMs, seeded) of real time. */
  | { readonly kind: 'latency'; readonly match?: FaultMatch; readonly ms: number; readonly jitterMs?: number }
  /**
   * A token bucket per (rule, account, region), replacing the default buckets for matching requests.
   * `clock: 'virtual'` refills only as the test advances time; `'real'` refills with wall time.
   */
  | {
      readonly kind: 'throttle'
      readonly match?: FaultMatch
      readonly capacity: number
      readonly refillPerSecond: number
      readonly clock?: 'real' | 'virtual'
    }
  /** Fails page `page` (1-based, so >= 2 is mid-run) of a paginated call. Default error InternalError/500. */
  | {
      readonly kind: 'fail-page'
      readonly match?: FaultMatch
      readonly page: number
      readonly code?: string
      readonly status?: number
      readonly message?: string
      readonly times?: number
    }
  /** Rejects the token that asks for page `page` (default 2) as expired (the service's invalid-token error). */
  | { readonly kind: 'expire-next-token'; readonly match?: FaultMatch; readonly page?: number; readonly times?: number }

export interface RequestInfo {
  readonly service: ServiceName
  readonly action: string
  readonly accountId: string
  readonly region: string
  /** EC2 Describe* without filters, ids or MaxResults: AWS meters these in a smaller bucket. */
  readonly unfilteredDescribe?: boolean
}

export interface BucketSpec {
  readonly capacity: number
  readonly refillPerSecond: number
}

/**
 * AWS's published EC2 numbers (per account and region): non-mutating actions 100 / 20 per second;
 * unfiltered and unpaginated Describe* 50 / 10 per second. AWS Config publishes no numbers but throttles
 * far sooner; modelled as 5 / 1 per second per action.
 */
export const DEFAULT_BUCKETS: Readonly<Record<string, BucketSpec>> = {
  'ec2:non-mutating': { capacity: 100, refillPerSecond: 20 },
  'ec2:unfiltered': { capacity: 50, refillPerSecond: 10 },
  'config:GetResourceConfigHistory': { capacity: 5, refillPerSecond: 1 },
  'config:ListDiscoveredResources': { capacity: 5, refillPerSecond: 1 },
}

/** How each service says "slow down": code and HTTP status as the real service sends them. */
export const THROTTLE_ERRORS: Readonly<Record<ServiceName, { code: string; status: number; message: string }>> = {
  ec2: { code: 'RequestLimitExceeded', status: 503, message: 'Request limit exceeded.' },
  config: { code: 'ThrottlingException', status: 400, message: 'Rate exceeded' },
  sts: { code: 'Throttling', status: 400, message: 'Rate exceeded' },
  organizations: {
    code: 'TooManyRequestsException',
    status: 400,
    message: 'AWS Organizations can\u2019t complete your request because another request is already in progress. Try again later.',
  },
}

export class TokenBucket {
  private tokens: number
  private last: number | undefined

  constructor(readonly spec: BucketSpec) {
    this.tokens = spec.capacity
  }

  take(now: number): boolean {
    if (this.last !== undefined) {
      this.tokens = Math.min(this.spec.capacity, this.tokens + ((now - this.last) / 1000) * this.spec.refillPerSecond)
    }
    this.last = now
    if (this.tokens >= 1) {
      this.tokens -= 1
      return true
    }
    return false
  }
}

interface ActiveRule {
  readonly id: string
  readonly rule: FaultRule
  fired: number
}

export interface FaultsOptions {
  readonly seed: number
  /** Default buckets on (`aws`) or off. */
  readonly throttling: 'aws' | 'off'
  /** Clock for the default buckets. */
  readonly throttleClock: 'real' | 'virtual'
  readonly virtualNow: () => number
  readonly realNow?: () => number
}

export class Faults {
  private readonly rules: ActiveRule[] = []
  private readonly buckets = new Map<string, TokenBucket>()
  private readonly rng: Rng
  private nextId = 1
  private defaultThrottling: boolean
  private readonly realNow: () => number

  constructor(private readonly options: FaultsOptions) {
    this.rng = new Rng('faults', options.seed)
    this.defaultThrottling = options.throttling === 'aws'
    this.realNow = options.realNow ?? (() => performance.now())
  }

  /** Adds a rule; returns its id (for remove). Later rules are checked first. */
  add(rule: FaultRule): string {
    validateRule(rule)
    const id = `fault-${this.nextId++}`
    this.rules.unshift({ id, rule, fired: 0 })
    return id
  }

  remove(id: string): boolean {
    const i = this.rules.findIndex((r) => r.id === id)
    if (i < 0) return false
    this.rules.splice(i, 1)
    for (const key of [...this.buckets.keys()]) if (key.startsWith(`${id}/`)) this.buckets.delete(key)
    return true
  }

  /** Removes every added rule (default throttling stays as configured). */
  clear(): void {
    this.rules.length = 0
    for (const key of [...this.buckets.keys()]) if (key.startsWith('fault-')) this.buckets.delete(key)
  }

  list(): Array<{ id: string; rule: FaultRule; fired: number }> {
    return this.rules.map((r) => ({ id: r.id, rule: r.rule, fired: r.fired }))
  }

  /** AssumeRole into these accounts is refused with AccessDenied. */
  denyAssumeRole(accountIds: string | readonly string[]): string {
    const ids = typeof accountIds === 'string' ? [accountIds] : accountIds
    return this.add({
      kind: 'error',
      match: { service: 'sts', action: 'AssumeRole', accountId: ids },
      code: 'AccessDenied',
      status: 403,
      message: 'User is not authorized to perform: sts:AssumeRole (denied by fake AWS fault injection)',
    })
  }

  /** Turns AWS's default token buckets on or off (they start as FakeAwsOptions.throttling says). */
  setDefaultThrottling(on: boolean): void {
    this.defaultThrottling = on
    for (const key of [...this.buckets.keys()]) if (key.startsWith('default/')) this.buckets.delete(key)
  }

  /** Real-time delay to apply before answering. */
  latencyFor(req: RequestInfo): number {
    let total = 0
    for (const r of this.rules) {
      if (r.rule.kind !== 'latency' || !matches(r.rule.match, req)) continue
      r.fired++
      total += r.rule.ms + (r.rule.jitterMs ? this.rng.int(r.rule.jitterMs + 1) : 0)
    }
    return total
  }

  /** The error to answer with instead of handling the request, if any: throttling first, then errors. */
  check(req: RequestInfo): AwsError | undefined {
    const throttled = this.throttle(req)
    if (throttled) return throttled
    for (const r of this.rules) {
      if (r.rule.kind !== 'error' || !matches(r.rule.match, req)) continue
      if (r.rule.times !== undefined && r.fired >= r.rule.times) continue
      if (r.rule.rate !== undefined && r.rule.rate < 1 && !(this.rng.float() < r.rule.rate)) continue
      r.fired++
      return new AwsError(r.rule.code ?? 'InternalError', r.rule.message ?? 'An internal error has occurred', r.rule.status ?? 500)
    }
    return undefined
  }

  /** Called by paginated handlers once they know which page is asked for. */
  checkPage(req: RequestInfo, page: number, invalidToken: (message: string) => AwsError): AwsError | undefined {
    for (const r of this.rules) {
      const rule = r.rule
      if (!matches(rule.match, req)) continue
      if (rule.kind === 'fail-page' && rule.page === page) {
        if (rule.times !== undefined && r.fired >= rule.times) continue
        r.fired++
        return new AwsError(rule.code ?? 'InternalError', rule.message ?? 'An internal error has occurred', rule.status ?? 500)
      }
      if (rule.kind === 'expire-next-token' && (rule.page ?? 2) === page && page > 1) {
        if (rule.times !== undefined && r.fired >= rule.times) continue
        r.fired++
        return invalidToken('The NextToken has expired.')
      }
    }
    return undefined
  }

  private throttle(req: RequestInfo): AwsError | undefined {
    const rule = this.rules.find((r) => r.rule.kind === 'throttle' && matches(r.rule.match, req))
    let key: string
    let spec: BucketSpec
    let clock: 'real' | 'virtual'
    if (rule && rule.rule.kind === 'throttle') {
      key = `${rule.id}/${req.accountId}/${req.region}`
      spec = rule.rule
      clock = rule.rule.clock ?? this.options.throttleClock
    } else {
      if (!this.defaultThrottling) return undefined
      const category =
        req.service === 'ec2' ? (req.unfilteredDescribe ? 'ec2:unfiltered' : 'ec2:non-mutating') : `${req.service}:${req.action}`
      const found = DEFAULT_BUCKETS[category]
      if (!found) return undefined
      key = `default/${req.accountId}/${req.region}/${category}`
      spec = found
      clock = this.options.throttleClock
    }
    let bucket = this.buckets.get(key)
    if (!bucket) {
      bucket = new TokenBucket(spec)
      this.buckets.set(key, bucket)
    }
    const now = clock === 'virtual' ? this.options.virtualNow() : this.realNow()
    if (bucket.take(now)) return undefined
    if (rule) rule.fired++
    const e = THROTTLE_ERRORS[req.service]
    return new AwsError(e.code, e.message, e.status)
  }
}

function matches(match: FaultMatch | undefined, req: RequestInfo): boolean {
  if (!match) return true
  return (
    fieldMatches(match.service, req.service) &&
    fieldMatches(match.action, req.action) &&
    fieldMatches(match.accountId, req.accountId) &&
    fieldMatches(match.region, req.region)
  )
}

function fieldMatches(want: string | readonly string[] | undefined, got: string): boolean {
  if (want === undefined) return true
  return typeof want === 'string' ? want === got : want.includes(got)
}

function validateRule(rule: FaultRule): void {
  const bad = (why: string): never => {
    throw new Error(`invalid fault rule ${JSON.stringify(rule)}: ${why}`)
  }
  switch (rule.kind) {
    case 'error':
      if (rule.rate !== undefined && !(rule.rate >= 0 && rule.rate <= 1)) bad('rate must be within 0..1')
      break
    case 'latency':
      if (!(rule.ms >= 0)) bad('ms must be >= 0')
      break
    case 'throttle':
      if (!(rule.capacity >= 0) || !(rule.refillPerSecond >= 0)) bad('capacity and refillPerSecond must be >= 0')
      break
    case 'fail-page':
      if (!Number.isInteger(rule.page) || rule.page < 1) bad('page must be an integer >= 1')
      break
    case 'expire-next-token':
      if (rule.page !== undefined && (!Number.isInteger(rule.page) || rule.page < 2)) bad('page must be an integer >= 2')
      break
    default:
      bad('unknown kind')
  }
}
