// One lookup of a batch or of an NDJSON stream, checked on its own: a bad item answers an error of its
// own and the others are answered. The batch route and the stream share it, so that an item means the
// same in both forms.
import type { PointQuery } from './answers.ts'
import { batchItem } from './schemas.ts'

/** A lookup as a query, or what is wrong with it (a detail a person can act on). */
export function itemQuery(raw: unknown, visible: readonly string[] | undefined): PointQuery | { readonly error: string } {
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

/** An item's error as the text of its result (a batch's element, a stream's line). */
export function errorText(status: number, detail: string, line?: number): string {
  return JSON.stringify({ error: { status, detail, ...(line !== undefined ? { line } : {}) } })
}
