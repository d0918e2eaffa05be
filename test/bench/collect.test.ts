// bench:collect at a tiny scale (2 accounts × 4 regions, and 20 × 17 for the quiet organisation, its
// intervals shortened to 10 s, measured for 15 s): it runs to the end and prints its seven figures as numbers, the peak
// RSS being the compiled collector process's. The figures themselves are for the full run; this only
// keeps the bench working.
import { execFile } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { childEnv } from '../../support/child-env.ts'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')

t.test('bench:collect prints its figures', async (t) => {
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'bench/collect.ts'],
      // WHOHAD_TEST_DYNAMODB_ENDPOINT (set by npm test) is passed on: the bench then reuses that DynamoDB Local.
      { cwd: ROOT, env: childEnv({ BENCH_SCALE: '0.02', BENCH_POLLS: '1', BENCH_QUIET_POLL_INTERVAL: '10s', BENCH_QUIET_MINUTES: '0.25' }), timeout: 600_000 },
      (err, out, errOut) => (err ? reject(new Error(`${err.message}\n${errOut}`)) : resolve(out)),
    )
  })
  for (const figure of ['1. initial sync ÷ floor', '2. writes per changed holding (steady state)', '3. collector peak RSS (MB)', '4. store items read per steady poll ÷ changed holdings', '5. steady poll cycle ÷ fetch-only cycle', '6. write units per changed holding (DynamoDB Local)', '7. collector CPU s per minute, 340 targets']) {
    const line = stdout.split('\n').find((l) => l.trim().startsWith(figure))
    t.ok(line, `prints "${figure}"`)
    const value = Number(line?.slice(line.indexOf(figure) + figure.length).trim().split(/\s+/)[0])
    t.ok(Number.isFinite(value) && value > 0, `${figure}: ${value} is a positive number`)
  }
  // Store items read per change: a steady cycle may change nothing at this scale (then 0 reads ÷ 1).
  t.match(stdout, /4\. store items read per steady poll ÷ changed holdings\s+\d+\.\d\d/, 'prints the items read per changed holding')
  t.match(stdout, /kept open holdings: .*\d+ store items read/, 'says what the process that kept its targets read')
  t.match(stdout, /floor: [\d.]+ s = max\(rate-limit floor/, 'says how the floor was derived')
  t.match(stdout, /initial sync: .*\d+ writes \([1-9]\d* of them descriptions\)/, 'the initial sync writes descriptions, counted apart')
  t.match(stdout, /\d+ poll states, \d+ instance records, \d+ descriptions and \d+ member-registry entries \([\d.]+ units per changed holding\);/, 'steady-state description and member-registry writes are counted apart from holdings\'')
  t.match(stdout, /collector \(node dist\/cli\.js collect, no V8 flags.*peak \(VmHWM\)/, 'the peak is the compiled collector process\'s own')
  t.match(stdout, /quiet organisation: 340 targets .* sent \d+ AWS requests per minute; \d+ targets quiet at the end/, 'the quiet organisation\'s requests to AWS beside its CPU')
})
