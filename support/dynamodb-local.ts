// AWS DynamoDB Local for tests and benchmarks: the jar AWS ships, taken from the npm package
// amplify-dynamodb-simulator (pinned; npm checks its integrity), run with this machine's Java.
// Run this file directly to serve one instance for a whole test run: it prints the endpoint.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs'
import { createServer, type AddressInfo } from 'node:net'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const SIMULATOR = 'amplify-dynamodb-simulator@2.9.30'
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const CACHE = path.join(ROOT, '.cache', 'dynamodb-local')
const JAR = path.join(CACHE, 'DynamoDBLocal.jar')

export interface DynamoDbLocal {
  readonly endpoint: string
  stop(): Promise<void>
}

/** Download (once, into .cache/) and unpack DynamoDB Local; returns the jar's path. */
export function ensureDynamoDbLocalJar(): string {
  if (existsSync(JAR)) return JAR
  const tmp = path.join(ROOT, '.cache', `dynamodb-local-${process.pid}`)
  rmSync(tmp, { recursive: true, force: true })
  mkdirSync(tmp, { recursive: true })
  execFileSync('npm', ['pack', SIMULATOR, '--silent', '--pack-destination', tmp], { stdio: ['ignore', 'ignore', 'inherit'] })
  const tgz = readdirSync(tmp).find((f) => f.endsWith('.tgz'))
  if (!tgz) throw new Error(`npm pack ${SIMULATOR} produced no tarball`)
  execFileSync('tar', ['xzf', path.join(tmp, tgz), '-C', tmp, 'package/emulator'])
  rmSync(CACHE, { recursive: true, force: true })
  renameSync(path.join(tmp, 'package', 'emulator'), CACHE)
  rmSync(tmp, { recursive: true, force: true })
  return JAR
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo
      server.close(() => resolve(port))
    })
  })
}

async function waitForPort(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`DynamoDB Local exited with code ${child.exitCode}`)
    try {
      const res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(1000) })
      await res.arrayBuffer()
      return // any HTTP answer (it says 400 to a bare GET) means it is serving
    } catch {
      await new Promise((r) => setTimeout(r, 150))
    }
  }
  throw new Error(`DynamoDB Local did not answer on port ${port} within ${timeoutMs} ms`)
}

export async function startDynamoDbLocal(): Promise<DynamoDbLocal> {
  const jar = ensureDynamoDbLocalJar()
  try {
    execFileSync('java', ['-version'], { stdio: 'ignore' })
  } catch {
    throw new Error('DynamoDB Local needs Java: install it (Debian: apt-get install -y default-jre-headless)')
  }
  const port = await freePort()
  const child = spawn(
    'java',
    ['-Xmx512m', `-Djava.library.path=${path.join(CACHE, 'DynamoDBLocal_lib')}`, '-jar', jar,
      '-inMemory', '-disableTelemetry', '-port', String(port)],
    { cwd: CACHE, stdio: ['ignore', 'ignore', 'inherit'] },
  )
  // Never let the jar outlive the process that started it, and never keep that process alive.
  child.unref()
  process.once('exit', () => child.kill('SIGKILL'))
  await waitForPort(port, child, 60_000)
  const stop = async () => {
    if (child.exitCode !== null) return
    const exited = new Promise((r) => child.once('exit', r))
    child.ref() // keep this process alive until the jar is gone
    child.kill('SIGTERM')
    await exited
  }
  return { endpoint: `http://127.0.0.1:${port}`, stop }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const local = await startDynamoDbLocal()
  process.stdout.write(`${local.endpoint}\n`)
  const stop = () => void local.stop().then(() => process.exit(0))
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
  // The jar is unref'd and signal listeners hold nothing open: this keeps the process (and so the jar)
  // alive until it is told to stop.
  setInterval(() => {}, 2 ** 30)
}
