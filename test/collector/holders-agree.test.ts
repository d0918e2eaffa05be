// One ENI is one holder whichever source recorded it: an EC2 snapshot and AWS Config's history give
// equal holder records for every ENI of every kind the simulated organisation has, read through the
// real SDK clients. (They once disagreed: a Config-only holding came back as `interface` with no name
// where a poll said `lambda my-fn`, and a NAT gateway was `eni-…` in one row and `nat-…` in another.)
import { type Address, DescribeAddressesCommand, type Instance, type NetworkInterface, paginateDescribeInstances, paginateDescribeNetworkInterfaces } from '@aws-sdk/client-ec2'
import t from 'tap'
import { configIntervals, readEniHistory } from '../../src/collector/config-source.ts'
import { transformEc2 } from '../../src/collector/ec2-transform.ts'
import { tagRecord } from '../../src/collector/holder.ts'
import { startFakeAws } from '../../src/fakeaws/index.ts'
import { fakeSession } from '../../support/fake-session.ts'

t.test('EC2 snapshots and Config history give equal holders for every ENI', async (t) => {
  const fake = await startFakeAws({ seed: 5, accounts: 3, regions: 2, enisPerRegion: 60, churn: 240, throttleClock: 'virtual', configDelayMs: [0, 60_000] })
  t.teardown(() => fake.close())
  fake.faults.setDefaultThrottling(false)
  const session = fakeSession(fake)
  t.teardown(() => session.destroy())
  const from = fake.clock.now()
  // Churn for an hour, then stand still long enough for Config to capture every change.
  fake.clock.advance(3_600_000)
  const kinds = new Map<string, number>()
  let compared = 0
  for (const target of fake.activeAccountIds.flatMap((accountId) => fake.regions.map((region) => ({ accountId, region })))) {
    const ec2 = session.ec2(target)
    const pages = { networkInterfaces: [] as NetworkInterface[], instances: [] as Instance[], addresses: [] as Address[] }
    for await (const p of paginateDescribeNetworkInterfaces({ client: ec2 }, {})) pages.networkInterfaces.push(...(p.NetworkInterfaces ?? []))
    for await (const p of paginateDescribeInstances({ client: ec2 }, {})) for (const r of p.Reservations ?? []) pages.instances.push(...(r.Instances ?? []))
    pages.addresses.push(...((await ec2.send(new DescribeAddressesCommand({}))).Addresses ?? []))
    const polled = transformEc2(pages, target).observations
    // Config's ENI items say nothing of the instance; its Name tag, type and image come from
    // DescribeInstances, as they do for a snapshot.
    const byId = new Map(pages.instances.map((i) => [i.InstanceId!, { instanceType: i.InstanceType, imageId: i.ImageId, tags: tagRecord(i.Tags) }]))
    const read = await readEniHistory(session.config(target), { from, to: fake.clock.now() })
    if (!read.available) return t.fail(`Config unavailable: ${read.reason}`)
    const current = configIntervals(read.items, target, { maxCaptureDelayMs: 60_000, instance: (id) => byId.get(id) }).filter((c) => !c.end)
    const fromConfig = new Map(current.map((c) => [`${c.address}|${c.scope}|${c.holder.eniId}`, c.holder]))
    for (const o of polled) {
      const other = fromConfig.get(`${o.address}|${o.scope}|${o.holder.eniId}`)
      // A change Config has not captured yet is the one thing it may not know (the fake's oracle says which).
      if (fake.configTruth(o.holder.eniId).some((c) => c.captureTime > fake.clock.now())) continue
      if (!other) return t.fail(`Config has no current interval for ${o.address} on ${o.holder.eniId}`)
      t.same(other, o.holder, `${o.holder.kind} ${o.holder.eniId} ${o.address}`)
      kinds.set(o.holder.kind, (kinds.get(o.holder.kind) ?? 0) + 1)
      compared++
    }
  }
  t.ok(compared > 100, `${compared} holdings compared`)
  for (const k of ['instance', 'lambda', 'load-balancer', 'nat-gateway', 'vpc-endpoint']) t.ok(kinds.has(k), `the organisation has ${k} ENIs`)
})
