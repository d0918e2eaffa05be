// `npm test`: first what the suite needs from the machine (the Node whohad supports, Java, redis-server,
// Chromium, the AWS CLI; see prerequisites.ts), then build, type-check, lint, and the whole tap suite against one
// shared AWS DynamoDB Local.
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { startDynamoDbLocal } from '../support/dynamodb-local.ts'
import { PARTS, planPrerequisites, type Part } from './prerequisites.ts'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const say = (line: string) => process.stdout.write(`\n== ${line}\n`)

function step(name: string, cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): void {
  say(name)
  const r = spawnSync(cmd, args, { stdio: 'inherit', env, cwd: ROOT })
  if (r.status !== 0) {
    process.stderr.write(`\n${name} failed (exit ${r.status ?? r.signal})\n`)
    process.exit(r.status ?? 1)
  }
}

// The Node: the suite checks what the image runs, so an older Node (this script started on it) hands
// over to Node 24 from the npm registry, which needs no root. Everything below, the children the tests
// spawn included, then runs on it.
const engines = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node
const minimum = Number(/^>=\s*(\d+)/.exec(engines)?.[1])
if (!(Number(process.versions.node.split('.')[0]) >= minimum)) {
  const bin = execFileSync('bash', [path.join(ROOT, 'scripts', 'supported-node.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim()
  say(`Node ${process.version} is older than whohad supports (${engines}): npm test runs on ${path.join(bin, 'node')}`)
  const r = spawnSync(path.join(bin, 'node'), [...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}` },
  })
  process.exit(r.status ?? 1)
}

// The machine's parts.
const works = (cmd: string, args: string[]) => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0
const present: Record<string, () => boolean> = {
  java: () => works('java', ['-version']),
  'redis-server': () => works('redis-server', ['--version']),
  // The page test launches CHROMIUM_PATH when it is set.
  '/usr/bin/chromium': () => existsSync(process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'),
  '/usr/bin/aws': () => works('/usr/bin/aws', ['--version']),
}
const missingParts = (): Part[] => PARTS.filter((p) => !present[p.name]!())
const host = { root: process.getuid?.() === 0, debian: existsSync('/etc/debian_version') && works('apt-get', ['--version']) }

say(`Node ${process.version}; checking for ${PARTS.map((p) => p.name).join(', ')}`)
const plan = planPrerequisites(missingParts(), host)
if (plan.kind === 'stop') {
  process.stderr.write(`\n${plan.message}\n`)
  process.exit(1)
}
if (plan.kind === 'install') {
  for (const [cmd, ...args] of plan.commands) step(`installing: ${[cmd, ...args].join(' ')}`, cmd!, args, { ...process.env, DEBIAN_FRONTEND: 'noninteractive' })
  const still = missingParts()
  if (still.length > 0) {
    process.stderr.write(`\nstill missing after apt-get install: ${still.map((p) => p.name).join(', ')}\n`)
    process.exit(1)
  }
}

step('build', 'npm', ['run', 'build'])
step('type-check', 'npx', ['tsc', '--noEmit'])
step('lint', 'npx', ['eslint', '.'])
say('starting DynamoDB Local')
const local = await startDynamoDbLocal()
process.stdout.write(`DynamoDB Local at ${local.endpoint}\n`)
try {
  step('tests', 'npx', ['tap', ...process.argv.slice(2)], { ...process.env, WHOHAD_TEST_DYNAMODB_ENDPOINT: local.endpoint })
} finally {
  await local.stop()
}
