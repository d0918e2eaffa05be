// A modest-size run of the scale measurement (the 100k-ENI numbers come from running src/fakeaws/scale.ts).
import t from 'tap'
import { measureScale } from '../../src/fakeaws/scale.ts'

t.test('building and paging a large organisation stays cheap and linear', async (t) => {
  const r = await measureScale({ accounts: 10, regions: 2, enisPerRegion: 250, deepEnis: 6000, deepPageSize: 100 })
  t.ok(r.enis >= 5000, `${r.enis} ENIs`)
  t.ok(r.buildMs < 10_000, `built in ${r.buildMs.toFixed(0)} ms`)
  t.equal(r.sweepRequests, 20, 'one request per target at MaxResults 1000')
  t.equal(r.deep.pages, 60)
  // Not quadratic: a page deep in the run costs about what an early one does.
  t.ok(r.deep.lastTenthMsPerPage < 4 * r.deep.firstTenthMsPerPage + 5, `${r.deep.firstTenthMsPerPage.toFixed(2)} vs ${r.deep.lastTenthMsPerPage.toFixed(2)} ms/page`)
  t.ok(r.heapUsedMiB > 0 && r.rssMiB > 0 && r.churnHourMs >= 0)
})
