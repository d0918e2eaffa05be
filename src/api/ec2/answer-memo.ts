// Whole /ec2/ answers, memoised in process. An answer is a function of the request's parameters, the
// region, the accounts the caller may see and the listings it was built from; a listing is fixed by
// its account's lastCompletePoll (described.ts), so the key holds each account's, and an answer is
// never served once a newer complete poll has been seen: no invalidation is needed, and a key limited
// to some accounts can only ever meet answers built for exactly those accounts. The requestId differs
// per call: the answer is kept without it and each call's is put in.
//
// In process rather than in the shared AnswerCache (Redis): every API process already holds the
// listings, and building an answer from them costs less than a round trip to Redis would.
import { LRUCache } from 'lru-cache'
import { escapeXml } from '../../protocol/xml.ts'

/** The default bound: this many bytes of answers (their UTF-8 text and keys). */
export const DEFAULT_ANSWER_MEMO_BYTES = 32 * 1024 * 1024

const REQUEST_ID = '<requestId></requestId>'
const OPEN = '<requestId>'.length

/** Parameters that sign a request (a presigned URL's) say nothing about what it asks. */
const SIGNING_PARAM = /^x-amz-/i

/** The key of an answer; undefined when it must not be memoised (an account never polled completely). */
export function answerKey(params: ReadonlyMap<string, string>, region: string, accounts: readonly string[], asOfs: readonly (number | undefined)[]): string | undefined {
  if (asOfs.some((a) => a === undefined)) return undefined
  const asked = [...params].filter(([k]) => !SIGNING_PARAM.test(k)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  return JSON.stringify([region, accounts, asOfs, asked])
}

/** An answer's body (EC2's XML) and how many resources it holds (for the audit log). */
export interface Answer {
  readonly body: string | Buffer
  readonly results: number
}

export class AnswerMemo {
  // Kept as UTF-8 bytes: a memoised answer is sent without being encoded again.
  private readonly entries: LRUCache<string, { readonly head: Buffer; readonly tail: Buffer; readonly results: number }> | undefined

  /** `maxBytes` 0: nothing is memoised. */
  constructor(maxBytes: number = DEFAULT_ANSWER_MEMO_BYTES) {
    this.entries = maxBytes > 0 ? new LRUCache({ maxSize: maxBytes, sizeCalculation: (e, key) => e.head.length + e.tail.length + key.length }) : undefined
  }

  /** The answer under `key`, with this call's requestId, and how many resources it holds. */
  get(key: string | undefined, requestId: string): Answer | undefined {
    const e = key === undefined ? undefined : this.entries?.get(key)
    return e && { body: Buffer.concat([e.head, Buffer.from(escapeXml(requestId)), e.tail]), results: e.results }
  }

  /**
   * The answer `build` writes (given a requestId), memoised under `key` when there is one. It is built
   * with an empty requestId, whose element comes first in every answer, and the call's is put in.
   */
  answer(key: string | undefined, requestId: string, build: (requestId: string) => { readonly xml: string; readonly results: number }): Answer {
    const built = () => {
      const { xml, results } = build(requestId)
      return { body: xml, results }
    }
    if (key === undefined || !this.entries) return built()
    const { xml, results } = build('')
    const at = xml.indexOf(REQUEST_ID)
    if (at < 0) return built()
    const entry = { head: Buffer.from(xml.slice(0, at + OPEN)), tail: Buffer.from(xml.slice(at + OPEN)), results }
    this.entries.set(key, entry)
    return { body: Buffer.concat([entry.head, Buffer.from(escapeXml(requestId)), entry.tail]), results }
  }
}
