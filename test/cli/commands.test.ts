// What a new user meets first, as real processes: --help on every command, a bad setting stopping every
// command before it serves (naming the variable), and a port in use ending `serve` and `demo` with a
// message, their store closed and the demo's deleted, instead of a process that hangs on.
import { spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import t from 'tap'
import { childEnv } from '../../support/child-env.ts'
import { compiledCli } from '../../support/cli.ts'

const CLI = compiledCli()

interface Ran {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/**
 * Runs `whohad <args>` to its end. A process still running after `deadlineMs` is killed and reported
 * as hanging (code null): that is the failure these tests exist to catch, not a measure of speed.
 */
function whohad(args: string[], env: NodeJS.ProcessEnv = {}, deadlineMs = 120_000): Promise<Ran> {
  const child = spawn(process.execPath, [CLI, ...args], { env: childEnv({ AWS_EC2_METADATA_DISABLED: 'true', ...env }), stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  return new Promise((resolve) => {
    const hung = setTimeout(() => child.kill('SIGKILL'), deadlineMs)
    child.once('exit', (code) => {
      clearTimeout(hung)
      resolve({ code, stdout, stderr })
    })
  })
}

/**
 * Runs `tasks` two at a time, in order: a dozen commands started at once on a loaded machine could each
 * take longer than the deadline that tells a hanging process from a slow one.
 */
async function fewAtATime<T>(tasks: (() => Promise<T>)[], atOnce = 2): Promise<T[]> {
  const results: T[] = []
  for (let i = 0; i < tasks.length; i += atOnce) results.push(...(await Promise.all(tasks.slice(i, i + atOnce).map((task) => task()))))
  return results
}

/** A port something else is listening on, for as long as the test runs. */
async function takenPort(t: { teardown(fn: () => unknown): void }): Promise<number> {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise((resolve) => server.close(resolve)))
  return (server.address() as net.AddressInfo).port
}

function tempDir(t: { teardown(fn: () => unknown): void }, prefix: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

t.test('--help on whohad and on every command', async (t) => {
  const runs = await Promise.all([[], ['--help'], ...['serve', 'collect', 'lookup', 'demo', 'fakeaws'].map((c) => [c, '--help'])].map((args) => whohad(args)))
  for (const [i, name] of ['', '', 'serve', 'collect', 'lookup', 'demo', 'fakeaws'].entries()) {
    t.equal(runs[i]!.code, 0, `whohad ${name} --help: exit 0`)
    t.match(runs[i]!.stdout, new RegExp(`^usage: whohad ${name || '<command>'}`), `whohad ${name} --help: usage on stdout`)
  }
  t.match(runs[0]!.stdout, /serve .*\n.*collect .*\n.*lookup .*\n.*demo .*\n.*fakeaws /, 'the commands, each with a line')
  const unknown = await whohad(['serve', '--port', '9'])
  t.equal(unknown.code, 2, 'an unknown option is a usage error')
  t.match(unknown.stderr, /whohad serve: Unknown option '--port'.*\nwhohad serve --help shows its options/)
  t.equal((await whohad(['nope'])).code, 2)
})

t.test('a bad setting stops every command before it serves, naming the variable, the value and what is accepted', async (t) => {
  const dataDir = tempDir(t, 'whohad-commands-')
  const bad = { WHOHAD_POLL_INTERVAL: 'abc', WHOHAD_DATA_DIR: dataDir, WHOHAD_PORT: '0' }
  const pollInterval = /^whohad: invalid configuration:\n {2}WHOHAD_POLL_INTERVAL="abc": must be a duration like 5m, 90s or 1h30m/
  // [command, environment, the sentence expected]: the same bad setting for every command, then each
  // command's own settings.
  const cases: [string[], NodeJS.ProcessEnv, RegExp][] = [
    [['serve'], bad, pollInterval],
    [['serve', '--api-only'], bad, pollInterval],
    [['collect', '--once'], bad, pollInterval],
    [['lookup', '203.0.113.7', '--at', 'now'], bad, pollInterval],
    [['demo', '--port', '0', '--history', '0'], bad, pollInterval],
    [['fakeaws'], bad, pollInterval],
    [['serve'], { WHOHAD_DATA_DIR: dataDir, WHOHAD_PORT: '99999' }, /WHOHAD_PORT="99999": must be a port number 0-65535/],
    [['serve', '--api-only'], { WHOHAD_DATA_DIR: dataDir, WHOHAD_LOG_LEVEL: 'loud' }, /WHOHAD_LOG_LEVEL="loud": must be one of fatal, error, warn, info, debug, trace, silent/],
    [['serve', '--api-only'], { WHOHAD_DATA_DIR: dataDir, WHOHAD_API_KEYS: 'desk:lookup' }, /WHOHAD_API_KEYS="desk:lookup": must be keys like name:scope1\+scope2:sha256-hex\[:accounts=111111111111\+222222222222\], comma-separated/],
    [['collect', '--once'], { WHOHAD_DATA_DIR: dataDir, WHOHAD_CONCURRENCY: '0' }, /WHOHAD_CONCURRENCY="0": must be a whole number of polls from 1 to 256/],
    [['collect'], { WHOHAD_DATA_DIR: dataDir, WHOHAD_ACCOUNTS: '1234' }, /WHOHAD_ACCOUNTS="1234": must be 12-digit account ids, comma-separated/],
    [['lookup', '203.0.113.7', '--at', 'now'], { WHOHAD_DATA_DIR: dataDir, WHOHAD_URL: 'ftp://whohad' }, /WHOHAD_URL="ftp:\/\/whohad": must be a URL like http:\/\/whohad:8080/],
    [['lookup', '203.0.113.7', '--at', 'now', '--url', 'http://127.0.0.1:9'], { WHOHAD_API_KEY: 'a secret' }, /WHOHAD_API_KEY=\(hidden\): must be the key alone/],
    [['demo', '--history', '0'], { WHOHAD_PORT: 'http' }, /WHOHAD_PORT="http": must be a port number 0-65535/],
    [['demo', '--port', '0', '--history', '0'], { WHOHAD_CACHE_STALE_MS: 'soon' }, /WHOHAD_CACHE_STALE_MS="soon": must be a whole number of milliseconds/],
    [['fakeaws'], { WHOHAD_REDIS_CLUSTER: 'yes' }, /WHOHAD_REDIS_CLUSTER="yes": must be true or false/],
  ]
  const runs = await fewAtATime(cases.map(([args, env]) => () => whohad(args, env)))
  for (const [i, [args, env, sentence]] of cases.entries()) {
    const what = `whohad ${args.join(' ')} with ${Object.keys(env).filter((k) => k !== 'WHOHAD_DATA_DIR').join(', ')}`
    t.equal(runs[i]!.code, 1, `${what}: exit 1`)
    t.match(runs[i]!.stderr, sentence, `${what}: names the variable, the value and what is accepted`)
    t.notMatch(runs[i]!.stdout, /store ready|answering at|API and page|simulated organisation|fakeaws listening/, `${what}: nothing was started`)
  }
  t.notMatch(runs[12]!.stderr, /secret/, 'the lookup key is never shown')
  t.equal(readdirSync(dataDir).length, 0, 'no store was created')
})

t.test('a bad flag stops the demo before it starts anything', async (t) => {
  const runs = await Promise.all([whohad(['demo', '--port', '0', '--interval', 'often']), whohad(['demo', '--port', 'http']), whohad(['demo', '--history', 'all'])])
  t.match(runs[0]!.stderr, /--interval: "often" is not a duration/)
  t.match(runs[1]!.stderr, /--port must be a port number 0-65535, not "http"/)
  t.match(runs[2]!.stderr, /--history must be 0-1440 minutes, not "all"/)
  for (const run of runs) {
    t.equal(run.code, 1)
    t.notMatch(run.stdout, /simulated organisation/)
  }
})

t.test('serve with its port in use: a message, exit 1, the store closed', async (t) => {
  const port = await takenPort(t)
  const dataDir = tempDir(t, 'whohad-commands-')
  const run = await whohad(['serve'], { WHOHAD_PORT: String(port), WHOHAD_DATA_DIR: dataDir })
  t.not(run.code, null, 'it exits instead of hanging with the store open')
  t.equal(run.code, 1)
  t.match(run.stdout, /store ready/, 'the store had been opened')
  t.match(run.stderr, new RegExp(`whohad: port ${port} on 127\\.0\\.0\\.1 is already in use: stop what listens there, or choose another port with WHOHAD_PORT`))
  t.notMatch(run.stderr, /at .*node_modules|EADDRINUSE/, 'a sentence, not a stack trace')
})

t.test('demo with its port in use: a message, exit 1, its temporary store deleted', async (t) => {
  const port = await takenPort(t)
  const tmp = tempDir(t, 'whohad-commands-tmp-')
  const run = await whohad(['demo', '--port', String(port), '--history', '1'], { TMPDIR: tmp })
  t.not(run.code, null, 'it exits instead of hanging')
  t.equal(run.code, 1)
  t.match(run.stderr, new RegExp(`port ${port} on 127\\.0\\.0\\.1 is already in use: .*--port or WHOHAD_PORT`))
  t.same(readdirSync(tmp).filter((f) => f.startsWith('whohad-demo-')), [], 'the temporary store is gone')
})
