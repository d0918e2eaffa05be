// A real redis-server for a test: its own port and directory, no persistence, stopped at teardown.
// `stop()` and `start()` let a test take Redis away and bring it back on the same port.
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'

export interface TestRedis {
  readonly url: string
  readonly port: number
  stop(): Promise<void>
  start(): Promise<void>
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port
      server.close(() => resolve(port))
    })
  })
}

async function waitForPort(port: number, up: boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1')
      socket.once('connect', () => {
        socket.destroy()
        resolve(true)
      })
      socket.once('error', () => resolve(false))
    })
    if (open === up) return
    if (Date.now() > deadline) throw new Error(`redis-server on ${port} did not ${up ? 'start' : 'stop'} within ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

export async function startRedis(t: { teardown(fn: () => unknown): void }): Promise<TestRedis> {
  const port = await freePort()
  const dir = mkdtempSync(path.join(os.tmpdir(), 'whohad-redis-'))
  let child: ChildProcess | undefined
  const start = async () => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' })
    child.once('error', (err) => {
      throw new Error(`redis-server could not start (${err.message}); install it (apt-get install redis-server)`)
    })
    await waitForPort(port, true)
  }
  const stop = async () => {
    if (!child || child.exitCode !== null) return
    const exited = new Promise((r) => child!.once('exit', r))
    child.kill('SIGKILL')
    await exited
    await waitForPort(port, false)
  }
  await start()
  t.teardown(async () => {
    await stop()
    rmSync(dir, { recursive: true, force: true })
  })
  return { url: `redis://127.0.0.1:${port}`, port, stop, start }
}

/** Three real redis-server nodes joined into a cluster (no replicas); the URL names the first. */
export async function startRedisCluster(t: { teardown(fn: () => unknown): void }): Promise<{ url: string }> {
  const ports = [await freePort(), await freePort(), await freePort()]
  const dir = mkdtempSync(path.join(os.tmpdir(), 'whohad-redis-cluster-'))
  const children: ChildProcess[] = []
  t.teardown(async () => {
    for (const c of children) c.kill('SIGKILL')
    rmSync(dir, { recursive: true, force: true })
  })
  for (const port of ports) {
    children.push(
      spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`], { stdio: 'ignore' }),
    )
  }
  for (const port of ports) await waitForPort(port, true)
  const { execFileSync } = await import('node:child_process')
  execFileSync('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'], { stdio: 'ignore' })
  const deadline = Date.now() + 15_000
  while (!/cluster_state:ok/.test(execFileSync('redis-cli', ['-p', String(ports[0]), 'cluster', 'info']).toString())) {
    if (Date.now() > deadline) throw new Error('the Redis cluster did not become ready')
    await new Promise((r) => setTimeout(r, 100))
  }
  return { url: `redis://127.0.0.1:${ports[0]}` }
}
