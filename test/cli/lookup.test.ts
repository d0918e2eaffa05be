// `whohad lookup`: a real process, against the store directly and against a running server.
import { execFile } from 'node:child_process'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import t from 'tap'
import { buildApp } from '../../src/api/app.ts'
import { loadConfig } from '../../src/config.ts'
import { formatAnswer, unreachable } from '../../src/cli/lookup.ts'
import { holderWords } from '../../src/api/holder-words.ts'
import type { Holder } from '../../src/model/holding.ts'
import { openStore } from '../../src/store/open.ts'
import { makeHolding } from '../../support/holdings.ts'
import { childEnv } from '../../support/child-env.ts'
import { compiledCli } from '../../support/cli.ts'

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
  await store.targets.put({ accountId: '111111111111', region: 'eu-west-1', consecutiveFailures: 0, firstCompletePoll: T0 - 120 * MIN, lastCompletePoll: T0 + 60 * MIN })

  await t.test('against a running server, with an API key', async (t) => {
    const app = await buildApp({ store, apiKeys: [{ name: 'desk', scopes: ['lookup'], sha256: '4b1e2a5f5dd3e9bcd3cb2a8a1ca8c5cf5fd3d9ec5ae5e3aa1a97e47a3a6a1dc2' }] })
    const url = await app.fastify.listen({ host: '127.0.0.1', port: 0 })
    t.teardown(() => app.fastify.close())
    const denied = await lookup(['203.0.113.7', '--at', '2026-11-20 10:00 +0100'], { WHOHAD_URL: url })
    t.equal(denied.code, 1)
    t.match(denied.stderr, /401 Unauthorized: send an API key/)
    await app.fastify.close()
    const open = await buildApp({ store })
    const url2 = await open.fastify.listen({ host: '127.0.0.1', port: 0 })
    t.teardown(() => open.fastify.close())
    const held = await lookup(['203.0.113.7', '--at', '2026-11-20 10:00 +0100', '--url', url2], {})
    t.equal(held.code, 0, held.stderr)
    t.match(held.stdout, /^At 2026-11-20T09:00:00\.000Z, 203\.0\.113\.7 was held by i-0b2 \(web-prod-3\), account 111111111111, eu-west-1 \(certain\)\ncoverage: complete/, 'the verdict first')
    t.match(held.stdout, /\n {2}holder +i-0b2 \(web-prod-3\)\n {2}at the time +certain\n {2}account +111111111111, eu-west-1\n/, 'then each holding in labelled fields')
    t.match(held.stdout, /\n {2}from +between 2026-11-20T08:00:00\.000Z and 2026-11-20T08:01:00\.000Z\n {2}to +still held \(proven until 2026-11-20T10:00:00\.000Z\)\n {2}evidence +start: ec2-poll at/)
    // The note, as the page's "Copy incident note" gives it (GET /v1/ips/{ip}/note on the same server).
    const markdown = await lookup(['203.0.113.7', '--at', '2026-11-20 10:00 +0100', '--window', '5m', '--format', 'markdown', '--url', url2], {})
    t.equal(markdown.code, 0, markdown.stderr)
    const note = await fetch(`${url2}/v1/ips/203.0.113.7/note?at=${encodeURIComponent('2026-11-20T09:00:00Z')}&window=5m`)
    t.equal(markdown.stdout, await note.text(), 'whohad lookup --format markdown prints the note the page copies')
    t.match(markdown.stdout, /^### whohad: who held 203\.0\.113\.7 at 2026-11-20T09:00:00\.000Z\n/)
    const json = await lookup(['203.0.113.7', '--at', String(T0 / 1000), '--json', '--url', url2], {})
    t.match(JSON.parse(json.stdout), { ip: '203.0.113.7', holdings: [{ certainty: 'certain', holder: { instanceId: 'i-0b2' } }] })
    const nobody = await lookup(['198.51.100.1', '--at', '2026-11-20T09:00:00Z', '--url', url2], {})
    t.equal(nobody.code, 4, 'exit 4 when nobody held it')
    t.match(nobody.stdout, /^At 2026-11-20T09:00:00\.000Z, 198\.51\.100\.1 was held by none of ours \(complete coverage\)/)
    await open.fastify.close()
  })

  await store.close()

  await t.test('directly against the store, and bad input', async (t) => {
    const held = await lookup(['203.0.113.7', '--at', '2026-11-20T09:00:00Z'], env)
    t.equal(held.code, 0, held.stderr)
    t.match(held.stdout, /was held by i-0b2 \(web-prod-3\)/)
    const before = await lookup(['203.0.113.7', '--at', '2026-11-19T09:00:00Z'], env)
    t.equal(before.code, 4)
    t.match(before.stdout, /unknown: not watched/)
    const bad = await lookup(['203.0.113.999', '--at', 'noon'], env)
    t.equal(bad.code, 2)
    t.match(bad.stderr, /whohad lookup: .*203\.0\.113\.999/)
    t.match((await lookup(['203.0.113.7'], env)).stderr, /--at is required/)
    t.match((await lookup(['203.0.113.7', '--at', '2026-11-20 10:00'], env)).stderr, /no timezone offset/)
    t.match((await lookup(['203.0.113.7', '--at', 'now', '--format', 'yaml'], env)).stderr, /--format is text, json or markdown, not "yaml"/)
  })

  await t.test('--at now', async (t) => {
    const before = Date.now()
    const now = await lookup(['203.0.113.7', '--at', 'now', '--json'], env)
    t.ok(now.code === 0 || now.code === 4, now.stderr)
    const at = Date.parse((JSON.parse(now.stdout) as { at: string }).at)
    t.ok(at >= before && at <= Date.now(), 'asked about the moment it was run')
  })
})

t.test('whohad lookup --url names the server it could not use, and why', async (t) => {
  const free = http.createServer()
  await new Promise<void>((resolve) => free.listen(0, '127.0.0.1', resolve))
  const deadPort = (free.address() as AddressInfo).port
  await new Promise((resolve) => free.close(resolve))
  const notWhohad = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>hello</html>'))
  await new Promise<void>((resolve) => notWhohad.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise((resolve) => notWhohad.close(resolve)))
  const args = ['203.0.113.7', '--at', 'now', '--url']
  const [dead, html, bad] = await Promise.all([
    lookup([...args, `http://127.0.0.1:${deadPort}`], {}),
    lookup([...args, `http://127.0.0.1:${(notWhohad.address() as AddressInfo).port}`], {}),
    lookup([...args, 'whohad:8080:x'], {}),
  ])
  t.equal(dead.code, 1)
  t.match(dead.stderr, new RegExp(`could not reach http://127\\.0\\.0\\.1:${deadPort}: nothing is listening there \\(connection refused\\).*\\[ECONNREFUSED\\]`))
  t.notMatch(dead.stderr, /fetch failed/)
  t.match(html.stderr, /answered 200 OK with text\/html, not whohad's JSON: is it a whohad server\?/)
  t.match(bad.stderr, /--url "whohad:8080:x" is not a URL like http:\/\/whohad:8080/)
})

t.test('why a fetch failed, in words', async (t) => {
  const failed = (cause: unknown) => Object.assign(new TypeError('fetch failed'), { cause })
  t.match(unreachable(failed({ code: 'ENOTFOUND' })), /does not resolve \[ENOTFOUND\]/)
  t.match(unreachable(failed({ errors: [{}, { code: 'ECONNREFUSED' }] })), /nothing is listening there/, 'localhost: one refusal per address tried')
  t.match(unreachable(failed({ message: 'bad port' })), /fetch refuses to connect to that port/)
  t.equal(unreachable(failed({ code: 'CERT_HAS_EXPIRED', message: 'certificate has expired' })), 'certificate has expired')
  t.equal(unreachable(new Error('aborted')), 'aborted')
})

t.test('the holder in words: the resource when recorded, the old guess for holdings stored before it', async (t) => {
  const base = { accountId: '111111111111', region: 'eu-west-1' }
  const holder = (h: Partial<Holder> & Pick<Holder, 'eniId' | 'kind'>): Holder => ({ ...base, ...h })
  t.equal(holderWords(holder({ eniId: 'eni-0b2', kind: 'instance', instanceId: 'i-0b2', name: 'web-prod-3', resource: { type: 'instance', id: 'i-0b2', name: 'web-prod-3' } })), 'i-0b2 (web-prod-3)')
  t.equal(holderWords(holder({ eniId: 'eni-0f6', kind: 'nat-gateway', name: 'nat-0a8b0e0d28266841f', resource: { type: 'nat-gateway', id: 'nat-0a8b0e0d28266841f' } })), 'NAT gateway nat-0a8b0e0d28266841f')
  t.equal(holderWords(holder({ eniId: 'eni-0f7', kind: 'load-balancer', name: 'web', resource: { type: 'application-load-balancer', id: 'app/web/5bd164072db03311', name: 'web' } })), 'application load balancer web (app/web/5bd164072db03311)')
  t.equal(holderWords(holder({ eniId: 'eni-0f9', kind: 'lambda', resource: { type: 'lambda-function', id: 'cost-digest', name: 'cost-digest' } })), 'Lambda function cost-digest')
  t.equal(holderWords(holder({ eniId: 'eni-0fa', kind: 'rds', resource: { type: 'rds' } })), 'RDS ENI eni-0fa', 'nothing names it: the ENI')
  t.equal(holderWords(holder({ eniId: 'eni-0fb', kind: 'requester-managed', resource: { type: 'network-interface', id: 'eni-0fb' } })), 'AWS-managed network interface eni-0fb')
  t.equal(holderWords(holder({ eniId: 'eni-0fc', kind: 'interface', resource: { type: 'network-interface', id: 'eni-0fc' } })), 'network interface eni-0fc')
  t.equal(holderWords(holder({ eniId: 'eni-0f8', kind: 'nat-gateway' })), 'nat-gateway eni-0f8', 'stored before resources: as before')
  t.equal(holderWords(holder({ eniId: 'eni-0b2', kind: 'instance', instanceId: 'i-0b2', name: 'web-prod-3' })), 'i-0b2 (web-prod-3)')

  const bound = { after: T0, by: T0, evidence: [] }
  const text = formatAnswer({
    ip: '198.51.100.21',
    at: '2026-11-20T09:00:00.000Z',
    window: 0,
    verdict: { state: 'held', text: 'At 2026-11-20T09:00:00.000Z, 198.51.100.21 was held by application load balancer web (app/web/5bd164072db03311), account 111111111111, eu-west-1 (certain)', held: [0], mayHave: [] },
    holdings: [{ certainty: 'certain', atT: 'certain', distanceMs: 0, address: '198.51.100.21', addressKind: 'public-ipv4', scope: 'global', start: bound, provenUntil: T0, holder: holder({ eniId: 'eni-0f7', kind: 'load-balancer', name: 'web', resource: { type: 'application-load-balancer', id: 'app/web/5bd164072db03311', name: 'web' } }) }],
    coverage: { state: 'complete', detail: 'every target watched', targets: 1, watching: 1, unwatched: [] },
  } as unknown as Parameters<typeof formatAnswer>[0])
  t.match(text, /^At 2026-11-20T09:00:00\.000Z, 198\.51\.100\.21 was held by application load balancer web \(app\/web\/5bd164072db03311\)/)
  t.match(text, /\n {2}holder +application load balancer web \(app\/web\/5bd164072db03311\)\n/, 'the holder field names the resource type, id and name')
  t.match(text, /\n {2}ENI +eni-0f7\n/)
})
