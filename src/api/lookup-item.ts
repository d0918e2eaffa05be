// One lookup of a batch or of an NDJSON stream, checked on its own: a bad item answers an error of its
// own and the others are answered. The batch route and the stream share it, so that an item means the
// same in both forms.
import type { PointQuery } from './answers.ts'
import { batchItem } from './schemas.ts'
import { dottedQuad } from '../model/ip.ts'
import { InvalidTimeError, parseTime } from '../model/time.ts'

/** A lookup as a query, or what is wrong with it (a detail a person can act on). */
export function itemQuery(raw: unknown, visible: readonly string[] | undefined): PointQuery | { readonly error: string } {
  return plainItem(raw, visible) ?? checkedItem(raw, visible)
}

/** `itemQuery` through the item's schema alone: what the fast path must equal, and every error. */
export function checkedItem(raw: unknown, visible: readonly string[] | undefined): PointQuery | { readonly error: string } {
  const item = batchItem.safeParse(raw)
  if (!item.success) {
    return {
      error: item.error.issues
        .map((i) => (i.code === 'unrecognized_keys' ? `unknown field${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => `"${k}"`).join(', ')}` : i.path.length ? `"${i.path.join('.')}"${i.message.startsWith('is ') ? ' ' : ': '}${i.message}` : i.message))
        .join('; '),
    }
  }
  const { ip, at, window, vpc, account } = item.data
  return { ip, at, windowMs: window ?? 0, vpc, account, visible }
}

/**
 * The item most of a SIEM's batch is, `{"ip": "<dotted quad>", "at": <a time>}` and nothing else,
 * checked by hand: the schema's checks cost more than answering a never-held address. Undefined for
 * anything else (another field, IPv6, a bad value), which the schema checks and explains. Equal to
 * `checkedItem` wherever it answers (test/api/lookup-item.test.ts).
 */
function plainItem(raw: unknown, visible: readonly string[] | undefined): PointQuery | undefined {
  if (typeof raw !== 'object' || raw === null || Object.getPrototypeOf(raw) !== Object.prototype) return undefined
  let keys = 0
  for (const key in raw) {
    if (key !== 'ip' && key !== 'at') return undefined
    keys++
  }
  if (keys !== 2) return undefined
  const { ip, at } = raw as { ip: unknown; at: unknown }
  // A dotted quad is its own canonical text (parseIp returns it as it is).
  if (typeof ip !== 'string' || dottedQuad(ip) === undefined) return undefined
  if (typeof at !== 'string' && (typeof at !== 'number' || !Number.isFinite(at))) return undefined
  let ms: number
  try {
    ms = parseTime(at)
  } catch (err) {
    if (err instanceof InvalidTimeError) return undefined
    throw err
  }
  return { ip, at: ms, windowMs: 0, vpc: undefined, account: undefined, visible }
}

/** An item's error as the text of its result (a batch's element, a stream's line). */
export function errorText(status: number, detail: string, line?: number): string {
  return JSON.stringify({ error: { status, detail, ...(line !== undefined ? { line } : {}) } })
}
