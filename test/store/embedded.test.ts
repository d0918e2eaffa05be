// The embedded store through `whohad serve`, as a user runs it: a second process on the same data
// directory must stop with a clear message, and data survives a restart.
import { spawn } from 'node:child_process'
import t from 'tap'
import { childEnv } from '../../support/child-env.ts'
import { compiledCli } from '../../support/cli.ts'

function serve(dataDir: string) {
  const child = spawn(process.execPath, [compiledCli(), 'serve'], {
    env: childEnv({ WHOHAD_DATA_DIR: dataDir, WHOHAD_PORT: '0', AWS_EC2_METADATA_DISABLED: 'true' }),
  })
  let out = ''
  child.stdout.on('data', (d) => (out += d))
  child.stderr.on('data', (d) => (out += d))
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
  const ready = async () => {
    for (let i = 0; i < 300 && !out.includes('Ctrl-C') && child.exitCode === null; i++) await new Promise((r) => setTimeout(r, 100))
  }
  return { child, exited, ready, output: () => out }
}

t.test('one process per data directory, and the table persists', async (t) => {
  const dir = t.testdir()
  const first = serve(dir)
  await first.ready()
  t.match(first.output(), /store ready: embedded .* \(table created\)/)
  const second = serve(dir)
  t.equal(await second.exited, 1, 'the second process stops')
  t.match(second.output(), /in use by another whohad process/)
  t.notMatch(second.output(), /at .*node_modules/, 'with a message, not a stack trace')
  first.child.kill('SIGINT')
  t.equal(await first.exited, 0, 'Ctrl-C stops cleanly')
  const again = serve(dir)
  await again.ready()
  t.match(again.output(), /table found/, 'the data survived the restart')
  again.child.kill('SIGTERM')
  await again.exited
})
