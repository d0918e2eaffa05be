// Starting a simulated organisation: the world, its clock, credentials, faults and the HTTP server that
// the real AWS SDK clients talk to. This is the API tests, benchmarks and `whohad demo` use.
import type { AddressInfo } from 'node:net'
import { CredentialStore } from './auth.ts'
import type { Credentials } from './auth.ts'
import type { Clock, ClockMode } from './clock.ts'
import { realtimeClock, virtualClock } from './clock.ts'
import type { ConfigChange } from './config-history.ts'
import { Faults } from './faults.ts'
import type { Ledger } from './ledger.ts'
import { createFakeServer } from './server.ts'
import { RoleDirectory } from './services/call.ts'
import { configTruth } from './truth.ts'
import type { WorldOptions } from './world-options.ts'
import { World } from './world.ts'

export interface FakeAwsOptions extends WorldOptions {
  /** `virtual` (default): time moves only by clock.advance(). `realtime`: it follows the wall clock. */
  readonly clock?: ClockMode
  /** Default 127.0.0.1 and an ephemeral port. */
  readonly host?: string
  readonly port?: number
  /** The role every member account trusts the management account to assume. Default `whohad-read`. */
  readonly roleName?: string
  /** ExternalId every role requires (override per account with fake.roles.setExternalId). Default none. */
  readonly externalId?: string
  /** AWS's default token buckets on (`aws`, default) or `off`. */
  readonly throttling?: 'aws' | 'off'
  /** Clock the default buckets refill on. Default `real`, as the SDK's retry back-off waits in real time. */
  readonly throttleClock?: 'real' | 'virtual'
  /** Virtual ms a NextToken stays valid. Default 24 h. */
  readonly nextTokenTtlMs?: number
}

export interface FakeClock {
  readonly mode: ClockMode
  now(): number
  /** Moves time forward and applies every world event due by then. Returns the new now. */
  advance(ms: number): number
}

/** What an AWS SDK v3 client constructor needs to talk to the fake. */
export interface FakeClientConfig {
  readonly endpoint: string
  readonly region: string
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string; readonly sessionToken?: string }
  readonly maxAttempts: number
}

export interface FakeAws {
  readonly endpoint: string
  readonly port: number
  readonly organizationId: string
  readonly managementAccountId: string
  readonly managementCredentials: { readonly accessKeyId: string; readonly secretAccessKey: string }
  /** Every account in ListAccounts order (management first), active or not. */
  readonly accountIds: readonly string[]
  /** Accounts with State ACTIVE: the ones with fleets and assumable roles. */
  readonly activeAccountIds: readonly string[]
  /** The enabled regions: exactly where the fleets are. */
  readonly regions: readonly string[]
  readonly roleName: string
  readonly externalId: string | undefined
  roleArn(accountId: string): string
  readonly clock: FakeClock
  readonly ledger: Ledger
  readonly faults: Faults
  readonly roles: RoleDirectory
  readonly world: World
  /** Every Config item of a resource with its true change time and its capture time. */
  configTruth(resourceId: string): ConfigChange[]
  /** Role credentials for an account without going through STS (no expiry unless durationSeconds). */
  credentialsFor(accountId: string, options?: { readonly durationSeconds?: number }): Credentials
  /** SDK client settings: management credentials by default, or an account's role credentials. */
  clientConfig(options?: { readonly region?: string; readonly accountId?: string; readonly credentials?: FakeClientConfig['credentials']; readonly maxAttempts?: number }): FakeClientConfig
  close(): Promise<void>
}

export async function startFakeAws(options: FakeAwsOptions = {}): Promise<FakeAws> {
  // A realtime world starts now, so its launch and attach times read as current.
  const realtime = options.clock === 'realtime'
  const startTime = realtime ? (options.startTime ?? Math.floor(Date.now() / 1000) * 1000) : options.startTime
  const world = new World({ ...options, ...(startTime === undefined ? {} : { startTime }) })
  const baseClock: Clock = realtime ? realtimeClock(world.options.startTime) : virtualClock(world.options.startTime)
  world.attachClock(baseClock)
  const clock: FakeClock = {
    mode: baseClock.mode,
    now: () => baseClock.now(),
    advance(ms: number): number {
      baseClock.advance(ms)
      world.catchUp()
      return baseClock.now()
    },
  }
  const management = world.managementAccount
  const credentials = new CredentialStore(world.seed, management.id)
  const roleName = options.roleName ?? 'whohad-read'
  const roles = new RoleDirectory(roleName, options.externalId)
  const faults = new Faults({
    seed: world.seed,
    throttling: options.throttling ?? 'aws',
    throttleClock: options.throttleClock ?? 'real',
    virtualNow: () => baseClock.now(),
  })
  const context = { world, credentials, roles, faults, nextTokenTtlMs: options.nextTokenTtlMs ?? 24 * 3_600_000 }
  const server = createFakeServer({ fake: context, clock })
  const host = options.host ?? '127.0.0.1'
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const port = (server.address() as AddressInfo).port
  const endpoint = `http://${host.includes(':') ? `[${host}]` : host}:${port}`
  const roleArn = (accountId: string): string => `arn:aws:iam::${accountId}:role/${roleName}`
  let closed: Promise<void> | undefined
  const fake: FakeAws = {
    endpoint,
    port,
    organizationId: world.organizationId,
    managementAccountId: management.id,
    managementCredentials: { accessKeyId: credentials.management.accessKeyId, secretAccessKey: credentials.management.secretAccessKey },
    accountIds: world.accounts.map((a) => a.id),
    activeAccountIds: world.accounts.filter((a) => a.state === 'ACTIVE').map((a) => a.id),
    regions: world.options.regions,
    roleName,
    externalId: options.externalId,
    roleArn,
    clock,
    ledger: world.ledger,
    faults,
    roles,
    world,
    configTruth: (resourceId) => configTruth(world, resourceId),
    credentialsFor(accountId, o = {}) {
      const account = world.account(accountId)
      if (!account || account.state !== 'ACTIVE') throw new Error(`no active account ${accountId} in the fake organisation`)
      const expiration = o.durationSeconds === undefined ? Number.POSITIVE_INFINITY : clock.now() + o.durationSeconds * 1000
      const p = credentials.issue(accountId, roleName, 'fake-direct', expiration)
      return { accessKeyId: p.accessKeyId, secretAccessKey: p.secretAccessKey, sessionToken: p.sessionToken as string, expiration }
    },
    clientConfig(o = {}) {
      const creds =
        o.credentials ??
        (o.accountId !== undefined
          ? (({ accessKeyId, secretAccessKey, sessionToken }) => ({ accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) }))(fake.credentialsFor(o.accountId))
          : fake.managementCredentials)
      return { endpoint, region: o.region ?? world.options.regions[0] ?? 'us-east-1', credentials: creds, maxAttempts: o.maxAttempts ?? 3 }
    },
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
      return closed
    },
  }
  return fake
}
