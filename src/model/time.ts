// Times as people and SIEMs write them, turned into one internal form: UTC epoch milliseconds.
// A complaint's timestamp is evidence; guessing its timezone would make a confident wrong answer,
// so a time without an offset is refused rather than assumed to be UTC or local. `now` is the one
// relative time: a responder checking a live address should not have to type the clock.

export class InvalidTimeError extends Error {
  override readonly name = 'InvalidTimeError'
  constructor(readonly input: string, reason: string) {
    super(`${JSON.stringify(input)} is not a time: ${reason}`)
  }
}

export class InvalidDurationError extends Error {
  override readonly name = 'InvalidDurationError'
  constructor(readonly input: string, reason: string) {
    super(`${JSON.stringify(input)} is not a duration: ${reason}`)
  }
}

const TIME_HELP = 'use ISO-8601 with an offset like 2026-11-20T10:00:00Z or 2026-11-20 11:00 +0100, epoch seconds, or now'

/**
 * Epoch numbers below this are seconds, at or above it milliseconds. 1e11 seconds is the year 5138 and
 * 1e11 milliseconds is March 1973, so every plausible time reads one way only.
 */
export const EPOCH_SECONDS_LIMIT = 1e11

// The latest time accepted: year 9999, so that formatted answers stay four-digit ISO years.
const MAX_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999)

const ISO = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)? ?(Z|z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)$/

/** Whether `input` names the present (`now`), so that what it parses to depends on when it is parsed. */
export function isNow(input: unknown): boolean {
  return typeof input === 'string' && input.trim().toLowerCase() === 'now'
}

/** Parse a time given as ISO-8601 text with an offset, as epoch seconds or milliseconds, or as `now`. */
export function parseTime(input: string | number, now: () => number = Date.now): number {
  if (typeof input === 'number') return fromEpoch(input, String(input))
  if (typeof input !== 'string') throw new InvalidTimeError(String(input), TIME_HELP)
  const text = input.trim()
  if (text.length === 0) throw new InvalidTimeError(input, `it is empty; ${TIME_HELP}`)
  if (text.length > 64) throw new InvalidTimeError(input.slice(0, 64), 'it is too long to be a time')
  // The form nearly every SIEM event carries (what toISOString writes) is read without the regex.
  const fast = isoUtc(text)
  if (fast !== undefined) return fast
  if (isNow(text)) return fromEpoch(now(), input)
  if (/^\d+(\.\d+)?$/.test(text)) return fromEpoch(Number(text), input)
  const m = ISO.exec(text)
  if (!m) {
    const reason = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?$/.test(text)
      ? 'it has no timezone offset; add Z for UTC or the offset the complaint gives, like +01:00'
      : TIME_HELP
    throw new InvalidTimeError(input, reason)
  }
  const [, y, mo, d, h, mi, s, frac, zone] = m as unknown as string[]
  const year = Number(y), month = Number(mo), day = Number(d)
  const hour = Number(h), minute = Number(mi), second = s === undefined ? 0 : Number(s)
  const ms = frac === undefined ? 0 : Math.floor(Number(`0.${frac}`) * 1000)
  if (month < 1 || month > 12) throw new InvalidTimeError(input, 'the month must be 01-12')
  if (day < 1 || day > daysInMonth(year, month)) throw new InvalidTimeError(input, `day ${d} does not exist in ${y}-${mo}`)
  if (hour > 23 || minute > 59 || second > 59) throw new InvalidTimeError(input, 'the time of day must be 00:00:00-23:59:59')
  const offsetMinutes = parseOffset(zone!, input)
  const utc = Date.UTC(year, month - 1, day, hour, minute, second, ms) - offsetMinutes * 60_000
  if (utc < 0 || utc > MAX_MS) throw new InvalidTimeError(input, 'it is outside 1970-9999')
  return utc
}

/**
 * `2026-11-20T10:00:00Z` or `2026-11-20T10:00:00.123Z`, read as the regex path reads it (equal:
 * test/model/time.test.ts); undefined for any other text, and for a time that path refuses (it says why).
 */
function isoUtc(t: string): number | undefined {
  const n = t.length
  if (n !== 20 && n !== 24) return undefined
  if (t.charCodeAt(4) !== 45 || t.charCodeAt(7) !== 45 || t.charCodeAt(10) !== 84 || t.charCodeAt(13) !== 58 || t.charCodeAt(16) !== 58 || t.charCodeAt(n - 1) !== 90) return undefined
  const year = digits(t, 0, 4), month = digits(t, 5, 2), day = digits(t, 8, 2)
  const hour = digits(t, 11, 2), minute = digits(t, 14, 2), second = digits(t, 17, 2)
  let ms = 0
  if (n === 24) {
    if (t.charCodeAt(19) !== 46) return undefined
    const frac = digits(t, 20, 3)
    if (frac < 0) return undefined
    ms = MILLIS[frac]!
  }
  if (year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || minute < 0 || second < 0) return undefined
  if (day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 59) return undefined
  const utc = Date.UTC(year, month - 1, day, hour, minute, second, ms)
  return utc < 0 || utc > MAX_MS ? undefined : utc
}

/** The decimal value of `count` ASCII digits at `from`, or -1 if any is not a digit. */
function digits(t: string, from: number, count: number): number {
  let v = 0
  for (let i = from; i < from + count; i++) {
    const c = t.charCodeAt(i) - 48
    if (c < 0 || c > 9) return -1
    v = v * 10 + c
  }
  return v
}

/** Three fraction digits as milliseconds, computed as the regex path computes them (floor of 0.ddd × 1000). */
const MILLIS = Array.from({ length: 1000 }, (_, i) => Math.floor(Number(`0.${String(i).padStart(3, '0')}`) * 1000))

function fromEpoch(value: number, input: string): number {
  if (!Number.isFinite(value) || value < 0) throw new InvalidTimeError(input, `epoch times must be positive; ${TIME_HELP}`)
  const ms = value < EPOCH_SECONDS_LIMIT ? value * 1000 : value
  if (ms > MAX_MS) throw new InvalidTimeError(input, 'it is past the year 9999')
  return Math.floor(ms)
}

function parseOffset(zone: string, input: string): number {
  if (zone === 'Z' || zone === 'z' || zone === 'UTC' || zone === 'GMT') return 0
  const sign = zone.startsWith('-') ? -1 : 1
  const digits = zone.slice(1).replace(':', '')
  const hours = Number(digits.slice(0, 2))
  const minutes = digits.length > 2 ? Number(digits.slice(2)) : 0
  if (hours > 14 || minutes > 59) throw new InvalidTimeError(input, `offset ${zone} is not a real UTC offset`)
  return sign * (hours * 60 + minutes)
}

function daysInMonth(year: number, month: number): number {
  if (month !== 2) return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28
}

/** ISO-8601 in UTC with milliseconds: the one form whohad answers in. */
export function formatTime(ms: number): string {
  // A batch formats several times per lookup; toISOString is most of its cost. The day's part comes
  // from a small table of days seen, the time of day by arithmetic (equal: test/model/time.test.ts).
  if (!Number.isInteger(ms) || ms < 0 || ms > MAX_MS) return new Date(ms).toISOString()
  const day = Math.floor(ms / DAY_MS)
  let date = DAYS.get(day)
  if (date === undefined) {
    if (DAYS.size >= 4_096) DAYS.clear()
    DAYS.set(day, (date = new Date(day * DAY_MS).toISOString().slice(0, 11)))
  }
  const rest = ms - day * DAY_MS
  const h = Math.floor(rest / 3_600_000)
  const m = Math.floor(rest / 60_000) % 60
  const s = Math.floor(rest / 1000) % 60
  const milli = rest % 1000
  return `${date}${h < 10 ? '0' : ''}${h}:${m < 10 ? '0' : ''}${m}:${s < 10 ? '0' : ''}${s}.${milli < 100 ? (milli < 10 ? '00' : '0') : ''}${milli}Z`
}

const DAY_MS = 86_400_000
/** "2026-11-20T" by days since the epoch. */
const DAYS = new Map<number, string>()

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }
const DURATION = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+$/
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g

/** Parse a duration like `5m`, `90s`, `1h30m` or `250ms` into milliseconds. */
export function parseDuration(input: string, max = 30 * UNIT_MS.d!): number {
  if (typeof input !== 'string') throw new InvalidDurationError(String(input), 'use a form like 5m, 90s or 1h30m')
  const text = input.trim()
  if (text.length === 0 || text.length > 32 || !DURATION.test(text)) {
    throw new InvalidDurationError(input, 'use a number and a unit (ms, s, m, h, d) like 5m, 90s or 1h30m')
  }
  let total = 0
  for (const [, n, unit] of text.matchAll(PART)) total += Number(n) * UNIT_MS[unit!]!
  total = Math.round(total)
  if (total > max) throw new InvalidDurationError(input, `it is longer than the ${formatDuration(max)} allowed`)
  return total
}

export function formatDuration(ms: number): string {
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    const size = UNIT_MS[unit]!
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`
  }
  return `${ms}ms`
}

export const MINUTE = UNIT_MS.m!
export const HOUR = UNIT_MS.h!
export const DAY = UNIT_MS.d!
