import t from 'tap'
import { parseFlags, run } from '../../src/cli/fakeaws.ts'

function capture(): { stdout: { write(s: string): boolean }; stderr: { write(s: string): boolean }; out: () => string; err: () => string } {
  let out = ''
  let err = ''
  return {
    stdout: { write: (s: string) => ((out += s), true) },
    stderr: { write: (s: string) => ((err += s), true) },
    out: () => out,
    err: () => err,
  }
}

t.test('flags', async (t) => {
  t.same(parseFlags(['--accounts', '20', '--regions', '3', '--enis-per-region', '200', '--seed', '7', '--port', '0']), {
    accounts: 20,
    regions: 3,
    enisPerRegion: 200,
    seed: 7,
    port: 0,
    clock: 'virtual',
    throttling: 'aws',
  })
  t.match(parseFlags(['--regions', 'eu-west-1, us-east-1', '--realtime', '--no-throttling', '--churn', '2.5', '--external-id', 'x', '--role-name', 'r', '--host', '::1']), {
    regions: ['eu-west-1', 'us-east-1'],
    clock: 'realtime',
    throttling: 'off',
    churn: 2.5,
    externalId: 'x',
    roleName: 'r',
    host: '::1',
  })
  t.equal(parseFlags(['--help']), 'help')
  t.throws(() => parseFlags(['--accounts', 'many']), /whole number/)
  t.throws(() => parseFlags(['--churn', '-1']), /churn/)
  t.throws(() => parseFlags(['--bogus']))
})

t.test('runs standalone, prints endpoint and credentials, stops cleanly', async (t) => {
  const io = capture()
  let stop: () => void = () => {}
  const until = new Promise<void>((resolve) => (stop = resolve))
  const exit = run(['--accounts', '3', '--regions', '2', '--enis-per-region', '20', '--seed', '7'], { ...io, until })
  for (let i = 0; i < 100 && !io.out().includes('world:'); i++) await new Promise((r) => setTimeout(r, 20))
  const endpoint = /listening on (http:\/\/\S+)/.exec(io.out())?.[1]
  t.ok(endpoint, io.out())
  t.match(io.out(), /AWS_ACCESS_KEY_ID=AKIA[A-Z2-7]{16} AWS_SECRET_ACCESS_KEY=\S{40}/)
  t.match(io.out(), /3 accounts \(3 active\) x 2 regions \[us-east-1,eu-west-1\], \d+ ENIs/)
  const summary = (await (await fetch(`${endpoint}/_fake/summary`)).json()) as { targets: number }
  t.equal(summary.targets, 6)
  stop()
  t.equal(await exit, 0)
  t.match(io.out(), /fakeaws stopped/)
  await t.rejects(fetch(`${endpoint}/_fake/summary`), 'the server is closed')
})

t.test('realtime mode follows the wall clock', async (t) => {
  const io = capture()
  let stop: () => void = () => {}
  const until = new Promise<void>((resolve) => (stop = resolve))
  const exit = run(['--accounts', '1', '--regions', '1', '--enis-per-region', '5', '--realtime', '--external-id', 'xyz'], { ...io, until })
  for (let i = 0; i < 100 && !io.out().includes('world:'); i++) await new Promise((r) => setTimeout(r, 20))
  t.match(io.out(), /realtime clock at 20\d\d-/)
  t.match(io.out(), /ExternalId xyz/)
  const endpoint = /listening on (http:\/\/\S+)/.exec(io.out())?.[1] as string
  const clock = (await (await fetch(`${endpoint}/_fake/clock`)).json()) as { now: number; mode: string }
  t.equal(clock.mode, 'realtime')
  t.ok(Math.abs(clock.now - Date.now()) < 5_000, 'time is now')
  stop()
  t.equal(await exit, 0)
})

t.test('usage and bad flags', async (t) => {
  const help = capture()
  t.equal(await run(['--help'], help), 0)
  t.match(help.out(), /usage: whohad fakeaws/)
  const bad = capture()
  t.equal(await run(['--accounts', 'x'], bad), 2)
  t.match(bad.err(), /--accounts must be a whole number/)
})
