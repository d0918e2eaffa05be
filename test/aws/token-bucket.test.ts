// The per-target token bucket: its arithmetic on a fake clock, and that it sits in the SDK's request
// path (every attempt, retries included) of a real EC2 client talking to the simulated organisation.
import { DescribeRegionsCommand, EC2Client } from '@aws-sdk/client-ec2'
import t from 'tap'
import { limitClient, TokenBucket } from '../../src/aws/token-bucket.ts'
import { startFakeAws } from '../../src/fakeaws/index.ts'

function fakeTime() {
  let now = 0
  const waits: number[] = []
  return { now: () => now, sleep: async (ms: number) => { waits.push(ms); now += ms }, waits, advance: (ms: number) => (now += ms) }
}

t.test('a burst, then the refill rate; idle time refills up to the burst', async (t) => {
  const clock = fakeTime()
  const bucket = new TokenBucket({ ratePerSecond: 10, burst: 3, now: clock.now, sleep: clock.sleep })
  for (let i = 0; i < 3; i++) await bucket.take()
  t.same(clock.waits, [], 'the burst is free')
  await bucket.take()
  await bucket.take()
  t.equal(clock.now(), 200, 'then one token per 100 ms')
  clock.advance(10_000)
  const before = clock.waits.length
  for (let i = 0; i < 3; i++) await bucket.take()
  t.equal(clock.waits.length, before, 'a long pause refills the burst, no more')
  await bucket.take()
  t.ok(clock.waits.length > before, 'the fourth waits again')
  // Concurrent callers are served one token each, in order.
  const order: number[] = []
  await Promise.all([0, 1, 2].map((i) => bucket.take().then(() => order.push(i))))
  t.same(order, [0, 1, 2])
})

t.test('every attempt of a real SDK client takes a token, retries included', async (t) => {
  const fake = await startFakeAws({ seed: 3, accounts: 1, regions: 1, enisPerRegion: 1, throttling: 'off' })
  t.teardown(() => fake.close())
  const clock = fakeTime()
  const bucket = new TokenBucket({ ratePerSecond: 5, burst: 2, now: clock.now, sleep: clock.sleep })
  const config = fake.clientConfig({ maxAttempts: 3 })
  const client = limitClient(new EC2Client({ ...config, retryMode: 'standard' }), bucket)
  t.teardown(() => client.destroy())
  for (let i = 0; i < 6; i++) await client.send(new DescribeRegionsCommand({}))
  t.equal(clock.now(), 800, '6 calls at 5/s after a burst of 2: 4 waits of 200 ms')
  // One failure then success: two attempts, two tokens.
  fake.faults.add({ kind: 'error', match: { service: 'ec2', action: 'DescribeRegions' }, code: 'InternalError', status: 500, times: 1 })
  await client.send(new DescribeRegionsCommand({}))
  t.equal(clock.now(), 1200, 'a retried call took a token per attempt')
})
