// A batch item's check: the hand-written path for the common shape ({ip: dotted quad, at}) answers
// exactly what the item's schema answers, for every value it takes, and leaves everything else to the
// schema (whose errors stay the only errors).
import { isDeepStrictEqual } from 'node:util'
import fc from 'fast-check'
import t from 'tap'
import { checkedItem, itemQuery } from '../../src/api/lookup-item.ts'

const quad = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((p) => p.join('.'))
const ip = fc.oneof(
  quad,
  quad,
  fc.constantFrom('010.0.0.1', '256.1.1.1', '1.2.3', '1.2.3.4.5', ' 1.2.3.4', '1.2.3.4 ', '2001:db8::7', '::ffff:1.2.3.4', '', '0.0.0.0', '255.255.255.255', '1.2.3.4%eth0', '١.٢.٣.٤'),
  fc.string({ maxLength: 16 }),
  fc.constantFrom(null, 7, true, ['1.2.3.4'], { a: 1 }, undefined),
)
const iso = fc.integer({ min: -86_400_000, max: Date.UTC(10000, 0, 1) }).map((ms) => {
  const d = new Date(ms)
  return Number.isNaN(d.getTime()) ? 'x' : d.toISOString()
})
const at = fc.oneof(
  iso,
  iso.map((s) => s.replace('.000Z', 'Z')),
  iso.map((s) => s.replace('T', ' ')),
  iso.map((s) => s.replace('Z', '+01:00')),
  fc.tuple(fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 0, max: 13 }), fc.integer({ min: 0, max: 32 }), fc.integer({ min: 0, max: 24 }), fc.integer({ min: 0, max: 60 })).map(
    ([y, mo, d, h, mi]) => `${String(y).padStart(4, '0')}-${String(mo).padStart(2, '0')}-${String(d).padStart(2, '0')}T${String(h).padStart(2, '0')}:${String(mi).padStart(2, '0')}:00Z`,
  ),
  fc.oneof(fc.integer({ min: -10, max: 3e11 }), fc.double({ min: -1, max: 1e14, noNaN: true }), fc.constantFrom(0, 1e11, 1e11 - 1, 253402300799, 253402300800, 253402300799999, 253402300800000)),
  fc.constantFrom('', ' ', '1763632800', '1763632800.5', '2026-11-20', '2026-11-20T10:00:00', '2026-02-30T00:00:00Z', 'yesterday', null, true, [], {}),
  fc.string({ maxLength: 30 }),
)
const item = fc.oneof(
  fc.record({ ip, at }),
  fc.record({ at, ip }),
  fc.record({ ip, at }, { requiredKeys: [] }),
  fc.record({ ip, at, window: fc.constantFrom('5m', '0s', 'x', '8d') }),
  fc.record({ ip, at, vpc: fc.constantFrom('vpc-0abc', 'vpc-X') }),
  fc.record({ ip, at, account: fc.constantFrom('111111111111', '1') }),
  fc.record({ ip, at, extra: fc.constant(1) }),
  fc.tuple(ip, at).map(([i, a]) => Object.assign(Object.create(null) as object, { ip: i, at: a })),
  fc.tuple(ip, at).map(([i, a]) => [i, a]),
  fc.constantFrom(null, undefined, 1, 'x', true),
)

t.test('the common shape is checked by hand exactly as the schema checks it (property)', async (t) => {
  const visible = fc.option(fc.constantFrom(['111111111111'], ['111111111111', '222222222222']), { nil: undefined })
  fc.assert(
    fc.property(item, visible, (raw, v) => {
      // Through JSON too: a batch's items are parsed JSON (no undefined, no odd prototypes).
      const parsed = raw === undefined ? undefined : (JSON.parse(JSON.stringify(raw) ?? 'null') as unknown)
      return isDeepStrictEqual(itemQuery(raw, v), checkedItem(raw, v)) && isDeepStrictEqual(itemQuery(parsed, v), checkedItem(parsed, v))
    }),
    { numRuns: 30_000 },
  )
  t.strictSame(itemQuery({ ip: '203.0.113.7', at: '2026-11-20T10:00:00.123Z' }, undefined), { ip: '203.0.113.7', at: Date.UTC(2026, 10, 20, 10, 0, 0, 123), windowMs: 0, vpc: undefined, account: undefined, visible: undefined })
  t.strictSame(itemQuery({ ip: '203.0.113.7', at: 1763632800 }, ['1']), { ip: '203.0.113.7', at: 1763632800000, windowMs: 0, vpc: undefined, account: undefined, visible: ['1'] })
  t.match(itemQuery({ ip: '203.0.113.07', at: '2026-11-20T10:00:00Z' }, undefined), { error: /"ip": "203\.0\.113\.07" is not an IP address: each of the four parts/ })
  t.match(itemQuery({ ip: '203.0.113.7', at: '2026-02-30T10:00:00Z' }, undefined), { error: /"at": .*day 30 does not exist/ })
  t.match(itemQuery({ ip: '203.0.113.7', at: '2026-11-20T10:00:00Z', x: 1 }, undefined), { error: 'unknown field "x"' })
})
