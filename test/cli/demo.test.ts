// `whohad demo` as a user runs it: a real process; the printed addresses are answered at the printed
// times; the printed lines point a program using the AWS SDK (in a process of its own, with nothing but
// those variables) and the AWS CLI at /ec2/ with the demo key, and both list the simulated instances;
// and Ctrl-C stops everything.
import { execFile, spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { promisify } from 'node:util'
import t from 'tap'
import { awsCli } from '../../support/aws-cli.ts'
import { childEnv } from '../../support/child-env.ts'
import { compiledCli, ROOT } from '../../support/cli.ts'

const run = promisify(execFile)
const SDK_PROGRAM = path.join(ROOT, 'test', 'cli', 'fixtures', 'describe-instances.mjs')

interface Listed {
  aws: string[]
  instances?: { id: string; state: string; owner: string; zone: string }[]
  error?: string
}

/** The SDK program in a process whose environment is `env` and nothing else (but tap's switch that keeps it from writing coverage). */
async function sdkList(env: Record<string, string>): Promise<Listed> {
  const { stdout } = await run(process.execPath, [SDK_PROGRAM], { cwd: ROOT, env: { ...env, _TAPJS_PROCESSINFO_COVERAGE_: '0' }, timeout: 60_000 })
  return JSON.parse(stdout) as Listed
}

const byId = (list: readonly { id: string; state: string }[]) => list.map((i) => `${i.id} ${i.state}`).sort()

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
  t.match(out, /a NAT gateway's/, 'a NAT gateway\'s story among them')
  t.match(out, /public, held by \d+ ENIs in turn/)
  for (const [, ip, why, link] of links) {
    const q = new URL(link!).searchParams
    t.equal(q.get('ip'), ip)
    // As the page asks it: the printed time, give or take the page's 5 minutes; the verdict is about the time itself.
    const res = await fetch(`${base}/v1/ips/${encodeURIComponent(ip!)}?at=${encodeURIComponent(q.get('at')!)}&window=${q.get('window') ?? '5m'}`)
    const body = (await res.json()) as { verdict: { state: string; text: string; held: number[] }; holdings: { holder: { eniId: string } }[]; coverage: { state: string } }
    const named = [...why!.matchAll(/\beni-[0-9a-f]+/g)].map((m) => m[0])
    t.ok(named.length >= 1, `${ip}: the story names its holder (${why})`)
    t.equal(body.verdict.state, 'held', `${ip} (${why}): someone is the certain holder at the printed time: ${body.verdict.text}`)
    t.same(body.verdict.held.map((i) => body.holdings[i]!.holder.eniId).sort(), named.sort(), `${ip}: the holder the story names is the certain verdict`)
    const exact = (await (await fetch(`${base}/v1/ips/${encodeURIComponent(ip!)}?at=${encodeURIComponent(q.get('at')!)}`)).json()) as typeof body
    t.equal(exact.coverage.state, 'complete', 'and whohad was watching then')
    t.same(exact.verdict.held.map((i) => exact.holdings[i]!.holder.eniId).sort(), named.sort(), 'asked at the time exactly, the same verdict')
  }
  t.equal((await fetch(`${base}/`)).status, 200, 'the page is served')

  // The lines for SDKs and the CLI, as printed: `export VAR=value …`, then the `aws` command.
  const exported = /^ {2}export (AWS_ENDPOINT_URL_EC2=.+)$/m.exec(out)?.[1]
  const command = /^ {2}aws (ec2 describe-instances .+)$/m.exec(out)?.[1]
  if (!exported || !command) throw new Error(`no SDK or CLI line printed:\n${out}`)
  const env = Object.fromEntries(exported.split(' ').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]))
  t.equal(env.AWS_ENDPOINT_URL_EC2, `${base}/ec2/`, 'the endpoint is the demo\'s /ec2/')
  const region = env.AWS_REGION!
  const accounts = Number(/simulated organisation (\d+) accounts/.exec(out)?.[1])
  // The README shows the lines the demo prints on its default port.
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8')
  for (const line of [`export ${exported}`, `aws ${command}`]) t.ok(readme.includes(line.replaceAll(base, 'http://127.0.0.1:8080')), `the README shows: ${line}`)

  await t.test('the AWS SDK with AWS_ENDPOINT_URL_EC2, the demo key and the region, and nothing else, lists the simulated instances', async (t) => {
    const listed = await sdkList(env)
    t.strictSame(listed.aws, ['AWS_ACCESS_KEY_ID', 'AWS_ENDPOINT_URL_EC2', 'AWS_REGION', 'AWS_SECRET_ACCESS_KEY'], 'its environment: those four variables')
    const instances = listed.instances ?? []
    t.ok(instances.length > 10, `${instances.length} instances`)
    t.equal(new Set(instances.map((i) => i.owner)).size, accounts, `of the ${accounts} simulated accounts`)
    t.ok(instances.every((i) => i.zone.startsWith(region) && /^i-[0-9a-f]{17}$/.test(i.id)), `in ${region}`)
    const wrong = await sdkList({ ...env, AWS_SECRET_ACCESS_KEY: 'not-the-demo-secret-0000' })
    t.equal(wrong.error, 'SignatureDoesNotMatch', 'the demo key is verified: a wrong secret is refused, in EC2 terms')
  })

  const cli = await awsCli()
  await t.test('the AWS CLI with --endpoint-url lists the same instances', { skip: 'missing' in cli && cli.missing }, async (t) => {
    if (!('path' in cli)) return
    t.comment(`${cli.path}: ${(await run(cli.path, ['--version'])).stdout.trim()}`)
    // As a shell that ran the export line runs the command; no ~/.aws of this machine's.
    const cliEnv = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env, AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null' }
    const cliList = async (extra: Record<string, string> = {}) => {
      const { stdout } = await run(cli.path, [...command.split(' '), '--output', 'json'], { env: { ...cliEnv, ...extra }, timeout: 60_000 })
      const reservations = (JSON.parse(stdout) as { Reservations: { Instances: { InstanceId: string; State: { Name: string } }[] }[] }).Reservations
      return reservations.flatMap((r) => r.Instances.map((i) => ({ id: i.InstanceId, state: i.State.Name })))
    }
    // The collector keeps polling a churning organisation: the CLI's list is compared with the SDK's
    // taken just before and just after it, when those two agree (nothing changed in between).
    for (let attempt = 1; ; attempt++) {
      const before = byId((await sdkList(env)).instances ?? [])
      const listed = byId(await cliList())
      const after = byId((await sdkList(env)).instances ?? [])
      if (before.join() === after.join()) {
        t.ok(listed.length > 10, `${listed.length} instances`)
        t.strictSame(listed, before, 'the same instance ids and states as the SDK')
        break
      }
      if (attempt === 5) throw new Error('the instances changed during each of 5 tries')
    }
    await t.rejects(cliList({ AWS_SECRET_ACCESS_KEY: 'not-the-demo-secret-0000' }), /SignatureDoesNotMatch/, 'a wrong secret: the CLI reports EC2\'s error code')
  })

  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  child.kill('SIGINT')
  t.equal(await exited, 0, 'Ctrl-C stops it cleanly')
  t.match(out, /whohad demo: stopped/)
})
