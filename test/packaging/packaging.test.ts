// The Dockerfile and docker-compose.yml, checked without a Docker engine: what they say (structure, a
// non-root user, a health check, production dependencies only, compiled code only, every variable one
// the code reads and the README documents), and that the image's start command, run outside Docker on
// this checkout's dist/ with the compose API service's environment, serves /healthz to the image's own
// HEALTHCHECK command and the page from dist/, and refuses to open on 0.0.0.0 without keys.
import { type ChildProcess, spawn } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { createServer } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import t, { type Test } from 'tap'
import { parse } from 'yaml'
import { loadConfig, VARIABLES } from '../../src/config.ts'
import { childEnv } from '../../support/child-env.ts'
import { compiledCli } from '../../support/cli.ts'

const root = path.resolve(import.meta.dirname, '../..')
const read = (file: string) => readFileSync(path.join(root, file), 'utf8')

// ---- docker-compose.yml ----------------------------------------------------------------------------

interface Service {
  image?: string
  build?: unknown
  command?: string[]
  environment?: Record<string, string | null>
  ports?: string[]
  profiles?: string[]
  healthcheck?: { disable?: boolean }
}
const compose = parse(read('docker-compose.yml')) as { services: Record<string, Service> }
const services = compose.services
const whohadServices = Object.entries(services).filter(([, s]) => s.build !== undefined)

/** Compose's interpolation of one value: ${V}, ${V:-default}, ${V-default}, ${V:?message}, ${V?message}. */
function interpolate(value: string, shell: Record<string, string | undefined>): string {
  return value.replace(/\$\{(\w+)(?:(:?)([-?])([^}]*))?\}/g, (_m, name: string, colon: string, op: string | undefined, arg: string) => {
    const v = shell[name]
    const missing = colon ? !v : v === undefined
    if (!op || !missing) return v ?? ''
    if (op === '-') return arg
    throw new Error(`${name}: ${arg}`)
  })
}

/** A service's environment as its container sees it: values interpolated, bare names passed through when set. */
function containerEnv(service: Service, shell: Record<string, string | undefined>): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [k, v] of Object.entries(service.environment ?? {})) {
    if (v === null) {
      if (shell[k] !== undefined) env[k] = shell[k]
    } else {
      env[k] = interpolate(String(v), shell)
    }
  }
  return env
}

/** Every file under `dir` whose name ends with `ext`. */
function filesUnder(dir: string, ext: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(path.join(dir, e.name), ext) : e.name.endsWith(ext) ? [path.join(dir, e.name)] : [],
  )
}
/** Every source file under src/. */
const sources = () => filesUnder(path.join(root, 'src'), '.ts')

/** The variables the code reads: process.env.X anywhere in src, and every variable of the configuration schema. */
function variablesRead(): Set<string> {
  const names = new Set<string>(VARIABLES)
  for (const file of sources()) for (const m of readFileSync(file, 'utf8').matchAll(/process\.env\.([A-Z][A-Z0-9_]*)/g)) names.add(m[1]!)
  return names
}

/** The variables in the README's Configuration table (`A` / `_B` in one cell means A and A's stem + _B). */
function variablesDocumented(): Set<string> {
  const section = /\n## Configuration\n([\s\S]*?)(\n## |$)/.exec(read('README.md'))
  if (!section) throw new Error('no Configuration section in the README')
  const names = new Set<string>()
  for (const row of section[1]!.split('\n').filter((l) => l.startsWith('| `'))) {
    let previous = ''
    for (const [, name] of row.split('|')[1]!.matchAll(/`([A-Z_][A-Z0-9_]*)`/g)) {
      const full = name!.startsWith('_') ? previous.replace(/_[A-Z0-9]+$/, '') + name : name!
      names.add(full)
      previous = full
    }
  }
  return names
}

const OURS = /^(WHOHAD_\w+|REDIS_URL|AWS_REGION)$/
const keyText = `k-${randomBytes(16).toString('hex')}`
const keySpec = `desk:lookup:${createHash('sha256').update(keyText).digest('hex')}`

t.test('docker-compose.yml: the services, one image, and the wiring between them', async (t) => {
  for (const name of ['dynamodb', 'redis', 'collector', 'api']) t.ok(services[name], `service ${name}`)
  const { dynamodb, redis, collector, api } = services as Record<'dynamodb' | 'redis' | 'collector' | 'api', Service>
  t.match(dynamodb.image, /^amazon\/dynamodb-local/)
  t.ok(dynamodb.command?.includes('-sharedDb') && dynamodb.command.includes('-inMemory'), 'DynamoDB Local: one shared in-memory database')
  t.match(redis.image, /^redis:7/)

  t.ok(api.build, 'the api is built from this repository')
  for (const [name, s] of whohadServices) {
    t.same(s.build, api.build, `${name}: the same build as the api`)
    t.equal(s.image, api.image, `${name}: the same image as the api`)
  }
  t.ok(collector.build, 'the collector uses that image')

  t.same(api.command, ['serve', '--api-only'])
  // The collector must publish its writes to Redis so that the API processes drop stale answers:
  // `whohad serve --collector-only` does; `whohad collect` only where it wires the cache's invalidation.
  if (collector.command?.[0] === 'collect') {
    t.same(collector.command, ['collect'])
    t.match(read('src/cli/collect.ts'), /onChanged/, 'whohad collect publishes its writes to the cache')
  } else {
    t.same(collector.command, ['serve', '--collector-only'])
  }
  t.equal(collector.healthcheck?.disable, true, 'the collector serves no HTTP, so the image health check is off for it')
  for (const s of [api, collector]) {
    t.equal(s.environment?.WHOHAD_DYNAMODB_ENDPOINT, 'http://dynamodb:8000')
    t.equal(s.environment?.REDIS_URL, 'redis://redis:6379')
    t.ok(s.environment && 'AWS_REGION' in s.environment, 'AWS_REGION set')
  }
  for (const v of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'WHOHAD_ACCOUNTS', 'WHOHAD_REGIONS', 'WHOHAD_ROLE_NAME', 'WHOHAD_EXTERNAL_ID']) {
    t.equal(collector.environment?.[v], null, `collector: ${v} passed through from the shell when set there`)
  }
})

t.test('docker-compose.yml: the api binds 0.0.0.0, requires keys, and can be scaled', async (t) => {
  const api = services.api!
  t.equal(api.environment?.WHOHAD_HOST, '0.0.0.0')
  t.match(api.environment?.WHOHAD_API_KEYS, /^\$\{WHOHAD_API_KEYS:\?.+\}$/, 'WHOHAD_API_KEYS is required (${WHOHAD_API_KEYS:?…})')
  t.throws(() => containerEnv(api, {}), /WHOHAD_API_KEYS/, 'compose stops with a message when it is unset')
  t.throws(() => containerEnv(api, { WHOHAD_API_KEYS: '' }), /WHOHAD_API_KEYS/, '…or empty')
  t.equal(api.ports?.length, 1)
  const port = api.ports![0]!
  t.match(interpolate(port, {}), /^127\.0\.0\.1:8080:8080$/, 'by default published on the host loopback, port 8080')
  t.equal(interpolate(port, { API_PUBLISH: '127.0.0.1:' }), '127.0.0.1::8080', 'API_PUBLISH=127.0.0.1: leaves the host port to Docker, so replicas do not collide')
  t.equal(api.environment?.WHOHAD_PORT, '8080', 'the port the image health check asks')
})

t.test('docker-compose.yml: whohad runs on a read-only root filesystem', async (t) => {
  for (const [name, s] of whohadServices) t.equal((s as { read_only?: boolean }).read_only, true, `${name}: read_only`)
  const demo = services.demo as Service & { tmpfs?: string[] }
  t.same(demo.tmpfs, ['/tmp'], "demo: a tmpfs for the only thing it writes, its throwaway store in the temporary directory")
})

t.test('docker-compose.yml: redis evicts cached answers, never versions', async (t) => {
  const command = services.redis!.command ?? []
  const policy = command[command.indexOf('--maxmemory-policy') + 1]
  t.match(policy, /^(volatile-(lru|lfu|random|ttl)|noeviction)$/, `maxmemory-policy ${policy}`)
})

t.test('docker-compose.yml: every variable set is read by the code and documented in the README', async (t) => {
  const read = variablesRead()
  const documented = variablesDocumented()
  t.ok(read.has('WHOHAD_HOST') && read.has('WHOHAD_ACCOUNTS') && read.has('REDIS_URL'), 'the scan of the code finds variables')
  t.ok(documented.has('WHOHAD_ACCOUNTS_EXCLUDE') && documented.has('WHOHAD_LEASE_PERIOD'), 'the scan of the README finds variables')
  let checked = 0
  for (const [name, s] of whohadServices) {
    for (const v of Object.keys(s.environment ?? {}).filter((k) => OURS.test(k))) {
      checked++
      t.ok(read.has(v), `${name}: ${v} is read by the code`)
      t.ok(documented.has(v), `${name}: ${v} is in the README's Configuration table`)
    }
  }
  t.ok(checked >= 10, `${checked} settings checked`)
})

t.test('docker-compose.yml: each whohad service starts on its environment with nothing set in the shell', async (t) => {
  // Compose substitutes ${V:-} with '' and most settings refuse an empty value: the environment each
  // container gets from an empty shell (plus the required keys) must pass validation.
  for (const [name, s] of whohadServices) {
    const env = containerEnv(s, { WHOHAD_API_KEYS: keySpec })
    t.doesNotThrow(() => loadConfig(env), `${name}: configuration valid`)
  }
  const shell = { WHOHAD_API_KEYS: keySpec, WHOHAD_ROLE_NAME: 'OrgReader', WHOHAD_EXTERNAL_ID: 'xyz-123', WHOHAD_REGIONS: 'eu-west-1,us-east-1', AWS_REGION: 'eu-west-1' }
  const settings = loadConfig(containerEnv(services.collector!, shell)).collector
  t.equal(settings.roleName, 'OrgReader', 'what is set in the shell reaches the collector')
  t.equal(settings.externalId, 'xyz-123')
  t.same(settings.regions, ['eu-west-1', 'us-east-1'])
  t.equal(settings.homeRegion, 'eu-west-1')
})

// ---- Dockerfile ------------------------------------------------------------------------------------

interface Instruction {
  readonly op: string
  readonly args: string
}
/** The Dockerfile's instructions (continuation lines joined, comments dropped), split into stages. */
function dockerfileStages(text: string): Instruction[][] {
  const lines = text.split('\n').filter((l) => !/^\s*#/.test(l))
  const joined = lines.join('\n').replace(/\\\n\s*/g, ' ')
  const stages: Instruction[][] = []
  for (const line of joined.split('\n').map((l) => l.trim()).filter(Boolean)) {
    const [, op, args] = /^(\w+)\s+(.*)$/.exec(line) ?? []
    if (!op) throw new Error(`unparsed Dockerfile line: ${line}`)
    if (op.toUpperCase() === 'FROM') stages.push([])
    stages.at(-1)!.push({ op: op.toUpperCase(), args: args! })
  }
  return stages
}
const stages = dockerfileStages(read('Dockerfile'))
const final = stages.at(-1)!
/** The stage `FROM … AS name`. */
const stageNamed = (name: string) => stages.find((s) => new RegExp(`\\bAS\\s+${name}$`, 'i').test(s[0]!.args))
const one = (op: string) => {
  const found = final.filter((i) => i.op === op)
  if (found.length !== 1) throw new Error(`the final stage has ${found.length} ${op} instructions`)
  return found[0]!.args
}
const entrypoint = JSON.parse(one('ENTRYPOINT')) as string[]
const cmd = JSON.parse(one('CMD')) as string[]
const healthcheck = /\bCMD\s+(\[.*\])$/.exec(one('HEALTHCHECK'))
const healthArgv = healthcheck ? (JSON.parse(healthcheck[1]!) as string[]) : []
const imageEnv: Record<string, string> = Object.fromEntries(
  final.filter((i) => i.op === 'ENV').flatMap((i) => i.args.split(/\s+/).map((kv) => kv.split('=') as [string, string])),
)

t.test('Dockerfile: a multi-stage build on node:24, production dependencies only, run as node', async (t) => {
  t.ok(stages.length >= 2, `${stages.length} stages`)
  for (const s of stages) t.match(s[0]!.args, /^node:24-bookworm-slim\b/, `FROM ${s[0]!.args}`)
  const engines = (JSON.parse(read('package.json')) as { engines: { node: string } }).engines.node
  t.equal(engines, '>=22', 'package.json: engines.node >=22, which Node 24 satisfies')
  const users = final.filter((i) => i.op === 'USER').map((i) => i.args)
  t.ok(users.length > 0 && !/^(root|0)(:|$)/.test(users.at(-1)!), `runs as ${users.at(-1)}`)
  t.equal(one('WORKDIR'), '/app')
  t.equal(one('EXPOSE'), '8080')
  t.equal(imageEnv.WHOHAD_DATA_DIR, '/data')
  t.match(one('VOLUME'), /^(\["\/data"\]|\/data)$/)
  t.notOk(imageEnv.WHOHAD_HOST, 'the image does not bind beyond loopback by default (the server would refuse without keys)')

  // Production dependencies: npm ci --omit=dev in the final stage, or node_modules copied from a stage that ran it.
  const prodInstall = (s: Instruction[]) => s.some((i) => i.op === 'RUN' && /\bnpm ci\b.*--omit=dev\b/.test(i.args))
  const copiedFrom = final
    .filter((i) => i.op === 'COPY' && /--from=/.test(i.args) && /node_modules/.test(i.args))
    .map((i) => /--from=(\S+)/.exec(i.args)![1]!)
  t.ok(prodInstall(final) || (copiedFrom.length === 1 && stageNamed(copiedFrom[0]!) && prodInstall(stageNamed(copiedFrom[0]!)!)), 'node_modules from npm ci --omit=dev')
  const pkg = JSON.parse(read('package.json')) as { dependencies: Record<string, string>; devDependencies: Record<string, string>; scripts: Record<string, string> }
  t.notOk(pkg.dependencies.tsx, 'tsx is not a production dependency: nothing in the image runs TypeScript')
  t.ok(pkg.devDependencies.tsx, 'tsx is a dev dependency (tests, the build script)')

  // What goes into the build: package.json, the lock file, the compiler's configuration, the build
  // script and src/; into the image, only package.json, the lock file and what the other stages made.
  const copiedArgs = (s: Instruction[]) => s.filter((i) => i.op === 'COPY' && !/--from=/.test(i.args)).flatMap((i) => i.args.split(/\s+/).filter((a) => !a.startsWith('--')).slice(0, -1))
  t.same([...new Set(stages.flatMap(copiedArgs))].sort(), ['package-lock.json', 'package.json', 'scripts/build.ts', 'src', 'tsconfig.build.json', 'tsconfig.json'])
  t.same([...new Set(copiedArgs(final))].sort(), ['package-lock.json', 'package.json'], 'the image gets no sources from the build context')
  const ignored = read('.dockerignore').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'))
  for (const entry of ['node_modules', 'data', '.cache', 'test', 'bench', '.git', 'coverage', '.tap', 'dist']) t.ok(ignored.includes(entry), `.dockerignore: ${entry}`)

  // Whatever the compiled code imports must be a production dependency (or built in), or the image
  // fails at run time.
  const builtins = new Set(builtinModules)
  const missing = new Set<string>()
  const imported = new Set<string>()
  compiledCli()
  for (const file of filesUnder(path.join(root, 'dist'), '.js')) {
    for (const m of readFileSync(file, 'utf8').matchAll(/^(?!import type)(?:import|export)\b[^'"]*?from\s+'([^'.][^']*)'|\bimport\('([^'.][^']*)'\)/gm)) {
      const spec = (m[1] ?? m[2])!
      if (spec.startsWith('node:') || builtins.has(spec)) continue
      const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!
      imported.add(name)
      if (!pkg.dependencies[name]) missing.add(`${path.relative(root, file)}: ${name}`)
    }
  }
  t.ok(imported.has('fastify') && imported.has('@aws-sdk/client-ec2'), `the scan finds dist/'s imports (${imported.size} packages)`)
  t.same([...missing], [], 'dist/ imports only production dependencies')
})

t.test('Dockerfile: starts dist/cli.js with plain node, serve by default, and checks /healthz with node', async (t) => {
  t.same(entrypoint, ['node', 'dist/cli.js'], 'no loader, no flags: compiled JavaScript')
  // dist/ reaches the image only from a stage that builds it with the project's own build command.
  const fromBuild = final.filter((i) => i.op === 'COPY' && /--from=/.test(i.args) && /\bdist\b/.test(i.args))
  t.equal(fromBuild.length, 1, 'the image copies dist/ from one stage')
  const buildStage = stageNamed(/--from=(\S+)/.exec(fromBuild[0]!.args)![1]!)
  t.ok(buildStage?.some((i) => i.op === 'RUN' && /\bnpm run build\b/.test(i.args)), 'that stage runs npm run build')
  t.same(cmd, ['serve'])
  const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string>; bin: Record<string, string> }
  t.equal(pkg.scripts.start, `${entrypoint.join(' ')} ${cmd.join(' ')}`, 'the same command as npm start')
  t.equal(pkg.scripts.demo, `${entrypoint.join(' ')} demo`, 'the same command as npm run demo')
  t.equal(pkg.bin.whohad, entrypoint[1], 'the same file as the whohad command')
  t.match(readFileSync(compiledCli(), 'utf8'), /^#!\/usr\/bin\/env node\n/, 'dist/cli.js runs as a command')
  t.equal(healthArgv[0], 'node', 'the health check uses node (no curl in the slim image)')
  t.equal(healthArgv[1], '-e')
  t.match(healthArgv[2], /\/healthz/)
  t.match(healthArgv[2], /WHOHAD_PORT/, 'on the configured port')
  const cli = read('src/cli.ts')
  for (const name of ['serve', 'collect', 'demo']) t.match(cli, new RegExp(`^ {2}${name}: `, 'm'), `one image for whohad ${name}`)
  for (const [name, s] of whohadServices) t.ok(s.command?.[0] && cli.includes(`\n  ${s.command[0]}: `), `${name}: whohad ${s.command?.join(' ')} exists`)
})

// ---- the image's start command, outside Docker ---------------------------------------------------

interface Started {
  readonly child: ChildProcess
  readonly out: () => string
  readonly err: () => string
  readonly exited: Promise<number | null>
}

// The AWS SDK warns (on stderr, before anything else) when Node is older than the releases it will
// support; on the Node the image runs it must not.
const SUPPORTED_NODE = Number(process.versions.node.split('.')[0]) >= 22

function start(t: Test, env: Record<string, string>): Started {
  compiledCli()
  const [node, ...args] = [...entrypoint, ...services.api!.command!]
  t.equal(node, 'node')
  const base = childEnv()
  // Names of ours and the SDK's stay out unless the test sets them, the SDK's warning switch included.
  for (const k of Object.keys(base)) if (OURS.test(k) || k.startsWith('AWS_')) delete base[k]
  const quiet = SUPPORTED_NODE ? {} : { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' }
  const child = spawn(process.execPath, args, { cwd: root, env: { ...base, ...quiet, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()))
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  })
  return { child, out: () => out, err: () => err, exited }
}

/** The compose api service's environment, adapted to run here: the embedded store in a temp dir, any free port. */
function apiEnv(t: Test, keys: string | undefined): Record<string, string> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'whohad-packaging-'))
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }))
  const env: Record<string, string> = { ...imageEnv, ...containerEnv(services.api!, { WHOHAD_API_KEYS: keys ?? keySpec }) }
  delete env.WHOHAD_DYNAMODB_ENDPOINT // no DynamoDB Local here: the embedded store
  delete env.REDIS_URL // no Redis here: the in-process cache
  if (keys === undefined) delete env.WHOHAD_API_KEYS
  return { ...env, WHOHAD_DATA_DIR: dataDir, WHOHAD_PORT: '0' }
}

function runHealthcheck(env: Record<string, string>): Promise<number | null> {
  const [node, ...args] = healthArgv
  if (node !== 'node') throw new Error('the health check does not run node')
  const child = spawn(process.execPath, args, { env: childEnv(env), stdio: 'ignore' })
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)))
}

t.test('the start command with the api service environment: /healthz for the HEALTHCHECK, /v1 only with a key', async (t) => {
  const env = apiEnv(t, keySpec)
  t.equal(env.WHOHAD_HOST, '0.0.0.0')
  const p = start(t, env)
  const began = Date.now()
  while (!/API and page at (http:\/\/\S+)/.test(p.out())) {
    if (p.child.exitCode !== null) throw new Error(`serve exited early (${p.child.exitCode}):\n${p.out()}\n${p.err()}`)
    if (Date.now() - began > 20_000) throw new Error(`serve did not start in 20 s:\n${p.out()}\n${p.err()}`)
    await new Promise((r) => setTimeout(r, 100))
  }
  t.comment(`serving in ${((Date.now() - began) / 1000).toFixed(1)} s`)
  const printed = new URL(/API and page at (http:\/\/\S+)/.exec(p.out())![1]!)
  t.match(p.out(), /\(1 API keys\)/, 'with the key from WHOHAD_API_KEYS')
  const base = `http://127.0.0.1:${printed.port}`

  t.equal((await fetch(`${base}/healthz`)).status, 200, '/healthz answers without a key')
  for (const [file, type] of [['/', 'text/html'], ['/ui/app.js', 'text/javascript'], ['/ui/style.css', 'text/css']] as const) {
    const res = await fetch(`${base}${file}`)
    t.equal(res.status, 200, `the page's ${file} is served from dist/`)
    t.match(res.headers.get('content-type'), type)
    t.ok((await res.text()).length > 100, `${file} has its content`)
  }
  const ask = `${base}/v1/ips/203.0.113.7?at=2026-01-01T00:00:00Z`
  t.equal((await fetch(ask)).status, 401, '/v1 refuses a request without a key')
  t.equal((await fetch(ask, { headers: { authorization: 'Bearer not-the-key' } })).status, 401, '…and with a wrong one')
  t.equal((await fetch(ask, { headers: { authorization: `Bearer ${keyText}` } })).status, 200, '…and answers with the key')

  t.equal(await runHealthcheck({ WHOHAD_HOST: env.WHOHAD_HOST!, WHOHAD_PORT: printed.port }), 0, "the Dockerfile's HEALTHCHECK passes (bound to 0.0.0.0)")
  t.equal(await runHealthcheck({ WHOHAD_PORT: printed.port }), 0, '…and with WHOHAD_HOST unset')
  const closed = await new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
  t.equal(await runHealthcheck({ WHOHAD_HOST: '0.0.0.0', WHOHAD_PORT: String(closed) }), 1, '…and fails where nothing listens')

  p.child.kill('SIGTERM') // what `docker stop` sends to the entrypoint process
  t.equal(await p.exited, 0, 'SIGTERM stops it cleanly')
  t.match(p.out(), /whohad: stopped/)
  if (SUPPORTED_NODE) t.notMatch(p.err(), /NodeVersionSupportWarning/, `no AWS SDK Node version warning on Node ${process.version}`)
  else t.comment(`Node ${process.version} is older than whohad supports: the SDK's warning is switched off here`)
})

t.test('the start command on 0.0.0.0 without keys refuses to start', async (t) => {
  const env = apiEnv(t, undefined)
  t.equal(env.WHOHAD_HOST, '0.0.0.0')
  t.notOk('WHOHAD_API_KEYS' in env)
  const p = start(t, env)
  const code = await Promise.race([p.exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 20_000))])
  t.not(code, 'timeout', 'it exits')
  t.not(code, 0, `exit status ${code}`)
  t.match(p.err(), /refusing to serve on 0\.0\.0\.0 without API keys/)
  t.notMatch(p.out(), /API and page at/)
})
