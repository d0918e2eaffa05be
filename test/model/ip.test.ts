import fc from 'fast-check'
import ipaddr from 'ipaddr.js'
import t from 'tap'
import {
  cidrContains,
  cidrSize,
  containingCidr,
  dottedQuad,
  InvalidCidrError,
  InvalidIpError,
  isPrivate,
  normalizeIp,
  parseCidr,
  parseIp,
  scopeFor,
} from '../../src/model/ip.ts'

t.test('canonical forms', async (t) => {
  t.equal(normalizeIp('203.0.113.7'), '203.0.113.7')
  t.equal(normalizeIp('::ffff:1.2.3.4'), '1.2.3.4', 'IPv4-mapped IPv6 is the IPv4 address')
  t.equal(normalizeIp('::FFFF:0102:0304'), '1.2.3.4')
  t.equal(normalizeIp('2001:DB8:0:0:0:0:0:1'), '2001:db8::1', 'RFC 5952: lower case, longest zero run compressed')
  t.equal(normalizeIp('2001:db8:0:0:1:0:0:1'), '2001:db8::1:0:0:1', 'first of equal zero runs compressed')
  t.equal(parseIp('2001:db8::1').version, 6)
  t.equal(parseIp('10.1.2.3').version, 4)
})

t.test('bad addresses are refused with a reason', async (t) => {
  const cases: [string, RegExp][] = [
    ['', /empty/],
    ['fe80::1%eth0', /zone ids/],
    ['010.0.0.1', /leading zeros/],
    ['256.1.1.1', /0-255/],
    ['127.1', /four decimal parts/],
    ['0x7f.0.0.1', /four decimal parts/],
    [' 1.2.3.4', /spaces/],
    ['1.2.3.4/32', /four decimal parts/],
    ['2001:db8:::1', /not valid IPv6/],
    ['x'.repeat(100), /too long/],
  ]
  for (const [input, reason] of cases) {
    t.throws(() => parseIp(input), InvalidIpError, input)
    t.throws(() => parseIp(input), { message: reason }, input)
  }
})

t.test('CIDRs', async (t) => {
  t.equal(parseCidr('10.1.2.3/16').text, '10.1.0.0/16', 'host bits cleared')
  t.equal(parseCidr('2001:DB8::1/32').text, '2001:db8::/32')
  t.equal(parseCidr('10.0.0.0/0').text, '0.0.0.0/0')
  t.equal(cidrSize(parseCidr('10.0.0.0/28')), 16n)
  t.equal(cidrSize(parseCidr('2001:db8::/80')), 1n << 48n)
  t.ok(cidrContains(parseCidr('10.0.5.16/28'), parseIp('10.0.5.31')))
  t.notOk(cidrContains(parseCidr('10.0.5.16/28'), parseIp('10.0.5.32')))
  t.notOk(cidrContains(parseCidr('10.0.5.16/28'), parseIp('2001:db8::1')), 'versions never contain each other')
  t.equal(containingCidr(parseIp('2001:db8:1:2:3:4:5:6'), 80).text, '2001:db8:1:2:3::/80')
  for (const bad of ['10.0.0.0', '10.0.0.0/33', '10.0.0.0/x', '10.0.0/8', '::/129', '10.0.0.0/08x']) {
    t.throws(() => parseCidr(bad), InvalidCidrError, bad)
  }
})

t.test('private addresses and scopes', async (t) => {
  for (const ip of ['10.0.0.1', '172.16.0.1', '172.31.255.255', '192.168.1.1', '100.64.0.1', '100.127.255.255', 'fd00::1']) {
    t.ok(isPrivate(parseIp(ip)), `${ip} is private`)
  }
  for (const ip of ['8.8.8.8', '172.32.0.1', '100.128.0.1', '2001:db8::1', '52.1.2.3']) {
    t.notOk(isPrivate(parseIp(ip)), `${ip} is not private`)
  }
  t.equal(scopeFor(parseIp('10.0.0.1'), 'vpc-1'), 'vpc-1', 'private IPv4 is scoped by VPC')
  t.equal(scopeFor(parseIp('52.1.2.3'), 'vpc-1'), 'global')
  t.equal(scopeFor(parseIp('fd00::1'), 'vpc-1'), 'global', 'ULA is private yet globally unique')
  t.throws(() => scopeFor(parseIp('10.0.0.1'), undefined), /needs a VPC id/)
})

t.test('normalising is idempotent and agrees across notations (property)', async (t) => {
  fc.assert(
    fc.property(fc.ipV4(), (ip) => normalizeIp(normalizeIp(ip)) === normalizeIp(ip) && normalizeIp(`::ffff:${ip}`) === ip),
  )
  fc.assert(
    fc.property(fc.ipV6(), (ip) => {
      const once = normalizeIp(ip)
      return normalizeIp(once) === once && normalizeIp(once.toUpperCase()) === once
    }),
  )
  fc.assert(
    fc.property(fc.ipV4(), fc.integer({ min: 0, max: 32 }), (ip, len) => cidrContains(containingCidr(parseIp(ip), len), parseIp(ip))),
  )
  t.pass('properties hold')
})

t.test('the dotted-decimal fast path agrees with ipaddr.js (property)', async (t) => {
  // Text near the form: digits, dots, and the characters that make other valid or invalid forms.
  const nearQuad = fc.oneof(
    fc.ipV4(),
    fc.ipV4Extended(),
    fc.stringMatching(/^[0-9.x ]{0,18}$/),
    fc.tuple(fc.nat(300), fc.nat(300), fc.nat(300), fc.nat(300)).map((p) => p.join('.')),
    fc.tuple(fc.ipV4(), fc.constantFrom('0', '00', '.', ' ', '1')).map(([ip, s]) => ip + s),
  )
  fc.assert(
    fc.property(nearQuad, (text) => {
      const fast = dottedQuad(text)
      const valid = ipaddr.IPv4.isValidFourPartDecimal(text)
      if (!valid) return fast === undefined
      const slow = ipaddr.IPv4.parse(text)
      return fast === slow.toByteArray().reduce((v, b) => v * 256 + b, 0) && parseIp(text).text === slow.toString()
    }),
    { numRuns: 5_000 },
  )
  t.pass('property holds')
})

t.test('private IPv4 by value agrees with ipaddr.js ranges (property)', async (t) => {
  const edges = [0, 9, 10, 11, 99, 100, 101, 171, 172, 173, 191, 192, 193, 255]
  const near = fc.tuple(fc.constantFrom(...edges), fc.constantFrom(0, 15, 16, 31, 32, 63, 64, 127, 128, 167, 168, 169, 255), fc.nat(255), fc.nat(255)).map((p) => p.join('.'))
  fc.assert(
    fc.property(fc.oneof(fc.ipV4(), near), (text) => isPrivate(parseIp(text)) === ['private', 'carrierGradeNat'].includes(ipaddr.parse(text).range())),
    { numRuns: 5_000 },
  )
  t.pass('property holds')
})

t.test('the IPv4 block containing an address, by arithmetic, is what parseCidr makes of it (property)', async (t) => {
  fc.assert(
    fc.property(fc.oneof(fc.ipV4(), fc.constantFrom('0.0.0.0', '255.255.255.255', '10.0.0.15', '10.0.0.16')), fc.integer({ min: 0, max: 32 }), (ip, len) => {
      const got = containingCidr(parseIp(ip), len)
      return JSON.stringify(got) === JSON.stringify(parseCidr(`${ip}/${len}`))
    }),
    { numRuns: 20_000 },
  )
  t.equal(containingCidr(parseIp('10.0.0.17'), 28).text, '10.0.0.16/28')
  t.equal(containingCidr(parseIp('255.255.255.255'), 0).text, '0.0.0.0/0')
})
