// The routes beyond the point lookup: CIDR blocks, batches (and their ECS form), ENIs and instances,
// metrics, the OpenAPI document, security headers and per-key rate limits. Replies are checked against
// the zod response schemas the OpenAPI document is generated from.
import { createHash } from 'node:crypto'
import fc from 'fast-check'
import t from 'tap'
import { buildApp } from '../../src/api/app.ts'
import * as s from '../../src/api/schemas.ts'
import type { StoreOperation } from '../../src/model/stored-holding.ts'
import { makeHolding } from '../../support/holdings.ts'
import { openTestStore } from '../../support/stores.ts'

const T0 = Date.UTC(2026, 10, 20, 10, 0, 0)
const MIN = 60_000

async function setup(t: Parameters<typeof openTestStore>[0], extra: Partial<Parameters<typeof buildApp>[0]> = {}) {
  const { store } = await openTestStore(t, 'embedded')
  const ops: StoreOperation[] = [
    // A public address handed from one instance to another.
    { kind: 'close', holding: { ...makeHolding({ address: '203.0.113.7', eni: 'eni-0a1', instance: 'i-0a1', start: [T0 - 60 * MIN, T0 - 59 * MIN] }), end: { after: T0 - 10 * MIN, by: T0 - 9 * MIN, evidence: [] } }, closedAt: T0 - 9 * MIN },
    { kind: 'open', holding: makeHolding({ address: '203.0.113.7', eni: 'eni-0b2', instance: 'i-0b2', start: [T0 - 9 * MIN, T0 - 8 * MIN] }) },
    // The same private address in two VPCs.
    { kind: 'open', holding: makeHolding({ address: '10.0.1.5', eni: 'eni-0c3', instance: 'i-0c3', vpc: 'vpc-0aaa', start: [T0 - 90 * MIN, T0 - 89 * MIN] }) },
    { kind: 'open', holding: makeHolding({ address: '10.0.1.5', eni: 'eni-0d4', vpc: 'vpc-0bbb', start: [T0 - 90 * MIN, T0 - 89 * MIN] }) },
    // Another instance in the same block, in another account.
    { kind: 'open', holding: makeHolding({ address: '10.0.1.9', eni: 'eni-0e5', instance: 'i-0e5', vpc: 'vpc-0ccc', account: '222222222222', start: [T0 - 90 * MIN, T0 - 89 * MIN] }) },
  ]
  await store.holdings.apply(ops)
  // The instances DescribeInstances listed (i-0a1 is known from its closed holding alone).
  const instances = store.instances
  const running = (instanceId: string, accountId: string, vpcId: string) => ({ accountId, region: 'eu-west-1', instanceId, state: 'running' as const, vpcId, enis: [{ eniId: `eni-${instanceId.slice(2)}`, deviceIndex: 0 }], lastSeen: T0 - 60 * MIN })
  await instances.sync({ accountId: '111111111111', region: 'eu-west-1' }, [running('i-0b2', '111111111111', 'vpc-0aaa'), running('i-0c3', '111111111111', 'vpc-0aaa')], { goneAt: T0 - 60 * MIN })
  await instances.sync({ accountId: '222222222222', region: 'eu-west-1' }, [running('i-0e5', '222222222222', 'vpc-0ccc')], { goneAt: T0 - 60 * MIN })
  for (const accountId of ['111111111111', '222222222222']) {
    await store.targets.put({ accountId, region: 'eu-west-1', consecutiveFailures: 0, firstCompletePoll: T0 - 120 * MIN, lastCompletePoll: T0 + 60 * MIN })
  }
  const app = await buildApp({ store, ...extra })
  t.teardown(() => app.fastify.close())
  return app.fastify
}

t.test('CIDR blocks: every holder inside, encoded or not; oversized blocks refused', async (t) => {
  const fastify = await setup(t)
  for (const block of ['10.0.1.0/28', '10.0.1.0%2F28']) {
    const res = await fastify.inject({ method: 'GET', url: `/v1/cidrs/${block}?at=${T0}` })
    t.equal(res.statusCode, 200, block)
    const body = s.pointAnswer.omit({ ip: true, window: true, verdict: true }).extend({ cidr: s.cidr.transform((c) => c.text) }).parse(res.json())
    t.equal(body.cidr, '10.0.1.0/28')
    t.same(res.json().holdings.map((h: { holder: { eniId: string } }) => h.holder.eniId).sort(), ['eni-0c3', 'eni-0d4', 'eni-0e5'])
  }
  const narrowed = await fastify.inject({ method: 'GET', url: `/v1/cidrs/10.0.1.0/28?at=${T0}&vpc=vpc-0bbb` })
  t.same(narrowed.json().holdings.map((h: { holder: { eniId: string } }) => h.holder.eniId), ['eni-0d4'], 'narrowed to a VPC')
  const big = await fastify.inject({ method: 'GET', url: `/v1/cidrs/10.0.0.0/16?at=${T0}` })
  t.equal(big.statusCode, 400)
  t.match(big.json().detail, /65536 addresses; this server answers blocks of at most 256 \(a \/24 or smaller\)/)
  t.equal((await fastify.inject({ method: 'GET', url: `/v1/cidrs/10.0.1.0/99?at=${T0}` })).statusCode, 400)
  // A block is one point lookup per address: a block of the largest size cost seconds of this test, so
  // the largest block answered, and the next size refused, are checked under a limit of 16.
  const small = await setup(t, { maxCidrAddresses: 16 })
  t.equal((await small.inject({ method: 'GET', url: `/v1/cidrs/2001:db8::/124?at=${T0}` })).statusCode, 200, 'IPv6 blocks too, up to the limit')
  const over = await small.inject({ method: 'GET', url: `/v1/cidrs/2001:db8::/123?at=${T0}` })
  t.equal(over.statusCode, 400)
  t.match(over.json().detail, /32 addresses; this server answers blocks of at most 16 \(a \/124 or smaller\)/, 'the next size up is refused')
})

t.test("a holder's resource: in the answer, in its schema and in the ECS form; holdings stored without one still answer", async (t) => {
  const { store } = await openTestStore(t, 'embedded')
  const nat = makeHolding({ address: '198.51.100.20', eni: 'eni-0f6', start: [T0 - 90 * MIN, T0 - 89 * MIN] })
  const alb = makeHolding({ address: '198.51.100.21', eni: 'eni-0f7', start: [T0 - 90 * MIN, T0 - 89 * MIN] })
  const old = makeHolding({ address: '198.51.100.22', eni: 'eni-0f8', start: [T0 - 90 * MIN, T0 - 89 * MIN] })
  await store.holdings.apply([
    { kind: 'open', holding: { ...nat, holder: { ...nat.holder, kind: 'nat-gateway', resource: { type: 'nat-gateway', id: 'nat-0a8b0e0d28266841f' }, name: 'nat-0a8b0e0d28266841f' } } },
    { kind: 'open', holding: { ...alb, holder: { ...alb.holder, kind: 'load-balancer', resource: { type: 'application-load-balancer', id: 'app/web/5bd164072db03311', name: 'web' }, name: 'web' } } },
    { kind: 'open', holding: { ...old, holder: { ...old.holder, kind: 'nat-gateway' } } },
  ])
  await store.targets.put({ accountId: '111111111111', region: 'eu-west-1', consecutiveFailures: 0, firstCompletePoll: T0 - 120 * MIN, lastCompletePoll: T0 + 60 * MIN })
  const app = await buildApp({ store })
  t.teardown(() => app.fastify.close())

  const res = await app.fastify.inject({ method: 'GET', url: `/v1/ips/198.51.100.21?at=${T0}` })
  t.equal(res.statusCode, 200)
  const parsed = s.pointAnswer.parse(res.json())
  t.same(parsed.holdings[0]!.holder.resource, { type: 'application-load-balancer', id: 'app/web/5bd164072db03311', name: 'web' }, 'the response schema keeps the resource')

  const lookups = ['198.51.100.20', '198.51.100.21', '198.51.100.22'].map((ip) => ({ ip, at: T0 }))
  const ecs = (await app.fastify.inject({ method: 'POST', url: '/v1/lookups', payload: { lookups, format: 'ecs' } })).json().results as { holders: Record<string, unknown>[] }[]
  t.match(ecs[0]!.holders[0], { 'cloud.service.name': 'vpc', 'whohad.holder.kind': 'nat-gateway', 'whohad.resource.type': 'nat-gateway', 'whohad.resource.id': 'nat-0a8b0e0d28266841f', 'whohad.eni.id': 'eni-0f6' })
  t.notOk('whohad.resource.name' in ecs[0]!.holders[0]!, 'no name where nothing names it')
  t.match(ecs[1]!.holders[0], { 'cloud.service.name': 'elb', 'whohad.resource.type': 'application-load-balancer', 'whohad.resource.id': 'app/web/5bd164072db03311', 'whohad.resource.name': 'web' })
  t.match(ecs[2]!.holders[0], { 'cloud.service.name': 'vpc', 'whohad.holder.kind': 'nat-gateway', 'whohad.eni.id': 'eni-0f8' })
  t.same(Object.keys(ecs[2]!.holders[0]!).filter((k) => k.startsWith('whohad.resource')), [], 'a holding stored before resources has none')
})

t.test('batches: answers in order, per-item errors, the ECS form, the size limits', async (t) => {
  const fastify = await setup(t)
  const lookups = [
    { ip: '203.0.113.7', at: new Date(T0 - 30 * MIN).toISOString() },
    { ip: 'not-an-ip', at: T0 / 1000 },
    { ip: '10.0.1.5', at: T0 / 1000, vpc: 'vpc-0aaa' },
    { ip: '203.0.113.7', at: 'yesterday' },
    { ip: '203.0.113.7', at: T0, colour: 'red' },
    { ip: '198.51.100.1', at: T0, window: '5m' },
  ]
  const res = await fastify.inject({ method: 'POST', url: '/v1/lookups', payload: { lookups } })
  t.equal(res.statusCode, 200)
  const { results } = res.json() as { results: Record<string, unknown>[] }
  t.equal(results.length, lookups.length, 'one result per item, in order')
  t.match(results[0], { ip: '203.0.113.7', holdings: [{ certainty: 'certain', holder: { instanceId: 'i-0a1' } }] })
  s.pointAnswer.parse(results[0])
  t.match(results[1], { error: { status: 400, detail: /"ip"/ } })
  t.match(results[2], { holdings: [{ holder: { eniId: 'eni-0c3' } }] })
  t.equal((results[2]!.holdings as unknown[]).length, 1, 'the VPC narrows a private address')
  t.match(results[3], { error: { detail: /"at"/ } })
  t.match(results[4], { error: { detail: /unknown field "colour"/ } })
  t.match(results[5], { holdings: [], coverage: { state: 'complete' } })

  const ecs = await fastify.inject({ method: 'POST', url: '/v1/lookups', payload: { lookups: [lookups[0]], format: 'ecs' } })
  t.match(ecs.json().results[0], {
    'source.ip': '203.0.113.7',
    'whohad.coverage': 'complete',
    holders: [{ 'cloud.provider': 'aws', 'cloud.account.id': '111111111111', 'cloud.region': 'eu-west-1', 'cloud.instance.id': 'i-0a1', 'cloud.service.name': 'ec2', 'whohad.certainty': 'certain' }],
  })

  const tooMany = await fastify.inject({ method: 'POST', url: '/v1/lookups', payload: { lookups: Array.from({ length: 10_001 }, () => lookups[0]) } })
  t.equal(tooMany.statusCode, 400)
  t.match(tooMany.json().detail, /at most 10000 lookups; split it/)
  // SIEM batches repeat addresses: 10,000 items over 50 distinct lookups, each answered once.
  const full = await fastify.inject({ method: 'POST', url: '/v1/lookups', payload: { lookups: Array.from({ length: 10_000 }, (_, i) => ({ ip: `203.0.113.${i % 50}`, at: T0 })) } })
  t.equal(full.statusCode, 200, '10,000 items are answered')
  t.equal(full.json().results.length, 10_000)
  const huge = await fastify.inject({ method: 'POST', url: '/v1/lookups', headers: { 'content-type': 'application/json' }, payload: `{"lookups":[${'"x",'.repeat(600_000)}"x"]}` })
  t.equal(huge.statusCode, 413)
  t.match(huge.headers['content-type'], /problem\+json/)
  for (const payload of ['{', '[]', '{"lookups":[]}', '{"lookups":"x"}', '{"lookups":[{}],"extra":1}', '{"lookups":[{}],"format":"xml"}']) {
    const bad = await fastify.inject({ method: 'POST', url: '/v1/lookups', headers: { 'content-type': 'application/json' }, payload })
    t.equal(bad.statusCode, 400, payload)
    t.match(bad.headers['content-type'], /problem\+json/, payload)
  }
})

t.test('1,000 malformed batches and CIDR queries: never a 5xx', async (t) => {
  const fastify = await setup(t)
  const junk = fc.oneof(fc.string({ maxLength: 30 }), fc.integer(), fc.constant(null), fc.constant({}), fc.constantFrom('1e309', '10.0.0.1/33', '::', 'vpc-x'))
  let fiveHundreds = 0
  await fc.assert(
    fc.asyncProperty(fc.array(fc.dictionary(fc.constantFrom('ip', 'at', 'window', 'vpc', 'account', 'x'), junk), { maxLength: 5 }), junk, fc.string({ maxLength: 20 }), async (items, format, block) => {
      const a = await fastify.inject({ method: 'POST', url: '/v1/lookups', payload: { lookups: items, ...(format === null ? {} : { format }) } })
      const b = await fastify.inject({ method: 'GET', url: `/v1/cidrs/${encodeURIComponent(block)}?at=${encodeURIComponent(String(format))}` })
      if (a.statusCode >= 500 || b.statusCode >= 500) fiveHundreds++
      return a.statusCode < 500 && b.statusCode < 500
    }),
    { numRuns: 1_000 },
  )
  t.equal(fiveHundreds, 0)
})

t.test('ENIs and instances: current state and history, without calling EC2', async (t) => {
  const fastify = await setup(t)
  const eni = await fastify.inject({ method: 'GET', url: '/v1/enis/eni-0b2' })
  t.match(eni.json(), { eniId: 'eni-0b2', current: true, holder: { instanceId: 'i-0b2' }, addresses: [{ address: '203.0.113.7' }] })
  const gone = await fastify.inject({ method: 'GET', url: '/v1/enis/eni-0a1' })
  t.match(gone.json(), { current: false, addresses: [], history: [{ address: '203.0.113.7', end: { by: T0 - 9 * MIN } }] })
  t.equal((await fastify.inject({ method: 'GET', url: '/v1/enis/eni-0fff' })).statusCode, 404)
  t.equal((await fastify.inject({ method: 'GET', url: '/v1/enis/nope' })).statusCode, 400)
  const inst = await fastify.inject({ method: 'GET', url: '/v1/instances/i-0c3' })
  t.match(inst.json(), { instanceId: 'i-0c3', current: true, accountId: '111111111111', vpcId: 'vpc-0aaa', enis: [{ eniId: 'eni-0c3', deviceIndex: 0 }], addresses: [{ address: '10.0.1.5' }] })
  t.equal((await fastify.inject({ method: 'GET', url: '/v1/instances/i-0fff' })).statusCode, 404)

  const all = await fastify.inject({ method: 'GET', url: '/v1/instances' })
  t.same(all.json().instances.map((i: { instanceId: string }) => i.instanceId).sort(), ['i-0b2', 'i-0c3', 'i-0e5'], 'running instances only')
  const one = await fastify.inject({ method: 'GET', url: '/v1/instances?account=222222222222&region=eu-west-1' })
  t.same(one.json().instances.map((i: { instanceId: string }) => i.instanceId), ['i-0e5'])
  t.same((await fastify.inject({ method: 'GET', url: '/v1/instances?vpc=vpc-0aaa' })).json().instances.map((i: { instanceId: string }) => i.instanceId).sort(), ['i-0b2', 'i-0c3'])
  t.equal((await fastify.inject({ method: 'GET', url: '/v1/instances?nextToken=bogus' })).statusCode, 400)
  t.equal((await fastify.inject({ method: 'GET', url: '/v1/instances?account=12' })).statusCode, 400)
})

t.test('metrics, the OpenAPI document, security headers', async (t) => {
  const fastify = await setup(t)
  await fastify.inject({ method: 'GET', url: `/v1/ips/203.0.113.7?at=${T0}` })
  await fastify.inject({ method: 'GET', url: `/v1/ips/203.0.113.7?at=${T0}` })
  const metrics = (await fastify.inject({ method: 'GET', url: '/metrics' })).body
  t.match(metrics, /whohad_http_request_duration_seconds_bucket\{.*route="\/v1\/ips\/:ip".*status="200"/)
  t.match(metrics, /whohad_cache_requests_total\{result="hit"\} 1/)
  t.match(metrics, /whohad_cache_requests_total\{result="miss"\} 1/)
  t.match(metrics, /whohad_target_last_complete_poll_age_seconds\{account="111111111111",region="eu-west-1"\}/)
  const doc = (await fastify.inject({ method: 'GET', url: '/docs/json' })).json()
  t.equal(doc.openapi.slice(0, 2), '3.')
  for (const route of ['/v1/ips/{ip}', '/v1/ips/{ip}/timeline', '/v1/cidrs/{cidr}', '/v1/lookups', '/v1/enis/{id}', '/v1/instances/{id}', '/v1/instances']) t.ok(doc.paths[route], `documented: ${route}`)
  t.match(JSON.stringify(doc.paths['/v1/ips/{ip}'].get.parameters), /"at"/)
  t.equal((await fastify.inject({ method: 'GET', url: '/docs' })).statusCode < 400, true, 'the docs page')
  const res = await fastify.inject({ method: 'GET', url: '/' })
  t.match(res.headers['content-security-policy'], /default-src 'self'/)
  t.equal(res.headers['x-content-type-options'], 'nosniff')
  // The same headers on every reply, each request alike (the middleware is built once).
  const want = ['content-security-policy', 'cross-origin-opener-policy', 'cross-origin-resource-policy', 'origin-agent-cluster', 'referrer-policy', 'strict-transport-security', 'x-content-type-options', 'x-dns-prefetch-control', 'x-download-options', 'x-frame-options', 'x-permitted-cross-domain-policies', 'x-xss-protection']
  for (const url of ['/', '/healthz', '/healthz', '/v1/instances']) {
    const r = await fastify.inject({ method: 'GET', url })
    t.strictSame(want.map((h) => [h, r.headers[h] === res.headers[h]]), want.map((h) => [h, true]), `${url}: the page's security headers`)
    t.notOk(r.headers['x-powered-by'])
  }
})

t.test('scopes and per-key rate limits', async (t) => {
  const key = (name: string, scopes: string[]) => ({ name, scopes, sha256: createHash('sha256').update(`secret-${name}`).digest('hex') })
  const fastify = await setup(t, { apiKeys: [key('desk', ['lookup']), key('prom', ['metrics']), key('ops', ['admin'])], rateLimitPerMinute: 5 })
  const as = (name: string, url: string) => fastify.inject({ method: 'GET', url, headers: { authorization: `Bearer secret-${name}` } })
  t.equal((await as('prom', '/metrics')).statusCode, 200)
  t.equal((await as('desk', '/metrics')).statusCode, 403, 'a lookup key cannot read metrics')
  t.equal((await fastify.inject({ method: 'GET', url: '/metrics' })).statusCode, 401)
  t.equal((await as('ops', `/v1/ips/203.0.113.7?at=${T0}`)).statusCode, 200, 'admin may do anything')
  const codes: number[] = []
  for (let i = 0; i < 6; i++) codes.push((await as('desk', `/v1/ips/203.0.113.7?at=${T0}`)).statusCode)
  t.same(codes, [200, 200, 200, 200, 200, 429], 'the sixth request in a minute is refused')
  const limited = await as('desk', `/v1/ips/203.0.113.7?at=${T0}`)
  t.match(limited.json(), { status: 429, detail: /over 5 requests per minute/ })
  t.equal((await as('ops', `/v1/ips/203.0.113.7?at=${T0}`)).statusCode, 200, 'limits are per key: another key is unaffected')
  // The same URL is now answered from the in-process cache before validation: keys still apply.
  t.equal((await fastify.inject({ method: 'GET', url: `/v1/ips/203.0.113.7?at=${T0}` })).statusCode, 401, 'a cached answer still needs a key')
  t.equal((await as('prom', `/v1/ips/203.0.113.7?at=${T0}`)).statusCode, 403, 'and the lookup scope')
  t.equal((await fastify.inject({ method: 'GET', url: '/healthz' })).statusCode, 200, 'health is never limited')
})

t.test('a real listening server on a real redis-server: every route, twice (the second from the cache)', async (t) => {
  const { startRedis } = await import('../../support/redis.ts')
  const { RedisCache } = await import('../../src/cache/redis.ts')
  const redis = await startRedis(t)
  const cache = new RedisCache({ url: redis.url, localTtlMs: 60_000 })
  t.teardown(() => cache.close())
  const fastify = await setup(t, { cache })
  const base = await fastify.listen({ host: '127.0.0.1', port: 0 })
  const calls: [string, RequestInit?][] = [
    [`/v1/ips/203.0.113.7?at=${T0}`],
    [`/v1/ips/203.0.113.7/timeline?from=${T0 - 120 * MIN}&to=${T0}`],
    [`/v1/cidrs/10.0.1.0/28?at=${T0}`],
    ['/v1/lookups', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ lookups: [{ ip: '203.0.113.7', at: T0 }] }) }],
    ['/v1/enis/eni-0b2'],
    ['/v1/instances/i-0c3'],
    ['/v1/instances'],
    ['/healthz'],
    ['/readyz'],
    ['/metrics'],
    ['/docs/json'],
  ]
  for (const round of ['store', 'cache']) {
    for (const [path, init] of calls) {
      const res = await fetch(base + path, init)
      t.equal(res.status, 200, `${round}: ${path}`)
    }
  }
  const ready = await (await fetch(`${base}/readyz`)).json()
  t.match(ready, { status: 'ready', cache: { backend: 'redis', state: 'ok' } })
  t.match(await (await fetch(`${base}/metrics`)).text(), /whohad_cache_requests_total\{result="hit"\} [1-9]/)
})
