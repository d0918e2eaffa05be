import fc from 'fast-check'
import t from 'tap'
import {
  EPOCH_SECONDS_LIMIT,
  formatDuration,
  formatTime,
  InvalidDurationError,
  InvalidTimeError,
  isNow,
  parseDuration,
  parseTime,
} from '../../src/model/time.ts'

const T = Date.UTC(2026, 10, 20, 10, 0, 0)

t.test('ISO-8601 with any offset', async (t) => {
  t.equal(parseTime('2026-11-20T10:00:00Z'), T)
  t.equal(parseTime('2026-11-20T10:00:00.000z'), T)
  t.equal(parseTime('2026-11-20T11:00:00+01:00'), T)
  t.equal(parseTime('2026-11-20 11:00 +0100'), T, 'the way complaints write it')
  t.equal(parseTime('2026-11-20T05:30:00-04:30'), T)
  t.equal(parseTime('2026-11-20T15:30+05:30'), T)
  t.equal(parseTime('2026-11-20T12:00:00+02'), T)
  t.equal(parseTime('2026-11-20 10:00:00 UTC'), T)
  t.equal(parseTime('2026-11-20T10:00:00.123456789Z'), T + 123, 'nanoseconds truncate to ms')
  t.equal(parseTime('  2026-11-20T10:00:00Z  '), T, 'surrounding spaces are fine')
})

t.test('epoch seconds and milliseconds', async (t) => {
  t.equal(parseTime(String(T / 1000)), T, 'seconds')
  t.equal(parseTime(String(T)), T, 'milliseconds')
  t.equal(parseTime(T / 1000), T, 'numbers too')
  t.equal(parseTime('1763632800.5'), 1763632800500, 'fractional seconds')
  t.equal(parseTime(String(EPOCH_SECONDS_LIMIT - 1)), (EPOCH_SECONDS_LIMIT - 1) * 1000)
  t.equal(parseTime(String(EPOCH_SECONDS_LIMIT)), EPOCH_SECONDS_LIMIT, 'at the limit it is milliseconds')
})

t.test('now: the clock when parsed, in any case and with spaces', async (t) => {
  const clock = () => T + 123
  t.equal(parseTime('now', clock), T + 123)
  t.equal(parseTime(' NOW ', clock), T + 123)
  t.ok(Math.abs(parseTime('now') - Date.now()) < 60_000, 'the real clock by default')
  t.ok(isNow('Now') && !isNow('nowish') && !isNow(T) && !isNow('2026-11-20T10:00:00Z'))
  t.throws(() => parseTime('yesterday'), /or now/, 'refusals name it among the forms')
})

t.test('refusals say why', async (t) => {
  const cases: [string, RegExp][] = [
    ['2026-11-20T10:00:00', /no timezone offset/],
    ['2026-11-20', /no timezone offset/],
    ['yesterday', /ISO-8601/],
    ['', /empty/],
    ['2026-13-01T00:00Z', /month/],
    ['2026-02-30T00:00Z', /does not exist/],
    ['2026-11-20T24:00Z', /time of day/],
    ['2026-11-20T10:00+15:00', /not a real UTC offset/],
    ['-5', /ISO-8601/],
    ['1'.repeat(80), /too long/],
    ['99999999999999999', /past the year 9999/],
    ['1969-12-31T23:59:59Z', /outside 1970-9999/],
  ]
  for (const [input, reason] of cases) {
    t.throws(() => parseTime(input), InvalidTimeError, input)
    t.throws(() => parseTime(input), { message: reason }, input)
  }
  t.throws(() => parseTime(-1), /positive/)
  t.throws(() => parseTime(Number.NaN), /positive/)
})

t.test('durations', async (t) => {
  t.equal(parseDuration('5m'), 300_000)
  t.equal(parseDuration('90s'), 90_000)
  t.equal(parseDuration('1h30m'), 5_400_000)
  t.equal(parseDuration('250ms'), 250)
  t.equal(parseDuration('0s'), 0)
  t.equal(parseDuration('1.5h'), 5_400_000)
  for (const bad of ['', '5', 'm', '5 minutes', '-5m', '31d', '5x']) {
    t.throws(() => parseDuration(bad), InvalidDurationError, bad)
  }
  t.equal(formatDuration(300_000), '5m')
  t.equal(formatDuration(86_400_000), '1d')
  t.equal(formatDuration(1500), '1500ms')
})

t.test('format and parse round-trip; offsets never change the instant (property)', async (t) => {
  const instant = fc.integer({ min: 0, max: Date.UTC(9000, 0, 1) })
  fc.assert(fc.property(instant, (ms) => parseTime(formatTime(ms)) === ms))
  fc.assert(
    fc.property(instant, fc.integer({ min: -14 * 60, max: 14 * 60 }), (ms, offset) => {
      const ms0 = Math.floor(ms / 1000) * 1000
      if (ms0 + offset * 60_000 < 0) return true
      const local = new Date(ms0 + offset * 60_000).toISOString().slice(0, 19)
      const sign = offset < 0 ? '-' : '+'
      const abs = Math.abs(offset)
      const text = `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`
      return parseTime(text) === ms0
    }),
  )
  t.pass('properties hold')
})

t.test('formatTime is toISOString for every time whohad answers in (property)', async (t) => {
  const MAX = Date.UTC(9999, 11, 31, 23, 59, 59, 999)
  const times = fc.oneof(
    fc.integer({ min: 0, max: MAX }),
    fc.integer({ min: Date.UTC(2024, 0, 1), max: Date.UTC(2028, 11, 31) }),
    // Around day, hour and second edges, and leap days.
    fc.tuple(fc.integer({ min: 0, max: 2_900_000 }), fc.integer({ min: -1_001, max: 1_001 })).map(([d, o]) => Math.max(0, d * 86_400_000 + o)),
    fc.constantFrom(0, MAX, Date.UTC(2024, 1, 29, 23, 59, 59, 999), Date.UTC(2000, 1, 29), Date.UTC(2100, 2, 1) - 1),
  )
  fc.assert(fc.property(times, (ms) => formatTime(ms) === new Date(ms).toISOString()), { numRuns: 20_000 })
  t.equal(formatTime(1.5), new Date(1.5).toISOString(), 'a fraction of a millisecond is toISOString too')
})

t.test('day-of-month checks agree with the calendar (property)', async (t) => {
  fc.assert(
    fc.property(fc.integer({ min: 1970, max: 9999 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 28, max: 31 }), (y, m, d) => {
      const text = `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}T00:00:00Z`
      const real = new Date(Date.UTC(y, m, 0)).getUTCDate() >= d
      let parsed = true
      try {
        parseTime(text)
      } catch {
        parsed = false
      }
      return parsed === real
    }),
    { numRuns: 5_000 },
  )
  t.pass('property holds')
})

t.test('formatted times sort as the times do (verdicts compare them as text)', async (t) => {
  const MAX = Date.UTC(9999, 11, 31, 23, 59, 59, 999)
  fc.assert(fc.property(fc.integer({ min: 0, max: MAX }), fc.integer({ min: 0, max: MAX }), (a, b) => Math.sign(a - b) === (formatTime(a) < formatTime(b) ? -1 : formatTime(a) > formatTime(b) ? 1 : 0)), { numRuns: 5_000 })
  t.pass('property holds')
})

t.test('the plain UTC form is read as the general path reads it (property)', async (t) => {
  // `…T…Z` takes a fast path; the same text with a space for the T (or z for the Z) takes the regex: both
  // agree on every value and on every refusal, whatever digits (month 13, day 31 in April, year 0099…).
  const digit = fc.integer({ min: 0, max: 9 }).map(String)
  const field = (n: number) => fc.array(digit, { minLength: n, maxLength: n }).map((d) => d.join(''))
  const near = (n: number, max: number) => fc.oneof(field(n), fc.integer({ min: 0, max }).map((v) => String(v).padStart(n, '0')))
  const text = fc
    .tuple(near(4, 9999), near(2, 13), near(2, 32), near(2, 24), near(2, 60), near(2, 60), fc.option(near(3, 999)), fc.constantFrom('', 'x', '0'))
    .map(([y, mo, d, h, mi, s, frac, noise]) => `${y}-${mo}-${d}T${h}:${mi}:${s}${frac === null ? '' : `.${frac}`}Z`.replace(/^/, noise === '0' ? '' : noise))
  const outcome = (input: string) => {
    try {
      return parseTime(input)
    } catch (err) {
      if (!(err instanceof InvalidTimeError)) throw err
      return 'refused'
    }
  }
  fc.assert(
    fc.property(fc.oneof(text, fc.integer({ min: 0, max: Date.UTC(9999, 11, 31, 23, 59, 59, 999) }).map((ms) => new Date(ms).toISOString())), (input) => {
      const general = outcome(input.replace('T', ' '))
      return outcome(input) === general && outcome(input.replace(/Z$/, 'z')) === general
    }),
    { numRuns: 20_000 },
  )
  t.equal(parseTime('2026-11-20T10:00:00.291Z'), T + 291)
  t.equal(parseTime('0080-01-01T00:00:00Z'), Date.UTC(1980, 0, 1), 'a two-digit year reads as the regex path reads it (Date.UTC\'s 19xx)')
  t.throws(() => parseTime('2026-02-29T00:00:00Z'), /does not exist/)
})
