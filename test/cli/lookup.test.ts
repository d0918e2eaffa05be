// `whohad lookup`: a real process, against the store directly and against a running server.
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import t from 'tap'
import { buildApp } from '../../src/api/app.ts'
import { loadConfig } from '../../src/config.ts'
import { openStore } from '../../src/store/open.ts'
import { putTargetState } from '../../src/store/targets.ts'
import { makeHolding } from '../helpers/holdings.ts'
import { childEnv } from '../helpers/child-env.ts'
import { compiledCli } from '../helpers/cli.ts'

const T0 = Date.UTC(2026, 10, 20, 9, 0, 0)
const MIN = 60_000

function lookup(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [compiledCli(), 'lookup', ...args], { env: childEnv(env) }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr })
    })
  })
}

t.test('whohad lookup', async (t) => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'whohad-lookup-'))
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }))
  const env = { WHOHAD_DATA_DIR: dataDir, WHOHAD_DYNAMODB_ENDPOINT: '', WHOHAD_STORE: 'embedded' }
  const store = await openStore(loadConfig({ ...env }).store)
  await store.holdings.apply([
    { kind: 'open', holding: { ...makeHolding({ address: '203.0.113.7', eni: 'eni-0b2', instance: 'i-0b2', start: [T0 - 60 * MIN, T0 - 59 * MIN] }), holder: { ...makeHolding({ address: '203.0.113.7', eni: 'eni-0b2', instance: 'i-0b2', start: [0, 0] }).holder, name: 'web-prod-3' } } },
  ])
  await putTargetState(store.client, store.tableName, { accountId: '111111111111', region: 'eu-west-1', consecutiveFailures: 0, firstCompletePoll: T0 - 120 * MIN, lastCompletePoll: T0 + 60 * MIN })

  await t.test('against a running server, with an API key', async (t) => {
    const app = await buildApp({ store: store.holdings, client: store.client, tableName: store.tableName, apiKeys: [{ name: 'desk', scopes: ['lookup'], sha256: '4b1e2a5f5dd3e9bcd3cb2a8a1ca8c5cf5fd3d9ec5ae5e3aa1a97e47a3a6a1dc2' }] })
    const url = await app.fastify.listen({ host: '127.0.0.1', port: 0 })
    t.teardown(() => app.fastify.close())
    const denied = await lookup(['203.0.113.7', '--at', '2026-11-20 10:00 +0100'], { WHOHAD_URL: url })
    t.equal(denied.code, 1)
    t.match(denied.stderr, /401 Unauthorized: send an API key/)
    await app.fastify.close()
    const open = await buildApp({ store: store.holdings, client: store.client, tableName: store.tableName })
    const url2 = await open.fastify.listen({ host: '127.0.0.1', port: 0 })
    t.teardown(() => open.fastify.close())
    const held = await lookup(['203.0.113.7', '--at', '2026-11-20 10:00 +0100', '--url', url2], {})
    t.equal(held.code, 0, held.stderr)
    t.match(held.stdout, /^HELD: i-0b2 \(web-prod-3\), account 111111111111, eu-west-1, held 203\.0\.113\.7 from 2026-11-20T08:00:00\.000Z to now/)
    t.match(held.stdout, /CERTAINTY\s+HOLDER\s+ENI/)
    t.match(held.stdout, /certain\s+i-0b2\s+eni-0b2\s+web-prod-3/)
    t.match(held.stdout, /coverage: complete/)
    const json = await lookup(['203.0.113.7', '--at', String(T0 / 1000), '--json', '--url', url2], {})
    t.match(JSON.parse(json.stdout), { ip: '203.0.113.7', holdings: [{ certainty: 'certain', holder: { instanceId: 'i-0b2' } }] })
    const nobody = await lookup(['198.51.100.1', '--at', '2026-11-20T09:00:00Z', '--url', url2], {})
    t.equal(nobody.code, 4, 'exit 4 when nobody held it')
    t.match(nobody.stdout, /None of our resources held 198\.51\.100\.1/)
    await open.fastify.close()
  })

  await store.close()

  await t.test('directly against the store, and bad input', async (t) => {
    const held = await lookup(['203.0.113.7', '--at', '2026-11-20T09:00:00Z'], env)
    t.equal(held.code, 0, held.stderr)
    t.match(held.stdout, /HELD: i-0b2 \(web-prod-3\)/)
    const before = await lookup(['203.0.113.7', '--at', '2026-11-19T09:00:00Z'], env)
    t.equal(before.code, 4)
    t.match(before.stdout, /not watching/)
    const bad = await lookup(['203.0.113.999', '--at', 'noon'], env)
    t.equal(bad.code, 2)
    t.match(bad.stderr, /whohad lookup: .*203\.0\.113\.999/)
    t.match((await lookup(['203.0.113.7'], env)).stderr, /--at is required/)
    t.match((await lookup(['203.0.113.7', '--at', '2026-11-20 10:00'], env)).stderr, /no timezone offset/)
  })
})
