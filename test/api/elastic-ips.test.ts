// An address that DescribeAddresses shows associated is never answered "none of ours" with complete
// coverage, whatever the ENI records say. End to end: the simulated organisation answering in the
// variant where Elastic IPs appear only in DescribeAddresses (and, for contrast, only on the ENIs),
// the real SDK, the collector, the real store, the API.
import t from 'tap'
import { buildApp } from '../../src/api/app.ts'
import { collectOnce } from '../../src/collector/collector.ts'
import { discoverTargets } from '../../src/collector/discover.ts'
import { takeEc2Snapshot } from '../../src/collector/ec2-source.ts'
import type { Target } from '../../src/model/target.ts'
import { type Ec2Variant, startFakeAws } from '../../src/fakeaws/index.ts'
import { fakeSession } from '../../support/fake-session.ts'
import { openTestStore } from '../../support/stores.ts'

for (const variant of ['eip-addresses-only', 'eip-interfaces-only', 'eni-association-only'] as const satisfies readonly Ec2Variant[]) {
  t.test(`${variant}: every associated Elastic IP is answered with its holder`, async (t) => {
    const fake = await startFakeAws({ seed: 21, accounts: 2, regions: 1, enisPerRegion: 40, churn: 120, throttleClock: 'virtual', variants: variant })
    t.teardown(() => fake.close())
    fake.faults.setDefaultThrottling(false)
    const { store } = await openTestStore(t, 'embedded')
    const session = fakeSession(fake)
    t.teardown(() => session.destroy())
    const { targets } = await discoverTargets(session, { homeRegion: fake.regions[0]! })
    const deps = {
      store,
      discover: async () => ({ targets, failures: [] }),
      takeSnapshot: (target: Target) => takeEc2Snapshot(session.ec2(target), { ...target, pollId: `p${fake.clock.now()}`, now: () => fake.clock.now() }),
    }
    const disagreements: number[] = []
    for (let i = 0; i < 3; i++) {
      for (const r of await collectOnce(deps, { maxGapMs: 5 * 60_000, concurrency: 2 }, targets)) disagreements.push(r.disagreements?.total ?? 0)
      fake.clock.advance(60_000)
    }
    const app = await buildApp({ store })
    t.teardown(() => app.fastify.close())
    const at = fake.clock.now() - 90_000 // between the last two polls, both complete
    let asked = 0
    // Every Elastic IP held at `at` in truth (the ledger): an answer must name its ENI.
    for (const e of fake.ledger.entries().filter((x) => x.allocationId && x.start <= at && (x.end === undefined || x.end > at))) {
      const body = (await app.fastify.inject({ method: 'GET', url: `/v1/ips/${e.ip}?at=${at}` })).json()
      t.ok(body.holdings.some((h: { holder: { eniId: string; allocationId?: string } }) => h.holder.eniId === e.eniId && h.holder.allocationId === e.allocationId), `${e.ip} on ${e.eniId} (${body.coverage.state})`)
      asked++
    }
    t.ok(asked >= 3, `${asked} Elastic IPs asked`)
    if (variant !== 'eni-association-only') t.ok(disagreements.some((n) => n > 0), 'the places disagreed, and it was counted')
    else t.ok(disagreements.every((n) => n === 0), 'filling one place of two on the ENI is no disagreement')
  })
}
