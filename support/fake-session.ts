// An AwsSession on the simulated organisation, as the collector builds one against AWS.
import { AwsSession } from '../src/aws/session.ts'
import type { FakeAws } from '../src/fakeaws/index.ts'

export function fakeSession(fake: FakeAws, maxAttempts = 3): AwsSession {
  return new AwsSession({
    homeRegion: fake.regions[0]!,
    endpoint: fake.endpoint,
    credentials: fake.managementCredentials,
    roleName: fake.roleName,
    ...(fake.externalId ? { externalId: fake.externalId } : {}),
    selfAccountId: fake.managementAccountId,
    now: () => fake.clock.now(),
    maxAttempts,
    // Tests on the virtual clock make an hour of polls in seconds of real time: the real-time token
    // buckets would only slow them (the buckets are tested on their own in test/aws/token-bucket.test.ts).
    rateLimits: { ec2: { ratePerSecond: 1e6, burst: 1e6 }, config: { ratePerSecond: 1e6, burst: 1e6 } },
  })
}
