// The short stress run, in CI: every fault once, a few seconds of steady lookups each, then ground truth.
import t from 'tap'
import { runStress } from './stress.ts'

t.test('lookups under churn and faults: no errors, no 5xx, and the record is true afterwards', async (t) => {
  const report = await runStress({ phaseSeconds: 8, rounds: 1, rate: 200, log: (line) => t.comment(line) })
  t.comment(`API RSS ${report.apiRssStartMiB.toFixed(0)} MiB at start, ${report.apiRssEndMiB.toFixed(0)} MiB at the end; ${report.dynamoThrottled} DynamoDB requests throttled; ${report.seconds.toFixed(0)} s`)
  for (const p of report.phases) {
    t.equal(p.non2xx + p.errors, 0, `${p.name}: ${p.requests} lookups, none failed`)
    t.ok(p.requests > 0)
  }
  t.ok(report.dynamoThrottled > 0, 'the proxy did throttle')
  const g = report.groundTruth
  t.same(g.missed.slice(0, 5), [], `recall: ${g.truePairs - g.missed.length} of ${g.truePairs} true pairs returned (${g.unknowable} unknowable)`)
  t.same(g.certainFalse.slice(0, 5), [], `certain precision: ${g.certainChecked} certain answers, none false`)
  t.same(g.duplicateOpen, [], 'no duplicate open holdings')
  t.same(g.lookupMismatches.slice(0, 5), [], `the lookup path agrees with the scan on ${g.lookedUp} samples`)
})
