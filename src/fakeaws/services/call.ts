// What every service handler receives: the world, who is calling, where, and the fault hooks.
import type { CredentialStore, Principal } from '../auth.ts'
import type { Target } from '../entities.ts'
import type { Faults, RequestInfo } from '../faults.ts'
import type { PagerOptions } from '../../protocol/pagination.ts'
import { nextToken, startPage } from '../../protocol/pagination.ts'
import type { AwsError } from '../../protocol/errors.ts'
import type { World } from '../world.ts'

/** Per-account role settings AssumeRole checks. */
export class RoleDirectory {
  private readonly externalIds = new Map<string, string | undefined>()

  constructor(
    readonly roleName: string,
    private readonly defaultExternalId: string | undefined,
  ) {}

  /** The ExternalId the role in this account requires (undefined: none). */
  externalIdFor(accountId: string): string | undefined {
    return this.externalIds.has(accountId) ? this.externalIds.get(accountId) : this.defaultExternalId
  }

  /** Overrides one account's trust policy: require this ExternalId, or none (undefined). */
  setExternalId(accountId: string, externalId: string | undefined): void {
    this.externalIds.set(accountId, externalId)
  }
}

/** The long-lived parts of the fake that handlers share. */
export interface FakeContext {
  readonly world: World
  readonly credentials: CredentialStore
  readonly roles: RoleDirectory
  readonly faults: Faults
  /** How long (virtual ms) a NextToken stays valid. */
  readonly nextTokenTtlMs: number
}

export interface Call {
  readonly fake: FakeContext
  readonly caller: Principal
  readonly region: string
  readonly action: string
  readonly requestId: string
  /** Virtual time of the request. */
  readonly now: number
  readonly request: RequestInfo
}

/** The caller's fleet in the called region; undefined when it has none there. */
export function callerTarget(call: Call): Target | undefined {
  return call.fake.world.target(call.caller.accountId, call.region)
}

/**
 * Starts a paginated answer: decodes the token (or fails as the service does), then lets fault rules
 * fail this page. Returns the position to continue after and a function issuing the next token.
 */
export function beginPage(
  call: Call,
  token: string | undefined,
  target: string,
  query: number,
  invalid: (message: string) => AwsError,
): { after: number; page: number; next: (after: number) => string } {
  const options: PagerOptions = { action: call.action, target, query, now: call.now, ttlMs: call.fake.nextTokenTtlMs, invalid }
  const start = startPage(token, options)
  const fault = call.fake.faults.checkPage(call.request, start.page, invalid)
  if (fault) throw fault
  return { ...start, next: (after) => nextToken(after, start.page, options) }
}
