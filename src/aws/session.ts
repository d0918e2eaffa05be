// Credentials and clients for every target. Member accounts are read through a role assumed from the
// collector's own credentials (with an ExternalId when configured); role credentials are cached until
// shortly before they expire, by a clock the caller gives (the simulated organisation expires them on
// its virtual clock). Clients are cached per target; `endpoint` points every service at one place
// (the simulated organisation), and is unset against AWS. Every client sends through one pair of
// keep-alive agents, so that connections (and TLS sessions) are pooled per endpoint host rather than
// per target: an account's client that polls a quiet region every few minutes would otherwise find its
// own idle connection closed each time and pay a new TCP and TLS handshake per poll, while the
// region's endpoint is being used by its other accounts' polls all the while.
import { Agent as HttpAgent } from 'node:http'
import { Agent as HttpsAgent } from 'node:https'
import { ConfigServiceClient } from '@aws-sdk/client-config-service'
import { EC2Client } from '@aws-sdk/client-ec2'
import { OrganizationsClient } from '@aws-sdk/client-organizations'
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts'
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@aws-sdk/types'
import type { Target } from '../model/target.ts'
import { limitClient, TokenBucket } from './token-bucket.ts'

export interface AwsSessionOptions {
  /** Region for the organisation-wide calls (Organizations, STS). */
  readonly homeRegion: string
  readonly endpoint?: string
  /** The collector's own credentials; the SDK's default chain when absent. */
  readonly credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider
  readonly roleName: string
  readonly externalId?: string
  /** The collector's own account: polled with its own credentials, no role. */
  readonly selfAccountId?: string
  readonly maxAttempts?: number
  readonly now?: () => number
  /** Refresh role credentials this long before they expire. */
  readonly refreshBeforeMs?: number
  /**
   * Requests per second per target and service, and the burst: below AWS's own buckets (EC2's
   * Describe calls refill at 20/s with a burst of 100 per account and region; Config's at a few per second).
   */
  readonly rateLimits?: { readonly ec2: { ratePerSecond: number; burst: number }; readonly config: { ratePerSecond: number; burst: number } }
}

/** Half of AWS's default refill rates, so that whohad never takes more than half an account's share. */
export const DEFAULT_RATE_LIMITS = { ec2: { ratePerSecond: 10, burst: 20 }, config: { ratePerSecond: 2, burst: 4 } }

export class AccessDeniedError extends Error {
  override readonly name = 'AccessDeniedError'
}

export class AwsSession {
  private readonly roleCache = new Map<string, { credentials: Promise<AwsCredentialIdentity>; expires: number }>()
  private readonly clients = new Map<string, EC2Client | ConfigServiceClient>()
  private readonly now: () => number
  private stsClient: STSClient | undefined
  private orgClient: OrganizationsClient | undefined
  // No cap on sockets per host: the collector's own concurrency bounds the requests in flight, and a
  // cap shared by every target of one endpoint (the simulated organisation is one host) would queue them.
  private readonly agents = { httpAgent: new HttpAgent({ keepAlive: true }), httpsAgent: new HttpsAgent({ keepAlive: true }) }

  constructor(private readonly options: AwsSessionOptions) {
    this.now = options.now ?? Date.now
  }

  private common(region: string) {
    return {
      region,
      ...(this.options.endpoint ? { endpoint: this.options.endpoint } : {}),
      maxAttempts: this.options.maxAttempts ?? 6,
      // Adaptive retries slow a client down when AWS throttles it, on top of backoff with jitter.
      retryMode: 'adaptive',
      requestHandler: this.agents,
    }
  }

  organizations(): OrganizationsClient {
    this.orgClient ??= new OrganizationsClient({ ...this.common(this.options.homeRegion), ...this.baseCredentials() })
    return this.orgClient
  }

  private sts(): STSClient {
    this.stsClient ??= new STSClient({ ...this.common(this.options.homeRegion), ...this.baseCredentials() })
    return this.stsClient
  }

  private baseCredentials() {
    return this.options.credentials ? { credentials: this.options.credentials } : {}
  }

  /** Credentials for reading an account: its role's, or our own for our own account. */
  credentialsFor(accountId: string): AwsCredentialIdentityProvider | AwsCredentialIdentity | undefined {
    if (accountId === this.options.selfAccountId) return this.options.credentials
    return () => this.roleCredentials(accountId)
  }

  private roleCredentials(accountId: string): Promise<AwsCredentialIdentity> {
    const cached = this.roleCache.get(accountId)
    const margin = this.options.refreshBeforeMs ?? 5 * 60_000
    if (cached && cached.expires - margin > this.now()) return cached.credentials
    const roleArn = `arn:aws:iam::${accountId}:role/${this.options.roleName}`
    // One AssumeRole in flight per account, shared by every caller.
    const credentials = this.sts()
      .send(
        new AssumeRoleCommand({
          RoleArn: roleArn,
          RoleSessionName: 'whohad',
          ...(this.options.externalId ? { ExternalId: this.options.externalId } : {}),
        }),
      )
      .then((out) => {
        const c = out.Credentials
        if (!c?.AccessKeyId || !c.SecretAccessKey) throw new Error(`AssumeRole ${roleArn} returned no credentials`)
        const expires = c.Expiration ? c.Expiration.getTime() : this.now() + 15 * 60_000
        this.roleCache.set(accountId, { credentials, expires })
        return {
          accessKeyId: c.AccessKeyId,
          secretAccessKey: c.SecretAccessKey,
          ...(c.SessionToken ? { sessionToken: c.SessionToken } : {}),
          // The SDK caches identities by their expiration on the wall clock; this cache keeps them by
          // `now`, which may be another clock. Marking them as about to expire makes the SDK ask this
          // cache before every request, which costs a map lookup.
          expiration: new Date(Date.now() + 60_000),
        }
      })
      .catch((err: unknown) => {
        this.roleCache.delete(accountId)
        const e = err as Error
        if (e.name === 'AccessDenied' || e.name === 'AccessDeniedException' || /not authorized|AccessDenied/i.test(e.message)) {
          throw new AccessDeniedError(`account ${accountId}: cannot assume ${roleArn}${this.options.externalId ? ' (with the configured ExternalId)' : ''}: ${e.message}`)
        }
        throw err
      })
    // Until it resolves, callers share the promise; its expiry is set when it arrives.
    this.roleCache.set(accountId, { credentials, expires: Number.POSITIVE_INFINITY })
    return credentials
  }

  ec2(target: Target): EC2Client {
    const limits = (this.options.rateLimits ?? DEFAULT_RATE_LIMITS).ec2
    return this.client(`ec2|${target.accountId}|${target.region}`, () => limitClient(new EC2Client({ ...this.common(target.region), ...this.credentialsOption(target.accountId) }), new TokenBucket(limits))) as EC2Client
  }

  config(target: Target): ConfigServiceClient {
    const limits = (this.options.rateLimits ?? DEFAULT_RATE_LIMITS).config
    return this.client(`config|${target.accountId}|${target.region}`, () => limitClient(new ConfigServiceClient({ ...this.common(target.region), ...this.credentialsOption(target.accountId) }), new TokenBucket(limits))) as ConfigServiceClient
  }

  private credentialsOption(accountId: string) {
    const c = this.credentialsFor(accountId)
    return c ? { credentials: c } : {}
  }

  private client(key: string, make: () => EC2Client | ConfigServiceClient) {
    let c = this.clients.get(key)
    if (!c) {
      c = make()
      // The SDK's logger middleware copies every request and response, its sensitive fields masked,
      // for a logger whohad never gives it: 6–9% of the CPU of a DescribeNetworkInterfaces call.
      c.middlewareStack.remove('loggerMiddleware')
      this.clients.set(key, c)
    }
    return c
  }

  destroy(): void {
    for (const c of this.clients.values()) c.destroy()
    this.clients.clear()
    this.stsClient?.destroy()
    this.orgClient?.destroy()
    this.agents.httpAgent.destroy()
    this.agents.httpsAgent.destroy()
  }
}
