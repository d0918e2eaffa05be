// `whohad` commands as child processes for tests that need real processes (signals, leases between
// processes): start one and collect its output, wait for a condition, stop one with SIGTERM (SIGKILL
// if it hangs), and the simulated organisation as a process of its own.
import { spawn, type ChildProcess } from 'node:child_process'
import { childEnv } from './child-env.ts'
import { compiledCli, ROOT } from './cli.ts'

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

export interface Proc {
  readonly name: string
  readonly child: ChildProcess
  stdout: string
  stderr: string
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

/** `node [nodeArgs] dist/cli.js <args>` (dist/ must be current: see cli.ts). */
export function startProc(name: string, args: string[], env: NodeJS.ProcessEnv, nodeArgs: readonly string[] = []): Proc {
  const child = spawn(process.execPath, [...nodeArgs, compiledCli(), ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
  const proc: Proc = {
    name,
    child,
    stdout: '',
    stderr: '',
    exited: new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal }))),
  }
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (proc.stdout += s))
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (proc.stderr += s))
  return proc
}

export const running = (p: Proc) => p.child.exitCode === null && p.child.signalCode === null

/** `whohad serve <args>`, once it listens: its base URL (it throws, with the output, if the server exits first). */
export async function startServer(args: string[], env: NodeJS.ProcessEnv, nodeArgs: readonly string[] = []): Promise<{ proc: Proc; base: string }> {
  const proc = startProc('serve', ['serve', ...args], env, nodeArgs)
  const base = await new Promise<string>((resolve, reject) => {
    const listening = () => /API and page at (http:\/\/\S+)/.exec(proc.stdout)?.[1]
    proc.child.stdout!.on('data', () => {
      const url = listening()
      if (url) resolve(url)
    })
    void proc.exited.then(({ code }) => reject(new Error(`whohad serve exited (${code}): ${proc.stdout}${proc.stderr}`)))
  })
  return { proc, base }
}

/** SIGTERM, then SIGKILL if it has not gone within `graceMs`. */
export async function stopProc(p: Proc, graceMs = 5_000): Promise<void> {
  if (!running(p)) return
  p.child.kill('SIGTERM')
  const gone = await Promise.race([p.exited.then(() => true), sleep(graceMs).then(() => false)])
  if (!gone && running(p)) {
    p.child.kill('SIGKILL')
    await p.exited
  }
}

/** The environment without anything whohad or AWS that the caller's shell may carry. */
export function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(childEnv())) if (!/^(WHOHAD_|AWS_)/.test(k)) env[k] = v
  return { ...env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', AWS_EC2_METADATA_DISABLED: 'true', ...extra }
}

/** Probes until it gives a value; throws after `timeoutMs`, with what `status` says was last seen. */
export async function waitFor<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | undefined> | T | undefined,
  everyMs = 100,
  status: () => string = () => '',
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${status() ? `; last seen: ${status()}` : ''}`)
    await sleep(everyMs)
  }
}

export interface FakeAwsProc {
  readonly proc: Proc
  readonly endpoint: string
  readonly managementAccountId: string
  readonly accessKeyId: string
  readonly secretAccessKey: string
  readonly regions: string[]
}

/** `whohad fakeaws <args>`, once it has printed its world: where it listens and the management keys. */
export async function startFakeAwsProc(t: { teardown(fn: () => unknown): void }, args: string[]): Promise<FakeAwsProc> {
  const proc = startProc('fakeaws', ['fakeaws', ...args], cleanEnv({}))
  t.teardown(() => stopProc(proc))
  await waitFor('fakeaws to print its world', 30_000, () => (proc.stdout.includes('world:') ? true : running(proc) ? undefined : Promise.reject(new Error(`fakeaws exited: ${proc.stderr}`))))
  const endpoint = /listening on (http:\/\/\S+)/.exec(proc.stdout)?.[1]
  const mgmt = /management account (\d{12}): AWS_ACCESS_KEY_ID=(\S+) AWS_SECRET_ACCESS_KEY=(\S+)/.exec(proc.stdout)
  const regions = /x \d+ regions \[([^\]]+)\]/.exec(proc.stdout)?.[1]?.split(',')
  if (!endpoint || !mgmt || !regions) throw new Error(`unexpected fakeaws output:\n${proc.stdout}`)
  return { proc, endpoint, managementAccountId: mgmt[1]!, accessKeyId: mgmt[2]!, secretAccessKey: mgmt[3]!, regions }
}
