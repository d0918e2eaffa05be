// A modest-size run of the simulator's scale measurement (the 100k-ENI figures come from
// `npm run bench:fakeaws`). Its timings are for the benchmark to print and compare; this test checks
// only what the measurement counts, which must not depend on how loaded the machine is.
import t from 'tap'
import { measureScale } from '../../bench/fakeaws-scale.ts'

t.test('the scale measurement builds, sweeps and pages a large organisation', async (t) => {
  const r = await measureScale({ accounts: 10, regions: 2, enisPerRegion: 250, deepEnis: 6000, deepPageSize: 100 })
  t.ok(r.enis >= 5000, `${r.enis} ENIs`)
  t.equal(r.sweepRequests, 20, 'one request per target at MaxResults 1000')
  t.equal(r.deep.pages, 60, 'a 6,000-ENI target in pages of 100')
  t.ok(r.ledgerEntries >= r.enis, 'the ledger records every ENI it built')
  t.ok(r.buildMs > 0 && r.sweepMs > 0 && r.heapUsedMiB > 0 && r.rssMiB > 0 && r.churnHourMs >= 0, 'every timing and size was measured')
})
