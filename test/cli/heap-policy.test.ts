// The collector's heap policy: WHOHAD_MAX_HEAP_MB decides V8 flags (pure), and `whohad collect`
// re-executes itself once with them, keeping its pid, unless the policy is off or the operator sized
// the heap already. A preloaded fixture reports each start of the real compiled process.
import { spawn } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { heapFlags, heapReexec } from '../../src/heap-policy.ts'
import { loadConfig } from '../../src/config.ts'

const maxHeapMb = (env: Record<string, string>) => loadConfig(env).collector.maxHeapMb
import { childEnv } from '../../support/child-env.ts'
import { compiledCli } from '../../support/cli.ts'

const PRINT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'print-heap.mjs')

t.test('the setting: a default, 0 for V8\'s own, a bad value named', async (t) => {
  t.equal(maxHeapMb({}), 256)
  t.equal(maxHeapMb({ WHOHAD_MAX_HEAP_MB: '0' }), 0)
  t.equal(maxHeapMb({ WHOHAD_MAX_HEAP_MB: '512' }), 512)
  for (const bad of ['12', 'lots', '1.5', '-1']) t.throws(() => maxHeapMb({ WHOHAD_MAX_HEAP_MB: bad }), /WHOHAD_MAX_HEAP_MB/, bad)
})

t.test('flags: an old-generation cap and semi-spaces of 1/128 of it, 1–16 MB', async (t) => {
  t.same(heapFlags(0), [])
  t.same(heapFlags(64), ['--max-old-space-size=64', '--max-semi-space-size=1'])
  t.same(heapFlags(256), ['--max-old-space-size=256', '--max-semi-space-size=2'])
  t.same(heapFlags(1024), ['--max-old-space-size=1024', '--max-semi-space-size=8'])
  t.same(heapFlags(8192), ['--max-old-space-size=8192', '--max-semi-space-size=16'])
})

t.test('re-execute only when the heap is not sized yet', async (t) => {
  t.same(heapReexec(192, []), heapFlags(192))
  t.equal(heapReexec(0, []), undefined, 'policy off')
  t.equal(heapReexec(192, ['--max-old-space-size=192', '--max-semi-space-size=2']), undefined, 'already re-executed')
  t.equal(heapReexec(192, [], '--max_old_space_size=999'), undefined, "the operator's NODE_OPTIONS win")
  t.same(heapReexec(192, ['--import', 'x'], '--enable-source-maps'), heapFlags(192), 'other flags do not count')
})

/** The starts `whohad collect --help` (or `collect ...args`) reports with `env`. */
async function starts(env: NodeJS.ProcessEnv, args: string[] = ['--help']): Promise<{ code: number | null; stdout: string; stderr: string; starts: { pid: number; execArgv: string[]; limitMb: number }[] }> {
  const child = spawn(process.execPath, ['--import', PRINT, compiledCli(), 'collect', ...args], { env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
  const lines = stderr.split('\n').filter((l) => l.startsWith('heap-policy: '))
  return { code, stdout, stderr, starts: lines.map((l) => JSON.parse(l.slice('heap-policy: '.length)) as { pid: number; execArgv: string[]; limitMb: number }) }
}

t.test('whohad collect re-executes itself once with the flags, same pid', async (t) => {
  const ran = await starts({ WHOHAD_MAX_HEAP_MB: '128' })
  t.equal(ran.code, 0)
  t.match(ran.stdout, /usage: whohad collect/)
  t.equal(ran.starts.length, 2, 'started twice')
  t.equal(ran.starts[1]!.pid, ran.starts[0]!.pid, 'the same process')
  t.same(ran.starts[1]!.execArgv.slice(0, 2), heapFlags(128))
  t.ok(ran.starts[1]!.limitMb < 256 && ran.starts[0]!.limitMb > 256, `heap limit ${ran.starts[0]!.limitMb} MB, then ${ran.starts[1]!.limitMb} MB`)
})

t.test('no re-execution with the policy off', async (t) => {
  const ran = await starts({ WHOHAD_MAX_HEAP_MB: '0' })
  t.equal(ran.code, 0)
  t.equal(ran.starts.length, 1)
})

t.test('a bad value stops the command, naming the variable', async (t) => {
  // Not re-executed: the command refuses the value itself, as it refuses any bad setting.
  const ran = await starts({ WHOHAD_MAX_HEAP_MB: 'big' }, ['--once'])
  t.equal(ran.code, 1)
  t.match(ran.stderr, /WHOHAD_MAX_HEAP_MB="big": must be 0/)
  t.equal(ran.starts.length, 1)
})
