// What buildApp is given and what its plugins and routes share. A module of its own so that the
// route files need not import app.ts (which imports them).
import type { DestinationStream } from 'pino'
import type { AnswerCache } from '../cache/types.ts'
import type { ApiKeySetting, SigningKeySetting } from '../config.ts'
import type { TargetState } from '../model/target.ts'
import type { Store } from '../store/open.ts'
import type { Answers } from './answers.ts'
import type { Metrics } from './metrics.ts'

/** A key as configured (WHOHAD_API_KEYS): its name, scopes, sha256 and the accounts it may see. */
export type ApiKey = ApiKeySetting

/** A key that signs requests (SigV4): its name, scopes, access key id, secret and accounts. */
export type SigningKey = SigningKeySetting

/** The accounts whose resources a request may see: `all`, or only these. */
export type Visibility = ReadonlySet<string> | 'all'

/** What a route tells the audit log of the request it answered (plugins/audit.ts writes the line). */
export interface AuditNote {
  /** The addresses (or blocks, or resource ids) asked about; a batch gives its count and its first few. */
  readonly asked: readonly string[]
  readonly askedCount?: number
  /** How many results the answer holds (holdings, results of a batch, resources). */
  readonly results?: number
  /** The action of an /ec2/ request (DescribeInstances, …). */
  readonly action?: string
}

export interface AppOptions {
  readonly store: Pick<Store, 'holdings' | 'instances' | 'targets'> & Partial<Pick<Store, 'descriptions' | 'members' | 'requests'>>
  readonly apiKeys?: readonly ApiKey[]
  /** Keys that sign requests with SigV4 (SDKs and the AWS CLI use them as ordinary credentials). */
  readonly signingKeys?: readonly SigningKey[]
  /**
   * Serve requests that carry no credentials as an open server would, while verifying those that do: for
   * `whohad demo` only (loopback), whose page needs no key and whose demo key shows SDKs verified.
   */
  readonly admitAnonymous?: boolean
  /** The audit log: one JSON line per /v1 and /ec2/ request; off when unset. Never carries a key or secret. */
  readonly auditLog?: { readonly stream: DestinationStream; readonly level?: 'info' | 'silent' }
  /** Complete polls further apart than this leave a target unwatched in between (coverage). */
  readonly maxGapMs?: number
  /** Request logs (pino): off by default; the Authorization header is always redacted. */
  readonly logger?: boolean | { readonly level?: string; readonly stream?: NodeJS.WritableStream }
  /** Defaults to an in-process LRU. */
  readonly cache?: AnswerCache
  /** The staleness bound: how long an answer touching the present may be served from the cache. */
  readonly staleMs?: number
  /**
   * How long an answer wholly before every target's last complete poll may be cached (its holdings are
   * still guarded by invalidation). Set it to `staleMs` when no collector can reach this process's cache.
   */
  readonly settledMs?: number
  /** Requests per minute per API key (per client address when the API runs open). */
  readonly rateLimitPerMinute?: number
  /** /ec2/: how many descriptions are memoised in process, over all listings (described.ts); 0: none. */
  readonly ec2MemoItems?: number
  /** /ec2/: how many bytes of whole answers are memoised in process (ec2/answer-memo.ts); 0: none. */
  readonly ec2AnswerMemoBytes?: number
  /** The largest CIDR block /v1/cidrs answers, in addresses. */
  readonly maxCidrAddresses?: number
  /** Answer never-held addresses from memory where the store keeps a member registry (default true). */
  readonly membershipFilter?: boolean
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The name of the API key the request was made with (set by plugins/auth.ts). */
    whohadKey?: string
    /** The accounts the key may see; unset: every account (set by plugins/auth.ts). */
    whohadAccounts?: ReadonlySet<string>
    /** The region and service of a SigV4 request's credential scope. */
    whohadScope?: { readonly region: string; readonly service: string }
    /** Set by a route for the audit log. */
    whohadAudit?: AuditNote
  }
}

/** What every route plugin is registered with: the app's options and what buildApp made of them. */
export interface RouteContext {
  readonly options: AppOptions
  readonly answers: Answers
  readonly cache: AnswerCache
  readonly targetStates: () => Promise<TargetState[]>
  readonly metrics: Metrics
  readonly staleMs: number
}
