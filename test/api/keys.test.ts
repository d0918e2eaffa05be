// Keys that sign (SigV4, signed by the real SDK's signer) and keys limited to accounts, through the
// real app on the embedded store: a limited key sees only its accounts' holdings, resources and
// coverage on every /v1 route, cached answers never cross scopes, the /ec2/ auth path verifies a signed
// form body, and the audit log has one line per request and never a key or a secret.
import { createHash } from 'node:crypto'
import { Writable } from 'node:stream'
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2'
import { SignatureV4 } from '@smithy/signature-v4'
import fc from 'fast-check'
import t from 'tap'
import { buildApp } from '../../src/api/app.ts'
import { visibleAccounts } from '../../src/api/plugins/auth.ts'
import type { StoreOperation } from '../../src/model/stored-holding.ts'
import { makeHolding } from '../../support/holdings.ts'
import { Sha256 } from '../../support/sdk-sha256.ts'
import { openTestStore } from '../../support/stores.ts'
import { describedOnce } from '../../src/model/description.ts'

const T0 = Date.UTC(2026, 10, 20, 10, 0, 0)
const MIN = 60_000
const ACCOUNTS = ['111111111111', '222222222222', '333333333333'] as const

const sha = (key: string) => createHash('sha256').update(key).digest('hex')
/** Every non-empty set of the three accounts gets a Bearer key; the desk's key sees all. */
const SUBSETS: string[][] = [1, 2, 3, 4, 5, 6, 7].map((mask) => ACCOUNTS.filter((_, i) => mask & (1 << i)))
const BEARER: Record<string, { key: string; accounts?: readonly string[] }> = {
  desk: { key: 'desk-bearer-key-0123456789' },
  ...Object.fromEntries(SUBSETS.map((accounts) => [`svc-${accounts.map((a) => a[0]).join('')}`, { key: `bearer-key-for-${accounts.join('-')}`, accounts }])),
}
const SIGNING = [
  { name: 'sdk-payments', scopes: ['lookup'], accessKeyId: 'AKIDPAYMENTS0001', secret: 'payments-secret-0123456789/+=', accounts: ['222222222222'] },
  { name: 'sdk-desk', scopes: ['admin'], accessKeyId: 'AKIDDESK00000001', secret: 'desk-signing-secret-9876543210' },
  { name: 'sdk-metrics', scopes: ['metrics'], accessKeyId: 'AKIDMETRICS00001', secret: 'metrics-signing-secret-000000' },
]

/** A simulated organisation: addresses held in turn by resources of the three accounts. */
function organisation(seed: number): StoreOperation[] {
  const [ops] = fc.sample(
    fc.array(fc.record({ host: fc.integer({ min: 1, max: 12 }), account: fc.constantFrom(...ACCOUNTS), vpc: fc.constantFrom('vpc-0aaa', 'vpc-0bbb'), from: fc.integer({ min: 0, max: 100 }), open: fc.boolean() }), { minLength: 20, maxLength: 40 }),
    { numRuns: 1, seed },
  )
  return ops!.map((o, i) => {
    const holding = makeHolding({ address: `10.0.1.${o.host}`, eni: `eni-${String(i).padStart(4, '0')}`, instance: `i-${String(i).padStart(4, '0')}`, account: o.account, vpc: o.vpc, start: [T0 - (o.from + 1) * MIN, T0 - o.from * MIN] })
    return o.open ? { kind: 'open', holding } : { kind: 'close', holding: { ...holding, end: { after: T0 - Math.max(0, o.from - 5) * MIN, by: T0 - Math.max(0, o.from - 5) * MIN + 1000, evidence: [] } }, closedAt: T0 }
  })
}

/** Each account's one instance as EC2 described it, for the real /ec2/ route. */
const described = (accountId: string) => ({ InstanceId: `i-0${accountId.slice(0, 4)}000000000000`, PrivateIpAddress: `10.0.1.${accountId[0]}`, State: { Code: 16, Name: 'running' as const } })

/** The app on a store of holdings in three accounts; /ec2/ is a stand-in that shows what auth set, or (realEc2) the real route. */
async function setup(t: Parameters<typeof openTestStore>[0], { realEc2 = false } = {}) {
  const { store } = await openTestStore(t, 'embedded')
  await store.holdings.apply(organisation(15))
  for (const accountId of ACCOUNTS) {
    const target = { accountId, region: 'eu-west-1' }
    await store.targets.put({ ...target, consecutiveFailures: 0, firstCompletePoll: T0 - 200 * MIN, lastCompletePoll: T0 + 60 * MIN })
    await store.instances.sync(target, [{ ...target, instanceId: `i-${accountId.slice(0, 4)}`, state: 'running', vpcId: 'vpc-0aaa', enis: [], lastSeen: T0 }], { goneAt: T0 })
    if (realEc2) {
      const instance = describedOnce('instance', [described(accountId)], () => ({ ReservationId: `r-0${accountId.slice(0, 4)}000000000000`, OwnerId: accountId }))
      await store.descriptions.sync(target, { instance, 'network-interface': [], address: [] }, { seenAt: T0, removedAt: T0 })
    }
  }
  const lines: string[] = []
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean))
      done()
    },
  })
  const app = await buildApp({
    // Without descriptions, buildApp leaves /ec2/ to the stand-in below (test/api/ec2/served.test.ts has the real one at work).
    store: realEc2 ? store : { holdings: store.holdings, instances: store.instances, targets: store.targets },
    apiKeys: Object.entries(BEARER).map(([name, k]) => ({ name, scopes: ['lookup'], sha256: sha(k.key), ...(k.accounts ? { accounts: k.accounts } : {}) })),
    signingKeys: SIGNING,
    auditLog: { stream },
    // Holdings at T0 are cached for the long time-to-live, so that a scope leak through the cache shows.
    settledMs: 60 * MIN,
  })
  // A stand-in /ec2/ that shows what the auth path set; it reads the form body as text, as the real route does.
  if (!realEc2) app.fastify.register(async (scope) => {
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => done(null, body))
    scope.post('/ec2/', async (req, reply) => {
      const seen = { key: req.whohadKey, region: req.whohadScope?.region, visible: [...(visibleAccounts(req) === 'all' ? ['all'] : visibleAccounts(req))] }
      // The real SDK reads EC2's XML: the smallest DescribeInstances answer, and what the hook set as the request id.
      if (req.headers['user-agent']?.includes('aws-sdk-js')) return reply.type('text/xml').header('x-amzn-requestid', `${seen.key}|${seen.region}|${seen.visible.join('+')}`).send(`<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>${seen.key}|${seen.region}|${seen.visible.join('+')}</requestId><reservationSet/></DescribeInstancesResponse>`)
      return seen
    })
  })
  t.teardown(() => app.fastify.close())
  return { fastify: app.fastify, lines }
}

const bearer = (name: string) => ({ authorization: `Bearer ${BEARER[name]!.key}` })

async function signed(key: (typeof SIGNING)[number], method: string, path: string, query: Record<string, string>, body: string, contentType: string, service = 'ec2', at = Date.now(), declareHash = true) {
  const signer = new SignatureV4({ credentials: { accessKeyId: key.accessKeyId, secretAccessKey: key.secret }, region: 'eu-west-1', service, sha256: Sha256, uriEscapePath: true, applyChecksum: declareHash })
  const req = await signer.sign(
    { method, protocol: 'http:', hostname: 'localhost', path, query, headers: { host: 'localhost:80', ...(body ? { 'content-type': contentType, 'content-length': String(Buffer.byteLength(body)) } : {}) }, body: body || undefined },
    { signingDate: new Date(at) },
  )
  const qs = new URLSearchParams(query).toString().replace(/\+/g, '%20')
  return { method: method as 'GET', url: qs ? `${path}?${qs}` : path, headers: req.headers, ...(body ? { payload: body } : {}) }
}

interface Holder {
  holder: { accountId: string; eniId: string }
}

t.test('a key limited to accounts sees only their holdings and coverage, on every /v1 route; the cache never crosses scopes', async (t) => {
  const { fastify } = await setup(t)
  const ask = async (name: string, url: string) => (await fastify.inject({ method: 'GET', url, headers: bearer(name) })).json()
  const all = await ask('desk', `/v1/ips/10.0.1.3?at=${T0 - 30 * MIN}&window=1h`)
  t.ok(new Set(all.holdings.map((h: Holder) => h.holder.accountId)).size > 1, 'the desk sees several accounts at this address')
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 0, max: 110 }), fc.constantFrom(...SUBSETS), fc.boolean(), async (host, ago, accounts, deskFirst) => {
      const name = `svc-${accounts.map((a) => a[0]).join('')}`
      const url = `/v1/ips/10.0.1.${host}?at=${T0 - ago * MIN}&window=10m`
      // Either order: a cached answer built for one scope must not be served to the other.
      const [desk, limited] = deskFirst ? [await ask('desk', url), await ask(name, url)] : (await Promise.all([ask(name, url), ask('desk', url)])).reverse()
      const want = desk.holdings.filter((h: Holder) => accounts.includes(h.holder.accountId))
      t.strictSame(limited.holdings, want, `${name} at ${url}`)
      const unwatched = limited.coverage.unwatched.map((u: { accountId: string }) => u.accountId)
      return unwatched.every((a: string) => accounts.includes(a)) && limited.coverage.targets === accounts.length
    }),
    { numRuns: 60 },
  )
  // Batch, block and timeline alike.
  const batch = await fastify.inject({ method: 'POST', url: '/v1/lookups', headers: bearer('svc-1'), payload: { lookups: Array.from({ length: 12 }, (_, i) => ({ ip: `10.0.1.${i + 1}`, at: T0 - 50 * MIN, window: '1h' })) } })
  const batchAccounts = batch.json().results.flatMap((r: { holdings: Holder[] }) => r.holdings.map((h) => h.holder.accountId))
  t.ok(batchAccounts.length > 0 && batchAccounts.every((a: string) => a === '111111111111'), 'a batch: its account only')
  const block = await ask('svc-2', `/v1/cidrs/10.0.1.0%2F28?at=${T0 - 50 * MIN}`)
  t.ok(block.holdings.every((h: Holder) => h.holder.accountId === '222222222222'), 'a block: its account only')
  const timelineUrl = `/v1/ips/10.0.1.3/timeline?from=${T0 - 200 * MIN}&to=${T0}`
  const [timeline, deskTimeline] = [await ask('svc-2', timelineUrl), await ask('desk', timelineUrl)]
  t.ok(timeline.holdings.length > 0, 'a timeline with holdings of its account')
  t.strictSame(timeline.holdings, deskTimeline.holdings.filter((h: Holder) => h.holder.accountId === '222222222222'), 'a timeline: its account only')
  // Resources: another account's ENI or instance is one never seen, and listings hold only its own.
  const foreign = all.holdings.find((h: Holder) => h.holder.accountId !== '111111111111')!.holder
  t.equal((await fastify.inject({ url: `/v1/enis/${foreign.eniId}`, headers: bearer('svc-1') })).statusCode, 404, "another account's ENI")
  t.equal((await fastify.inject({ url: `/v1/enis/${foreign.eniId}`, headers: bearer('desk') })).statusCode, 200, 'the desk sees it')
  t.equal((await fastify.inject({ url: '/v1/instances/i-2222', headers: bearer('svc-1') })).statusCode, 404, "another account's instance")
  t.equal((await fastify.inject({ url: '/v1/instances/i-1111', headers: bearer('svc-1') })).statusCode, 200)
  const listed = await ask('svc-12', '/v1/instances')
  t.strictSame(listed.instances.map((i: { instanceId: string }) => i.instanceId).sort(), ['i-1111', 'i-2222'])
  t.strictSame((await ask('svc-12', '/v1/instances?account=333333333333')).instances, [], 'asking for another account finds nothing')
})

t.test("SigV4 with the SDK's signer: /v1 and the /ec2/ auth path, limited to the key's accounts; tampered, late or unknown requests refused", async (t) => {
  const { fastify } = await setup(t)
  const [payments, desk, metricsOnly] = SIGNING
  const lookup = await fastify.inject(await signed(payments!, 'GET', '/v1/ips/10.0.1.3', { at: String(T0 - 30 * MIN), window: '1h' }, '', '', 'whohad'))
  t.equal(lookup.statusCode, 200, 'a signed GET')
  t.ok(lookup.json().holdings.every((h: Holder) => h.holder.accountId === '222222222222'))
  const body = JSON.stringify({ lookups: [{ ip: '10.0.1.3', at: T0 - 30 * MIN, window: '1h' }] })
  const batch = await fastify.inject(await signed(desk!, 'POST', '/v1/lookups', {}, body, 'application/json', 'whohad'))
  t.equal(batch.statusCode, 200, 'a signed JSON body')
  const form = 'Action=DescribeInstances&Version=2016-11-15&Filter.1.Name=private-ip-address&Filter.1.Value.1=10.0.1.3'
  const ec2 = await fastify.inject(await signed(payments!, 'POST', '/ec2/', {}, form, 'application/x-www-form-urlencoded'))
  t.strictSame(ec2.json(), { key: 'sdk-payments', region: 'eu-west-1', visible: ['222222222222'] }, '/ec2/: the key, its region and its accounts')
  t.strictSame((await fastify.inject(await signed(desk!, 'POST', '/ec2/', {}, form, 'application/x-www-form-urlencoded'))).json().visible, ['all'])

  const tampered = await signed(payments!, 'POST', '/ec2/', {}, form, 'application/x-www-form-urlencoded')
  const changed = await fastify.inject({ ...tampered, payload: form.replace('10.0.1.3', '10.0.1.4') })
  t.equal(changed.statusCode, 403, 'a body changed after signing: on /ec2/, EC2 says so in its own shape')
  t.match(changed.body, /<Code>SignatureDoesNotMatch<\/Code><Message>SigV4: x-amz-content-sha256 is not the hash of the body/)
  const changedV1 = await signed(desk!, 'POST', '/v1/lookups', {}, body, 'application/json', 'whohad')
  const refusedV1 = await fastify.inject({ ...changedV1, payload: body.replace('10.0.1.3', '10.0.1.4') })
  t.match(refusedV1.json(), { status: 401, detail: /not the hash of the body/ }, 'on /v1, the same refusal is a problem')
  const late = await fastify.inject(await signed(payments!, 'GET', '/v1/ips/10.0.1.3', { at: String(T0) }, '', '', 'whohad', Date.now() - 16 * MIN))
  t.equal(late.statusCode, 401, 'signed 16 minutes ago')
  const unknown = await fastify.inject(await signed({ ...payments!, accessKeyId: 'AKIDUNKNOWN00001' }, 'GET', '/v1/ips/10.0.1.3', { at: String(T0) }, '', '', 'whohad'))
  t.match(unknown.json(), { status: 401, detail: /not known/ })
  const scope = await fastify.inject(await signed(metricsOnly!, 'GET', '/v1/ips/10.0.1.3', { at: String(T0) }, '', '', 'whohad'))
  t.equal(scope.statusCode, 403, 'a signing key without the lookup scope')
  for (const res of [changed, late, unknown, scope]) for (const k of SIGNING) t.notOk(res.body.includes(k.secret), 'no secret in a refusal')
  const metrics = await fastify.inject(await signed(metricsOnly!, 'GET', '/metrics', {}, '', '', 'whohad'))
  t.equal(metrics.statusCode, 200, 'a signing key with the metrics scope reads /metrics')
  for (const k of SIGNING) t.notOk(metrics.body.includes(k.secret) || metrics.body.includes(k.accessKeyId), `/metrics holds neither the secret nor the access key id of ${k.name}`)
})

t.test('the real EC2 client over HTTP, with a signing key as its credentials, passes the /ec2/ auth path; a wrong secret does not', async (t) => {
  const { fastify } = await setup(t)
  const address = await fastify.listen({ host: '127.0.0.1', port: 0 })
  const client = (secretAccessKey: string) =>
    new EC2Client({ endpoint: `${address}/ec2/`, region: 'eu-west-1', credentials: { accessKeyId: SIGNING[0]!.accessKeyId, secretAccessKey }, maxAttempts: 1 })
  const out = await client(SIGNING[0]!.secret).send(new DescribeInstancesCommand({ Filters: [{ Name: 'private-ip-address', Values: ['10.0.1.3', '10.0.1.4'] }], MaxResults: 5 }))
  t.equal(out.$metadata.requestId, 'sdk-payments|eu-west-1|222222222222', 'verified: the key, the region of its credential scope and its accounts')
  const refused = (await client('not-the-secret-0123456789').send(new DescribeInstancesCommand({})).catch((e: unknown) => e)) as { $metadata?: { httpStatusCode?: number } }
  t.equal(refused.$metadata?.httpStatusCode, 403, 'a wrong secret')
})

t.test("/ec2/ refuses in EC2's error codes, as the real EC2 client names them; /v1 keeps problems", async (t) => {
  const { fastify } = await setup(t)
  const address = await fastify.listen({ host: '127.0.0.1', port: 0 })
  const [payments, , metricsOnly] = SIGNING
  const clients: EC2Client[] = []
  t.teardown(() => clients.forEach((c) => c.destroy()))
  const client = (accessKeyId: string, secretAccessKey: string, skewMs = 0) => {
    // systemClockOffset signs as if the clock were off by skewMs: how a request signed too long ago arrives.
    const c = new EC2Client({ endpoint: `${address}/ec2/`, region: 'eu-west-1', credentials: { accessKeyId, secretAccessKey }, maxAttempts: 1, systemClockOffset: skewMs })
    clients.push(c)
    return c
  }
  // The SDK corrects its clock after a RequestExpired; one attempt, so the skewed request is the one judged.
  const refusal = async (c: EC2Client) => (await c.send(new DescribeInstancesCommand({})).then(() => undefined, (e: unknown) => e)) as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } } | undefined
  const cases: [string, EC2Client, string, number][] = [
    ['an unknown access key id', client('AKIDUNKNOWN00001', payments!.secret), 'AuthFailure', 401],
    ['a wrong secret', client(payments!.accessKeyId, 'not-the-secret-0123456789'), 'SignatureDoesNotMatch', 403],
    ['signed 20 minutes ago', client(payments!.accessKeyId, payments!.secret, -20 * MIN), 'RequestExpired', 400],
    ['a key without the lookup scope', client(metricsOnly!.accessKeyId, metricsOnly!.secret), 'UnauthorizedOperation', 403],
  ]
  for (const [what, c, name, status] of cases) {
    const err = await refusal(c)
    t.match(err, { name, $metadata: { httpStatusCode: status } }, `${what}: ${name} (${status})`)
    for (const k of SIGNING) t.notOk(err?.message?.includes(k.secret), 'no secret in the message')
  }
  const unsigned = await fetch(`${address}/ec2/`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'Action=DescribeInstances&Version=2016-11-15' })
  t.equal(unsigned.status, 403, 'no credentials where keys are configured')
  t.match(await unsigned.text(), /^<\?xml[^>]*>\n<Response><Errors><Error><Code>MissingAuthenticationToken<\/Code>/)
  t.ok(unsigned.headers.get('x-amzn-requestid'), 'with a request id, as EC2 sends')
  const bearer401 = await fetch(`${address}/ec2/?Action=DescribeInstances`, { headers: { authorization: 'Bearer not-a-key-of-ours' } })
  t.equal(bearer401.status, 401)
  t.match(await bearer401.text(), /<Code>AuthFailure<\/Code>/, 'an unknown Bearer key')
  const garbled = await fetch(`${address}/ec2/?Action=DescribeInstances`, { headers: { authorization: 'AWS4-HMAC-SHA256 Credential=nonsense' } })
  t.equal(garbled.status, 400)
  t.match(await garbled.text(), /<Code>IncompleteSignature<\/Code>/, 'a signature that is not one')
  const v1 = await fetch(`${address}/v1/ips/10.0.1.3?at=${T0}`)
  t.equal(v1.headers.get('content-type'), 'application/problem+json; charset=utf-8', '/v1 refuses with a problem')
  t.equal(v1.status, 401)
})

t.test('every route that needs a key needs it however its path is spelled (the router decodes percent-escapes)', async (t) => {
  const { fastify } = await setup(t)
  const paths: [string, string][] = [
    ['GET', `/v1/ips/10.0.1.3?at=${T0}`],
    ['GET', `/v1/ips/10.0.1.3/timeline?from=${T0 - MIN}&to=${T0}`],
    ['GET', `/v1/cidrs/10.0.1.0%2F28?at=${T0}`],
    ['GET', '/v1/instances'],
    ['GET', '/v1/instances/i-1111'],
    ['GET', '/metrics'],
    ['POST', '/ec2/'],
  ]
  // Each letter or digit of the path (before the query, and not of an escape already there) may be sent percent-encoded.
  const spelled = (path: string, mask: readonly boolean[]) => {
    const q = path.indexOf('?')
    const [head, tail] = q < 0 ? [path, ''] : [path.slice(0, q), path.slice(q)]
    const inEscape = (i: number) => head[i - 1] === '%' || head[i - 2] === '%'
    return [...head].map((c, i) => (mask[i % mask.length] && /[a-z0-9]/i.test(c) && !inEscape(i) ? `%${c.charCodeAt(0).toString(16).toUpperCase()}` : c)).join('') + tail
  }
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...paths), fc.array(fc.boolean(), { minLength: 1, maxLength: 12 }), async ([method, path], mask) => {
      const url = spelled(path, mask)
      const res = await fastify.inject({ method: method as 'GET', url, ...(method === 'POST' ? { headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'Action=DescribeInstances' } : {}) })
      // Refused (or, for a spelling the router does not take, not found): never answered without a key.
      return [401, 403, 404].includes(res.statusCode)
    }),
    { numRuns: 200 },
  )
  const res = await fastify.inject({ url: `/%761/ips/10.0.1.3?at=${T0}` })
  t.equal(res.statusCode, 401, '/%761/ips/… is /v1/ips/… and needs a key')
})

t.test('the real /ec2/ route hashes a signed form body itself: a body changed after signing is refused, with or without its declared hash', async (t) => {
  const { fastify } = await setup(t, { realEc2: true })
  const mine = described('222222222222')
  const form = `Action=DescribeInstances&Version=2016-11-15&Filter.1.Name=private-ip-address&Filter.1.Value.1=${mine.PrivateIpAddress}`
  const request = await signed(SIGNING[0]!, 'POST', '/ec2/', {}, form, 'application/x-www-form-urlencoded')
  const ok = await fastify.inject(request)
  t.equal(ok.statusCode, 200, ok.body)
  t.match(ok.body, mine.InstanceId!, 'the signed request is answered')
  // Another address of the same length: the signed content-length still holds.
  const ip = mine.PrivateIpAddress!
  const other = form.replace(ip, `${ip.slice(0, -1)}${ip.endsWith('9') ? '8' : '9'}`)
  const declared = await fastify.inject({ ...request, payload: other })
  t.equal(declared.statusCode, 403)
  t.match(declared.body, /<Code>SignatureDoesNotMatch<\/Code><Message>SigV4: x-amz-content-sha256 is not the hash of the body/)
  // Without the declared hash (as EC2's SDKs sign), the body's own hash is in the canonical request.
  const undeclared = await signed(SIGNING[0]!, 'POST', '/ec2/', {}, form, 'application/x-www-form-urlencoded', 'ec2', Date.now(), false)
  t.notOk('x-amz-content-sha256' in undeclared.headers)
  t.equal((await fastify.inject(undeclared)).statusCode, 200, 'signed without a declared hash: answered')
  const resigned = await fastify.inject({ ...undeclared, payload: other })
  t.equal(resigned.statusCode, 403)
  t.match(resigned.body, /<Code>SignatureDoesNotMatch<\/Code><Message>SigV4: the signature does not match/)
  // A media type the route's parser does not read is hashed on its way in, as on every other route.
  const asText = await signed(SIGNING[0]!, 'POST', '/ec2/', {}, form, 'text/plain', 'ec2', Date.now(), false)
  t.equal((await fastify.inject(asText)).statusCode, 200, 'a signed text/plain body: answered')
  t.equal((await fastify.inject({ ...asText, payload: other })).statusCode, 403, 'changed after signing: refused')
})

t.test('the audit log: one line per /v1 and /ec2/ request with key, route, addresses and size; never a key or a secret', async (t) => {
  const { fastify, lines } = await setup(t, { realEc2: true })
  await fastify.inject({ url: `/v1/ips/10.0.1.3?at=${T0}`, headers: bearer('desk') })
  await fastify.inject({ url: `/v1/ips/10.0.1.3?at=${T0}`, headers: bearer('desk') }) // the cached fast path
  await fastify.inject({ method: 'POST', url: '/v1/lookups', headers: bearer('svc-1'), payload: { lookups: Array.from({ length: 30 }, (_, i) => ({ ip: `10.0.1.${(i % 12) + 1}`, at: T0 })) } })
  // /ec2/ (the real route): ids and address filters asked, and a filter that asks about neither.
  const mine = described('222222222222')
  const form = `Action=DescribeInstances&Version=2016-11-15&InstanceId.1=${mine.InstanceId}&Filter.1.Name=private-ip-address&Filter.1.Value.1=${mine.PrivateIpAddress}&Filter.2.Name=instance-state-name&Filter.2.Value.1=running`
  const ec2 = await signed(SIGNING[0]!, 'POST', '/ec2/', {}, form, 'application/x-www-form-urlencoded')
  const authorization = String(ec2.headers.authorization)
  const signature = /Signature=([0-9a-f]{64})/.exec(authorization)![1]!
  const ec2Res = await fastify.inject(ec2)
  t.equal(ec2Res.statusCode, 200, ec2Res.body)
  const wrongSecret = await signed({ ...SIGNING[0]!, secret: 'a-wrong-signing-secret-never-logged' }, 'POST', '/ec2/', {}, 'Action=DescribeAddresses&PublicIp.1=203.0.113.9', 'application/x-www-form-urlencoded')
  t.equal((await fastify.inject(wrongSecret)).statusCode, 403)
  await fastify.inject({ url: `/v1/ips/10.0.1.3?at=${T0}`, headers: { authorization: 'Bearer a-wrong-key-that-must-not-be-logged' } })
  await fastify.inject({ url: '/healthz' })
  const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>)
  t.equal(parsed.length, 6, 'one line per /v1 or /ec2/ request, none for /healthz')
  t.match(parsed[0], { log: 'whohad-audit', key: 'desk', method: 'GET', route: '/v1/ips/:ip', status: 200, asked: ['10.0.1.3'], askedCount: 1, answerBytes: Number })
  t.match(parsed[1], { key: 'desk', route: '/v1/ips/:ip', asked: ['10.0.1.3'], status: 200 })
  t.match(parsed[2], { key: 'svc-1', route: '/v1/lookups', askedCount: 30, results: 30 })
  t.equal((parsed[2]!.asked as string[]).length, 10, 'a batch: its first ten addresses')
  t.match(parsed[3], { key: 'sdk-payments', route: '/ec2/', region: 'eu-west-1', status: 200, action: 'DescribeInstances', askedCount: 2, results: 1 })
  t.strictSame(parsed[3]!.asked, [mine.InstanceId, mine.PrivateIpAddress], '/ec2/: the instance id and the address asked, not the state filter')
  t.match(parsed[4], { key: null, route: '/ec2/', status: 403 })
  t.match(parsed[5], { key: null, status: 401 })
  const text = lines.join('\n')
  for (const k of SIGNING) t.notOk(text.includes(k.secret) || text.includes(k.accessKeyId), `neither the secret nor the access key id of ${k.name}`)
  t.notOk(text.includes(signature) || text.includes(authorization), "not the /ec2/ request's signature or Authorization header")
  t.notOk(text.includes('a-wrong-signing-secret'), 'not a wrong secret')
  for (const [name, k] of Object.entries(BEARER)) t.notOk(text.includes(k.key), `no Bearer key of ${name}`)
  t.notOk(text.includes('a-wrong-key'), 'not even a wrong key')
  t.notOk(/authorization|AWS4-HMAC|Signature=/i.test(text), 'no Authorization header')
})
