import fc from 'fast-check'
import ipaddr from 'ipaddr.js'
import t from 'tap'
import { AddressPool, canonicalIp, containingPrefix, intToIpv4, ipv4ToInt, ipv6Text } from '../../src/fakeaws/addresses.ts'
import { CredentialStore, parseAuthorization } from '../../src/fakeaws/auth.ts'
import { realtimeClock, virtualClock } from '../../src/fakeaws/clock.ts'
import { SeqList } from '../../src/fakeaws/entities.ts'
import { Faults, TokenBucket } from '../../src/fakeaws/faults.ts'
import { EventHeap } from '../../src/fakeaws/heap.ts'
import { Ledger } from '../../src/fakeaws/ledger.ts'
import { decodeCursor, encodeCursor, startPage, takePage } from '../../src/protocol/pagination.ts'
import { AwsError, ec2ErrorBody, jsonErrorBody, queryErrorBody } from '../../src/protocol/errors.ts'
import { booleanParam, filterParams, listParam, parseForm } from '../../src/protocol/params.ts'
import { el, escapeXml, items } from '../../src/protocol/xml.ts'
import { azIdPrefix, privateDnsName, publicBlock, publicDnsName } from '../../src/fakeaws/regions.ts'
import { hash32, IdFactory, Rng } from '../../src/fakeaws/rng.ts'
import { startFakeAws } from '../../src/fakeaws/index.ts'

t.test('rng and ids', async (t) => {
  const a = new Rng('x', 1)
  const b = new Rng('x', 1)
  t.same(Array.from({ length: 5 }, () => a.next()), Array.from({ length: 5 }, () => b.next()), 'same seed, same stream')
  t.not(new Rng('x', 2).next(), new Rng('x', 1).next())
  const r = new Rng('y')
  for (let i = 0; i < 1000; i++) {
    const v = r.between(3, 5)
    if (v < 3 || v > 5) t.fail('between out of range')
    if (r.exponential(10) < 0) t.fail('negative wait')
  }
  t.throws(() => r.pick([]), /empty/)
  t.not(hash32('ab', 'c'), hash32('a', 'bc'), 'parts are separated')
  const ids = new IdFactory(7)
  const seen = new Set(Array.from({ length: 5000 }, () => ids.next('eni')))
  t.equal(seen.size, 5000, 'ids never collide')
  t.match([...seen][0], /^eni-0[0-9a-f]{16}$/)
  t.equal(new IdFactory(7).next('eni'), [...seen][0], 'ids depend only on seed and order')
  t.match(ids.hex('x', 40), /^[0-9a-f]{40}$/)
})

t.test('heap orders by time, then insertion', async (t) => {
  const heap = new EventHeap<{ at: number; seq: number }>()
  t.equal(heap.pop(), undefined)
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: 20 })), (times) => {
      const h = new EventHeap<{ at: number; seq: number }>()
      times.forEach((at, seq) => h.push({ at, seq }))
      const out: Array<{ at: number; seq: number }> = []
      while (h.size > 0) out.push(h.pop() as { at: number; seq: number })
      const sorted = times.map((at, seq) => ({ at, seq })).sort((x, y) => x.at - y.at || x.seq - y.seq)
      return JSON.stringify(out) === JSON.stringify(sorted)
    }),
  )
})

t.test('address arithmetic and pools', async (t) => {
  t.equal(intToIpv4(ipv4ToInt('203.0.113.255')), '203.0.113.255')
  t.throws(() => ipv4ToInt('1.2.3'), /not an IPv4/)
  t.throws(() => ipv4ToInt('1.2.3.256'), /not an IPv4/)
  t.equal(canonicalIp('2600:1F10:0:0:0:0:0:1'), '2600:1f10::1')
  t.equal(canonicalIp('::ffff:1.2.3.4'), '1.2.3.4')
  t.equal(canonicalIp('10.0.0.17/28'), '10.0.0.16/28')
  t.equal(canonicalIp('010.0.0.1'), undefined)
  t.equal(canonicalIp('nope'), undefined)
  t.equal(canonicalIp('1.2.3.4/99'), undefined)
  t.equal(containingPrefix('2600:1f10::8001:1:2:3', 80), '2600:1f10:0:0:8001::/80')
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 }), (groups) => ipv6Text(groups) === ipaddr.parse(ipv6Text(groups)).toString()),
  )
  const rng = new Rng('pool')
  const pool = new AddressPool(ipv4ToInt('10.0.0.0'), 16, [0, 1, 2, 3, 15])
  t.equal(pool.free, 11)
  const got = Array.from({ length: 11 }, () => pool.allocate(rng))
  t.equal(new Set(got).size, 11)
  t.equal(pool.allocate(rng), undefined, 'full')
  t.equal(pool.allocateBlock(4, rng), undefined, 'no room for a block')
  pool.release(got[0] as number)
  t.throws(() => pool.release(got[0] as number), /twice/)
  t.equal(pool.allocate(new Rng('always-reuse')), got[0], 'a freed address comes back soon')
  const big = new AddressPool(ipv4ToInt('10.0.1.0'), 64, [0, 63])
  const block = big.allocateBlock(16, rng) as number
  t.equal((ipv4ToInt('10.0.1.0') + block) % 16, 0, 'blocks are aligned')
  t.ok(big.isUsed(block + 15))
  big.releaseBlock(block, 16)
  t.notOk(big.isUsed(block))
  // A nearly full pool still finds its last address by scanning.
  const tight = new AddressPool(0, 1000)
  for (let i = 0; i < 999; i++) tight.allocate(rng)
  t.type(tight.allocate(rng), 'number')
})

t.test('clocks', async (t) => {
  const v = virtualClock(1000)
  t.equal(v.advance(500), 1500)
  t.throws(() => v.advance(-1), /only moves forward/)
  t.throws(() => v.advance(Number.NaN))
  let wall = 0
  const r = realtimeClock(10_000, () => wall)
  wall = 250
  t.equal(r.now(), 10_250)
  t.equal(r.advance(1000), 11_250, 'realtime can jump ahead')
  t.equal(realtimeClock().mode, 'realtime')
})

t.test('ledger guards', async (t) => {
  const ledger = new Ledger()
  const e = ledger.begin({ ip: '10.0.0.5', kind: 'private-ipv4', scope: 'vpc-1', eniId: 'eni-1', accountId: 'a', region: 'r', vpcId: 'vpc-1', subnetId: 's', start: 100 })
  t.throws(() => ledger.end(e, 50), /before it started/)
  ledger.end(e, 200)
  t.throws(() => ledger.end(e, 300), /twice/)
  t.same(ledger.at('10.0.0.5', 199).map((x) => x.id), [e.id])
  t.same(ledger.at('10.0.0.5', 200), [], 'intervals are half-open')
  t.same(ledger.at('10.0.0.0/28', 150), [])
  t.equal(ledger.openSize, 0)
})

t.test('SeqList', async (t) => {
  const removed = new Set<number>()
  const list = new SeqList<{ seq: number }>((i) => removed.has(i.seq))
  for (let seq = 1; seq <= 200; seq++) list.add({ seq })
  t.throws(() => list.add({ seq: 5 }), /seq order/)
  for (let seq = 1; seq <= 150; seq++) {
    removed.add(seq)
    list.noteRemoved()
  }
  t.equal(list.liveCount, 50)
  t.same([...list.after(190)].map((i) => i.seq), [191, 192, 193, 194, 195, 196, 197, 198, 199, 200])
  t.equal([...list.after(0)].length, 50, 'compaction keeps the live ones')
})

t.test('pagination tokens', async (t) => {
  const c = { action: 'A', target: 'T', after: 5, pages: 2, issuedAt: 1000, query: 42 }
  t.same(decodeCursor(encodeCursor(c)), c)
  t.equal(decodeCursor('nope'), undefined)
  t.equal(decodeCursor('fk1.!!!'), undefined)
  t.equal(decodeCursor(`fk1.${Buffer.from('[1,2]').toString('base64url')}`), undefined)
  t.equal(decodeCursor(`fk1.${Buffer.from('[1,"t",1,1,1,1]').toString('base64url')}`), undefined)
  t.equal(decodeCursor(`fk1.${Buffer.from('["a","t","x",1,1,1]').toString('base64url')}`), undefined)
  const invalid = (m: string): AwsError => new AwsError('Bad', m)
  t.same(startPage(undefined, { action: 'A', target: 'T', query: 42, now: 1000, ttlMs: 10, invalid }), { after: 0, page: 1 })
  t.same(startPage(encodeCursor(c), { action: 'A', target: 'T', query: 42, now: 1005, ttlMs: 10, invalid }), { after: 5, page: 3 })
  t.throws(() => startPage(encodeCursor(c), { action: 'A', target: 'T', query: 42, now: 2000, ttlMs: 10, invalid }), /expired/)
  t.same(takePage([1, 2, 3], 3), { items: [1, 2, 3], more: false })
  t.same(takePage([1, 2, 3, 4], 3), { items: [1, 2, 3], more: true })
})

t.test('protocol helpers', async (t) => {
  t.equal(escapeXml(`<a href="x">&'</a>`), '&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt;')
  t.equal(el('x', undefined), '')
  t.equal(el('x', false), '<x>false</x>')
  t.equal(items('s', [], () => ''), '<s/>')
  const err = new AwsError('InternalFailure', 'boom', 500, { Reason: 'R' })
  t.match(queryErrorBody(err, 'rid', 'ns'), /<Type>Receiver<\/Type>/)
  t.match(ec2ErrorBody(err, 'rid'), /<Code>InternalFailure<\/Code><Message>boom<\/Message>/)
  t.same(JSON.parse(jsonErrorBody(err, 'Message')), { __type: 'InternalFailure', Message: 'boom', Reason: 'R' })
  const p = parseForm('B.2=two&B.1=one&B.x=no&Filter.2.Name=b&Filter.2.Value.1=y&Filter.1.Value.2=x2&Filter.1.Name=a&Filter.1.Value.1=x1&F=false')
  t.same(listParam(p, 'B'), ['one', 'two'])
  t.same(filterParams(p), [{ name: 'a', values: ['x1', 'x2'] }, { name: 'b', values: ['y'] }])
  t.equal(booleanParam(p, 'F'), false)
  t.equal(booleanParam(p, 'G'), undefined)
})

t.test('regions and auth', async (t) => {
  t.equal(azIdPrefix('us-east-1'), 'use1')
  t.equal(azIdPrefix('ap-southeast-2'), 'apse2')
  t.equal(azIdPrefix('xx-weird-9'), 'xxw9')
  t.throws(() => publicBlock(99), /at most/)
  t.equal(privateDnsName('10.0.0.1', 'eu-west-1'), 'ip-10-0-0-1.eu-west-1.compute.internal')
  t.equal(publicDnsName('3.3.3.3', 'eu-west-1'), 'ec2-3-3-3-3.eu-west-1.compute.amazonaws.com')
  t.equal(parseAuthorization(undefined), undefined)
  t.equal(parseAuthorization('Bearer x'), undefined)
  t.same(parseAuthorization('AWS4-HMAC-SHA256 Credential=AKIAX/20261120/eu-west-1/config/aws4_request, SignedHeaders=host, Signature=1'), {
    accessKeyId: 'AKIAX',
    date: '20261120',
    region: 'eu-west-1',
    service: 'config',
  })
  const store = new CredentialStore(1, '111111111111')
  t.equal(new CredentialStore(1, '111111111111').management.accessKeyId, store.management.accessKeyId, 'management keys depend on the seed')
  const issued = store.issue('222222222222', 'r', 's', 5000)
  t.same(store.authenticate(issued.accessKeyId, issued.sessionToken, 4999), { ok: true, principal: issued })
  t.same(store.authenticate(issued.accessKeyId, issued.sessionToken, 5000), { ok: false, reason: 'expired' })
  t.same(store.authenticate(issued.accessKeyId, undefined, 0), { ok: false, reason: 'token-mismatch' })
  t.same(store.authenticate('AKIANOPE', undefined, 0), { ok: false, reason: 'unknown' })
})

t.test('faults bookkeeping', async (t) => {
  const bucket = new TokenBucket({ capacity: 2, refillPerSecond: 1 })
  t.ok(bucket.take(0))
  t.ok(bucket.take(0))
  t.notOk(bucket.take(0))
  t.notOk(bucket.take(500))
  t.ok(bucket.take(1500), 'refilled')
  let virtual = 0
  const faults = new Faults({ seed: 1, throttling: 'off', throttleClock: 'virtual', virtualNow: () => virtual, realNow: () => 0 })
  const req = { service: 'ec2' as const, action: 'DescribeRegions', accountId: 'a', region: 'r' }
  t.equal(faults.check(req), undefined, 'no default buckets when off')
  faults.setDefaultThrottling(true)
  for (let i = 0; i < 100; i++) faults.check(req)
  t.match(faults.check(req), { code: 'RequestLimitExceeded', status: 503 })
  virtual += 1000
  t.equal(faults.check(req), undefined, '20 tokens a second come back')
  t.equal(faults.check({ ...req, service: 'sts', action: 'AssumeRole' }), undefined, 'no default bucket for STS')
  const id = faults.add({ kind: 'throttle', match: { accountId: ['a'] }, capacity: 0, refillPerSecond: 0 })
  t.match(faults.check(req), { code: 'RequestLimitExceeded' })
  t.equal(faults.check({ ...req, accountId: 'b' }), undefined, 'other accounts unaffected by the rule (and default buckets are per account)')
  t.ok(faults.remove(id))
  faults.add({ kind: 'latency', match: { service: 'config' }, ms: 5 })
  t.equal(faults.latencyFor(req), 0)
  t.equal(faults.latencyFor({ ...req, service: 'config' }), 5)
  faults.add({ kind: 'fail-page', page: 2, code: 'X', status: 502, times: 1 })
  const invalid = (m: string): AwsError => new AwsError('Invalid', m)
  t.equal(faults.checkPage(req, 1, invalid), undefined)
  t.match(faults.checkPage(req, 2, invalid), { code: 'X', status: 502 })
  t.equal(faults.checkPage(req, 2, invalid), undefined, 'times: 1')
  t.equal(faults.list().length, 2)
})

t.test('fake handle odds and ends', async (t) => {
  const fake = await startFakeAws({ accounts: 3, suspendedAccounts: 1, regions: ['eu-west-1'], enisPerRegion: 5, host: '127.0.0.1' })
  t.equal(fake.clientConfig().region, 'eu-west-1')
  t.equal(fake.clientConfig().maxAttempts, 3)
  t.same(fake.clientConfig().credentials, fake.managementCredentials)
  t.throws(() => fake.credentialsFor(fake.accountIds[2] as string), /no active account/)
  const c = fake.credentialsFor(fake.accountIds[1] as string, { durationSeconds: 60 })
  t.equal(c.expiration, fake.clock.now() + 60_000)
  t.equal(fake.activeAccountIds.length, 2)
  await Promise.all([fake.close(), fake.close()])
  t.pass('closing twice is fine')
})
