// The Splunk external lookup example (examples/splunk/whohad_lookup.py) run as Splunk runs it: CSV rows
// on standard input, the same rows with whohad's answers on standard output, against a listening server.
import { spawn, spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { buildApp } from '../../src/api/app.ts'
import { makeHolding } from '../../support/holdings.ts'
import { openTestStore } from '../../support/stores.ts'

const SCRIPT = fileURLToPath(new URL('../../examples/splunk/whohad_lookup.py', import.meta.url))
const T0 = Date.UTC(2026, 10, 20, 10, 0, 0)
const MIN = 60_000
const KEY = 'splunk-bearer-key-0123456789'
const FIELDS = 'ip,time,whohad_certainty,whohad_account,whohad_region,whohad_eni,whohad_instance,whohad_kind,whohad_resource,whohad_vpc,whohad_coverage,whohad_error'

function run(stdin: string, env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('python3', [SCRIPT, 'ip', 'time'], { env: { PATH: process.env.PATH ?? '', ...env } })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
    child.stdin.end(stdin)
  })
}

const python = spawnSync('python3', ['--version']).status === 0

t.test('Splunk rows in, the same rows with who held each address out', { skip: python ? false : 'python3 is not installed (npm test installs it)' }, async (t) => {
  const { store } = await openTestStore(t, 'embedded')
  await store.holdings.apply([
    { kind: 'close', holding: { ...makeHolding({ address: '203.0.113.7', eni: 'eni-0a1', instance: 'i-0a1', start: [T0 - 60 * MIN, T0 - 59 * MIN] }), end: { after: T0 - 10 * MIN, by: T0 - 9 * MIN, evidence: [] } }, closedAt: T0 - 9 * MIN },
    { kind: 'open', holding: makeHolding({ address: '203.0.113.7', eni: 'eni-0b2', instance: 'i-0b2', start: [T0 - 9 * MIN, T0 - 8 * MIN] }) },
    { kind: 'open', holding: makeHolding({ address: '10.0.1.5', eni: 'eni-0c3', instance: 'i-0c3', vpc: 'vpc-0aaa', start: [T0 - 90 * MIN, T0 - 89 * MIN] }) },
    { kind: 'open', holding: makeHolding({ address: '10.0.1.5', eni: 'eni-0d4', vpc: 'vpc-0bbb', start: [T0 - 90 * MIN, T0 - 89 * MIN] }) },
  ])
  await store.targets.put({ accountId: '111111111111', region: 'eu-west-1', consecutiveFailures: 0, firstCompletePoll: T0 - 120 * MIN, lastCompletePoll: T0 + 60 * MIN })
  const app = await buildApp({ store, apiKeys: [{ name: 'splunk', scopes: ['lookup'], sha256: createHash('sha256').update(KEY).digest('hex') }] })
  t.teardown(() => app.fastify.close())
  const url = await app.fastify.listen({ host: '127.0.0.1', port: 0 })

  const sec = (ms: number) => (ms / 1000).toFixed(3)
  // As Splunk sends them: every field of fields_list in the header, the input fields filled in.
  const rows = [
    `203.0.113.7,${sec(T0 - 30 * MIN)},,,,,,,,,,`,
    `203.0.113.7,${sec(T0)},,,,,,,,,,`,
    `10.0.1.5,2026-11-20T10:00:00Z,,,,,,,,,,`,
    ',,,,,,,,,,,',
    `not-an-ip,${sec(T0)},,,,,,,,,,`,
    `198.51.100.1,${sec(T0)},,,,,,,,,,`,
  ]
  const out = await run([FIELDS, ...rows].join('\n') + '\n', { WHOHAD_URL: url, WHOHAD_API_KEY: KEY })
  t.equal(out.code, 0, out.stderr)
  const lines = out.stdout.trim().split('\n')
  t.equal(lines[0], FIELDS, 'the header as it came')
  t.equal(lines[1], `203.0.113.7,${sec(T0 - 30 * MIN)},certain,111111111111,eu-west-1,eni-0a1,i-0a1,instance,,vpc-0aaa,complete,`)
  t.equal(lines[2], `203.0.113.7,${sec(T0)},certain,111111111111,eu-west-1,eni-0b2,i-0b2,instance,,vpc-0aaa,complete,`)
  t.equal(lines[3], '10.0.1.5,2026-11-20T10:00:00Z,"certain, certain","111111111111, 111111111111","eu-west-1, eu-west-1","eni-0c3, eni-0d4","i-0c3, ",' + '"instance, interface",", ","vpc-0aaa, vpc-0bbb",complete,', 'two holders: a value each, in order')
  t.equal(lines[4], ',,,,,,,,,,,', 'a row without an address is passed on as it came')
  t.match(lines[5], /^not-an-ip,[\d.]+,,,,,,,,,,".*""ip"".*"$/, 'a bad address: its error')
  t.equal(lines[6], `198.51.100.1,${sec(T0)},,,,,,,,,complete,`, 'nobody held it, and whohad was watching')
  t.equal(lines.length, 7)

  const refused = await run([FIELDS, rows[0]].join('\n') + '\n', { WHOHAD_URL: url, WHOHAD_API_KEY: 'not-a-key' })
  t.not(refused.code, 0)
  t.match(refused.stderr, /whohad answered 401: .*not known to this server/)
})
