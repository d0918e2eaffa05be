// A simulated organisation for tests and benchmarks that need what the collector records from it: the
// fake AWS (unthrottled), a session on it, its targets, and a poll of one target into a store as the
// collector runs it (the EC2 snapshot source through the real SDK, on the fake's virtual clock).
import type { AwsSession } from '../src/aws/session.ts'
import { discoverTargets } from '../src/collector/discover.ts'
import { takeEc2Snapshot } from '../src/collector/ec2-source.ts'
import { pollTarget, type PollDeps } from '../src/collector/poll.ts'
import { type FakeAws, startFakeAws } from '../src/fakeaws/index.ts'
import type { FakeAwsOptions } from '../src/fakeaws/fake.ts'
import type { Target } from '../src/model/target.ts'
import { fakeSession } from './fake-session.ts'

export interface FakeOrganisation {
  readonly fake: FakeAws
  readonly session: AwsSession
  readonly region: string
  readonly targets: readonly Target[]
  /** One complete-or-not poll of `target` into `store`. */
  poll(store: PollDeps['store'], target: Target, pollId: string): ReturnType<typeof pollTarget>
}

export async function fakeOrganisation(options: FakeAwsOptions, teardown: (fn: () => unknown) => void): Promise<FakeOrganisation> {
  const fake = await startFakeAws({ throttleClock: 'virtual', ...options })
  teardown(() => fake.close())
  fake.faults.setDefaultThrottling(false)
  const session = fakeSession(fake)
  teardown(() => session.destroy())
  const region = fake.regions[0]!
  const { targets } = await discoverTargets(session, { homeRegion: region })
  return {
    fake,
    session,
    region,
    targets,
    poll: (store, target, pollId) =>
      pollTarget({ store, takeSnapshot: (x: Target) => takeEc2Snapshot(session.ec2(x), { ...x, pollId, now: () => fake.clock.now() }), maxGapMs: 3_600_000 }, target),
  }
}
