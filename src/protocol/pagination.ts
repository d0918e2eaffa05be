// Pagination tokens. A token names a position in a creation-ordered list (so a page costs O(log n +
// page size), never a rescan), the request it belongs to, how many pages came before it, and when it
// was issued (virtual time), so it can expire like AWS's do.
import { AwsError } from './errors.ts'
import { hash32 } from './hash32.ts'

export interface Cursor {
  /** Action and target the token was issued for. */
  readonly action: string
  readonly target: string
  /** Position: the seq (or index) of the last item served. */
  readonly after: number
  /** Pages served before the one this token asks for. */
  readonly pages: number
  readonly issuedAt: number
  /** Hash of the request's other parameters: a token is valid only for the same query. */
  readonly query: number
}

const PREFIX = 'fk1.'

export function encodeCursor(c: Cursor): string {
  const raw = JSON.stringify([c.action, c.target, c.after, c.pages, c.issuedAt, c.query])
  return PREFIX + Buffer.from(raw, 'utf8').toString('base64url')
}

/** The cursor in a token, or undefined when it is not one of ours (garbled, truncated). */
export function decodeCursor(token: string): Cursor | undefined {
  if (!token.startsWith(PREFIX)) return undefined
  try {
    const v: unknown = JSON.parse(Buffer.from(token.slice(PREFIX.length), 'base64url').toString('utf8'))
    if (!Array.isArray(v) || v.length !== 6) return undefined
    const [action, target, after, pages, issuedAt, query] = v as unknown[]
    if (typeof action !== 'string' || typeof target !== 'string') return undefined
    if (![after, pages, issuedAt, query].every((n) => typeof n === 'number' && Number.isFinite(n))) return undefined
    return { action, target, after: after as number, pages: pages as number, issuedAt: issuedAt as number, query: query as number }
  } catch {
    return undefined
  }
}

/** A stable hash of request parameters, ignoring the pagination ones. */
export function queryHash(entries: Iterable<readonly [string, unknown]>, ignore: readonly string[]): number {
  const parts: string[] = []
  for (const [k, v] of entries) if (!ignore.includes(k)) parts.push(`${k}=${JSON.stringify(v)}`)
  return hash32(...parts.sort())
}

export interface PageStart {
  readonly after: number
  /** 1-based number of the page being served. */
  readonly page: number
}

export interface PagerOptions {
  readonly action: string
  readonly target: string
  readonly query: number
  readonly now: number
  readonly ttlMs: number
  /** How the service spells "bad token" (EC2: InvalidNextToken; Config: InvalidNextTokenException; …). */
  readonly invalid: (message: string) => AwsError
}

/** Reads the incoming token (if any) into a position; throws the service's invalid-token error. */
export function startPage(token: string | undefined, o: PagerOptions): PageStart {
  if (token === undefined || token === '') return { after: 0, page: 1 }
  const c = decodeCursor(token)
  if (!c || c.action !== o.action || c.target !== o.target || c.query !== o.query) {
    throw o.invalid('The specified NextToken is not valid.')
  }
  if (o.now - c.issuedAt > o.ttlMs) throw o.invalid(`The NextToken has expired (issued ${new Date(c.issuedAt).toISOString()}).`)
  return { after: c.after, page: c.pages + 1 }
}

export function nextToken(after: number, page: number, o: PagerOptions): string {
  return encodeCursor({ action: o.action, target: o.target, after, pages: page, issuedAt: o.now, query: o.query })
}

/**
 * Takes up to `limit` items from an ordered source, reporting whether more remain. Items are consumed
 * lazily, so a filtered scan stops as soon as a page is full.
 */
export function takePage<T>(source: Iterable<T>, limit: number): { items: T[]; more: boolean } {
  const items: T[] = []
  for (const item of source) {
    if (items.length === limit) return { items, more: true }
    items.push(item)
  }
  return { items, more: false }
}

/** Shared error for EC2's MaxResults bounds. */
export function checkMaxResults(value: number | undefined, min: number, max: number): void {
  if (value === undefined) return
  if (value < min || value > max) {
    throw new AwsError(
      'InvalidParameterValue',
      `Value ( ${value} ) for parameter maxResults is invalid. Expecting a value ${value < min ? `greater than or equal to ${min}` : `less than or equal to ${max}`}.`,
    )
  }
}
