// `whohad serve` as a real process with a signing keys file and an audit log file: bound beyond loopback
// with signing keys only, it serves; a request signed by the SDK's signer is answered and audited under
// the key's name, an unsigned one refused; neither the audit log nor the process's output holds a secret.
import { spawn } from 'node:child_process'
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { SignatureV4 } from '@smithy/signature-v4'
import t from 'tap'
import { childEnv } from '../../support/child-env.ts'
import { compiledCli } from '../../support/cli.ts'
import { Sha256 } from '../../support/sdk-sha256.ts'

const SECRET = 'serve-test-secret-0123456789/+='

t.test('serve with WHOHAD_SIGNING_KEYS_FILE and WHOHAD_AUDIT_LOG', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'whohad-signing-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const keys = path.join(dir, 'keys')
  writeFileSync(keys, `# the payments service\npayments:lookup:AKIDSERVETEST001:${SECRET}:accounts=111111111111\n`)
  chmodSync(keys, 0o600)
  const audit = path.join(dir, 'audit', 'audit.log')
  const env = { WHOHAD_DATA_DIR: path.join(dir, 'data'), WHOHAD_HOST: '0.0.0.0', WHOHAD_PORT: '0', WHOHAD_SIGNING_KEYS_FILE: keys, WHOHAD_AUDIT_LOG: audit, AWS_EC2_METADATA_DISABLED: 'true' }
  const child = spawn(process.execPath, [compiledCli(), 'serve', '--api-only'], { env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stderr.on('data', (d: Buffer) => (output += d.toString()))
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
  t.teardown(() => child.kill('SIGKILL'))
  const base = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString()
      const m = /API and page at (http:\/\/[^\s]+) \(0 API keys, 1 signing keys\)/.exec(output)
      if (m) resolve(m[1]!)
    })
    child.once('exit', () => reject(new Error(`serve stopped: ${output}`)))
  })
  const port = Number(new URL(base).port)
  const signer = new SignatureV4({ credentials: { accessKeyId: 'AKIDSERVETEST001', secretAccessKey: SECRET }, region: 'eu-west-1', service: 'whohad', sha256: Sha256, uriEscapePath: true })
  const req = await signer.sign({ method: 'GET', protocol: 'http:', hostname: '127.0.0.1', port, path: '/v1/ips/10.0.0.1', query: { at: 'now' }, headers: { host: `127.0.0.1:${port}` } })
  const ok = await fetch(`${base}/v1/ips/10.0.0.1?at=now`, { headers: req.headers })
  t.equal(ok.status, 200, 'a signed request is answered')
  await ok.text()
  const refused = await fetch(`${base}/v1/ips/10.0.0.1?at=now`)
  t.equal(refused.status, 401, 'an unsigned one is refused')
  await refused.text()
  child.kill('SIGTERM')
  await exited
  const lines = readFileSync(audit, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)
  t.match(lines, [{ key: 'payments', region: 'eu-west-1', route: '/v1/ips/:ip', status: 200, asked: ['10.0.0.1'] }, { key: null, status: 401 }])
  t.notOk(readFileSync(audit, 'utf8').includes(SECRET), 'no secret in the audit log')
  t.notOk(output.includes(SECRET), 'no secret in the output')
})
