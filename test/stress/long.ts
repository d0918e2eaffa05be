// `npm run stress`: the long stress run (every fault, twice, a minute of load each: about twelve
// minutes), printing per-phase latency, API memory and the ground-truth figures. Exit 1 on any failure.
// STRESS_PHASE_SECONDS and STRESS_ROUNDS change its length.
import { runStress } from './stress.ts'

const log = (line: string) => process.stdout.write(`${line}\n`)
const report = await runStress({
  phaseSeconds: Number(process.env.STRESS_PHASE_SECONDS ?? 60),
  rounds: Number(process.env.STRESS_ROUNDS ?? 2),
  rate: Number(process.env.STRESS_RATE ?? 300),
  log,
})
const failedLookups = report.phases.reduce((n, p) => n + p.non2xx + p.errors, 0)
const g = report.groundTruth
const problems = [
  failedLookups > 0 && `${failedLookups} lookups failed`,
  g.missed.length > 0 && `recall below 100% (${g.missed.length} missed)`,
  g.certainFalse.length > 0 && `${g.certainFalse.length} certain answers false`,
  g.duplicateOpen.length > 0 && `${g.duplicateOpen.length} duplicate open holdings`,
  g.lookupMismatches.length > 0 && `${g.lookupMismatches.length} lookup/scan disagreements`,
].filter(Boolean)
log(`\nstress: ${report.seconds.toFixed(0)} s; ${report.phases.reduce((n, p) => n + p.requests, 0)} lookups, ${failedLookups} failed; API RSS ${report.apiRssStartMiB.toFixed(0)} → ${report.apiRssEndMiB.toFixed(0)} MiB; ${report.dynamoThrottled} DynamoDB requests throttled; collector killed ${report.collectorRestarts} times`)
log(problems.length ? `FAILED: ${problems.join('; ')}` : 'passed: no failed lookups; recall and certain precision 100%; no duplicate open holdings')
process.exitCode = problems.length ? 1 : 0
