// Puts a collector together from settings: the AWS session, discovery, the EC2 source and the store.
// `whohad collect`, `whohad serve` and `whohad demo` all build it here, so they run the same thing.
import { randomUUID } from 'node:crypto'
import os from 'node:os'
import type { AwsCredentialIdentity } from '@aws-sdk/types'
import { AwsSession, type AwsSessionOptions } from '../aws/session.ts'
import type { CollectorSettings } from '../config.ts'
import type { Store } from '../store/open.ts'
import type { CollectorDeps, CollectorOptions } from './collector.ts'
import { configPass } from './config-pass.ts'
import { discoverTargets } from './discover.ts'
import { takeEc2Snapshot } from './ec2-source.ts'
import type { PollResult } from '../model/poll-result.ts'

export interface CollectorWiring {
  readonly deps: CollectorDeps
  readonly options: CollectorOptions
  readonly session: AwsSession
}

export function wireCollector(
  store: Store,
  settings: CollectorSettings,
  extra: {
    readonly credentials?: AwsCredentialIdentity
    readonly now?: () => number
    readonly onChanged?: (addresses: readonly string[]) => Promise<void>
    readonly onResult?: (result: PollResult) => void
    readonly log?: (message: string) => void
    /** Share targets with other collector processes (continuous mode). */
    readonly leases?: boolean
    /** Per-target request rates (default: half of AWS's; see AwsSession). */
    readonly rateLimits?: AwsSessionOptions['rateLimits']
  } = {},
): CollectorWiring {
  const now = extra.now ?? Date.now
  const session = new AwsSession({
    homeRegion: settings.homeRegion,
    ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
    ...(extra.credentials ? { credentials: extra.credentials } : {}),
    roleName: settings.roleName,
    ...(settings.externalId ? { externalId: settings.externalId } : {}),
    ...(settings.selfAccountId ? { selfAccountId: settings.selfAccountId } : {}),
    ...(extra.rateLimits ? { rateLimits: extra.rateLimits } : {}),
    now,
  })
  let polls = 0
  const deps: CollectorDeps = {
    store,
    discover: () =>
      discoverTargets(session, {
        homeRegion: settings.homeRegion,
        ...(settings.accounts ? { accounts: settings.accounts } : {}),
        ...(settings.include ? { include: settings.include } : {}),
        ...(settings.exclude ? { exclude: settings.exclude } : {}),
        ...(settings.regions ? { regions: settings.regions } : {}),
      }),
    takeSnapshot: (target, signal) =>
      takeEc2Snapshot(session.ec2(target), { ...target, pollId: `${now().toString(36)}-${(polls++).toString(36)}`, now, clockSkewMs: settings.clockSkewMs, ...(signal ? { abortSignal: signal } : {}) }),
    ...(extra.onChanged ? { onChanged: extra.onChanged } : {}),
    ...(extra.onResult ? { onResult: extra.onResult } : {}),
    configPass: (target, stillOwned, signal, memory) =>
      configPass(
        {
          store,
          ...(memory ? { memory } : {}),
          configClient: (t) => session.config(t),
          maxCaptureDelayMs: settings.configMaxDelayMs,
          horizonMs: settings.configHorizonMs,
          now,
          ...(extra.onChanged ? { onChanged: extra.onChanged } : {}),
        },
        target,
        stillOwned,
        signal,
      ),
    ...(extra.log ? { log: extra.log } : {}),
  }
  const options: CollectorOptions = {
    intervalMs: settings.intervalMs,
    maxGapMs: settings.maxGapMs,
    ...(settings.quietEveryMs > 0 ? { quietEveryMs: settings.quietEveryMs } : {}),
    concurrency: settings.concurrency,
    configEveryMs: settings.configEveryMs,
    ...(extra.leases
      ? { leases: { me: `${os.hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`, shards: settings.leaseShards, periodMs: settings.leasePeriodMs } }
      : {}),
  }
  return { deps, options, session }
}
