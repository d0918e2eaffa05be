// Bounds as answers show them: the epoch milliseconds the store keeps, and beside each its ISO-8601
// form, so that a person reading an answer (or a pipeline indexing it) need not convert.
import type { Bound } from '../model/holding.ts'
import { formatTime } from '../model/time.ts'

export type IsoBound<B extends Pick<Bound, 'after' | 'by'>> = B & { readonly afterIso: string; readonly byIso: string }

/** A bound with `afterIso` beside `after` and `byIso` beside `by`; its other fields (evidence) follow. */
export function isoBound<B extends Pick<Bound, 'after' | 'by'>>(b: B): IsoBound<B> {
  const { after, by, ...rest } = b
  return { after, afterIso: formatTime(after), by, byIso: formatTime(by), ...rest } as unknown as IsoBound<B>
}
