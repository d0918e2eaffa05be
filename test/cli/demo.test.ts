// `whohad demo` as a user runs it: a real process; the printed addresses are answered at the printed
// times, and Ctrl-C stops everything.
import { spawn } from 'node:child_process'
import t from 'tap'
import { childEnv } from '../../support/child-env.ts'
import { compiledCli } from '../../support/cli.ts'

t.test('whohad demo answers for the addresses it prints, and stops on SIGINT', async (t) => {
  const child = spawn(process.execPath, [compiledCli(), 'demo', '--port', '0', '--history', '15', '--interval', '5s'], {
    env: childEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  child.stdout.on('data', (d: Buffer) => (out += d.toString()))
  t.teardown(() => child.kill('SIGKILL'))
  const started = Date.now()
  while (!/Press Ctrl-C/.test(out)) {
    if (child.exitCode !== null) throw new Error(`demo exited early (${child.exitCode}):\n${out}`)
    if (Date.now() - started > 120_000) throw new Error(`demo did not start in 2 minutes:\n${out}`)
    await new Promise((r) => setTimeout(r, 200))
  }
  t.comment(`demo ready in ${((Date.now() - started) / 1000).toFixed(1)} s`)
  const base = /answering at (http:\/\/\S+)/.exec(out)![1]!
  const links = [...out.matchAll(/^ {2}(\S+) +(.+): (http:\/\/\S+)$/gm)]
  t.ok(links.length >= 2, `${links.length} addresses with a story printed`)
  t.match(out, /public, held by \d+ ENIs in turn/)
  for (const [, ip, why, link] of links) {
    const q = new URL(link!).searchParams
    t.equal(q.get('ip'), ip)
    const res = await fetch(`${base}/v1/ips/${encodeURIComponent(ip!)}?at=${encodeURIComponent(q.get('at')!)}`)
    const body = (await res.json()) as { holdings: unknown[]; coverage: { state: string } }
    t.ok(body.holdings.length >= 1, `${ip} (${why}) has a holder at the printed time`)
    t.equal(body.coverage.state, 'complete', 'and whohad was watching then')
  }
  t.equal((await fetch(`${base}/`)).status, 200, 'the page is served')
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  child.kill('SIGINT')
  t.equal(await exited, 0, 'Ctrl-C stops it cleanly')
  t.match(out, /whohad demo: stopped/)
})
