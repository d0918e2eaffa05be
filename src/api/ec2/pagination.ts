// Pages as EC2 gives them. MaxResults is bounded per action, cannot be combined with a list of ids, and
// a page's NextToken is opaque to the client: here it names the last item served (its account and id)
// and the request it belongs to, so a page stays right when resources come and go between pages, and
// a token from another request, or a garbled one, is refused with EC2's own error.
import { createHash } from 'node:crypto'
import { AwsError } from '../../protocol/errors.ts'
import type { Params } from '../../protocol/params.ts'

// EC2's MaxResults bounds and their message, as the simulated EC2 checks them.
export { checkMaxResults } from '../../protocol/pagination.ts'

/** An item's place in a paged listing: listings are paged in (account, id) order. */
export interface PageKey {
  readonly accountId: string
  readonly id: string
}

export interface PageRequest {
  /** Items per page; undefined = everything in one page (EC2 without MaxResults or a token). */
  readonly limit: number | undefined
  /** Serve items after this one. */
  readonly after: PageKey | undefined
  /** The hash a token must carry to be valid for this request. */
  readonly query: string
}

/** A page of an answer without MaxResults that started with a token: as many as EC2 gives. */
const DEFAULT_PAGE = 1000
const TOKEN_PREFIX = 'wh1.'
const PAGING_PARAMS = new Set(['NextToken', 'MaxResults', 'Action', 'Version'])

export function queryHash(action: string, params: Params): string {
  const parts = [...params].filter(([k]) => !PAGING_PARAMS.has(k)).map(([k, v]) => `${k}=${v}`)
  return createHash('sha256').update([action, ...parts.sort()].join('\n')).digest('base64url').slice(0, 16)
}

function badToken(token: string): AwsError {
  return new AwsError('InvalidParameterValue', `Value ( ${token} ) for parameter NextToken is invalid. The token is invalid.`)
}

export function encodeToken(query: string, last: PageKey): string {
  return TOKEN_PREFIX + Buffer.from(JSON.stringify([query, last.accountId, last.id]), 'utf8').toString('base64url')
}

/** Where a request's page starts; throws EC2's error for a token that is not one of this request's. */
export function pageRequest(action: string, params: Params, maxResults: number | undefined): PageRequest {
  const query = queryHash(action, params)
  const token = params.get('NextToken')
  if (token === undefined || token === '') return { limit: maxResults, after: undefined, query }
  if (!token.startsWith(TOKEN_PREFIX)) throw badToken(token)
  let decoded: unknown
  try {
    decoded = JSON.parse(Buffer.from(token.slice(TOKEN_PREFIX.length), 'base64url').toString('utf8'))
  } catch {
    throw badToken(token)
  }
  if (!Array.isArray(decoded) || decoded.length !== 3 || !decoded.every((x) => typeof x === 'string') || decoded[0] !== query) throw badToken(token)
  const [, accountId, id] = decoded as [string, string, string]
  return { limit: maxResults ?? DEFAULT_PAGE, after: { accountId, id }, query }
}

function compareKeys(a: PageKey, b: PageKey): number {
  return a.accountId < b.accountId ? -1 : a.accountId > b.accountId ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0
}

/**
 * One page of keyed items and the token for the next. Without a limit the items are served as given;
 * with one they are put in key order first, so that a token's position means the same on every page.
 */
export function takePage<T>(items: readonly T[], key: (item: T) => PageKey, page: PageRequest): { items: T[]; nextToken?: string } {
  if (page.limit === undefined) return { items: [...items] }
  const sorted = items.map((item) => ({ item, key: key(item) })).sort((a, b) => compareKeys(a.key, b.key))
  const after = page.after
  const start = after ? sorted.findIndex((x) => compareKeys(x.key, after) > 0) : 0
  const rest = start < 0 ? [] : sorted.slice(start)
  const served = rest.slice(0, page.limit)
  const last = served[served.length - 1]
  return rest.length > page.limit && last ? { items: served.map((x) => x.item), nextToken: encodeToken(page.query, last.key) } : { items: served.map((x) => x.item) }
}
