// The verdict block of a point answer: the model's verdict (model/verdict.ts) with the sentence a person
// reads first, "At T, X was held by … (certain)". Pure.
import type { Holder } from '../model/holding.ts'
import { formatTime } from '../model/time.ts'
import { type AtT, verdictOf, type VerdictState } from '../model/verdict.ts'
import type { Coverage } from './coverage.ts'
import { holderWords } from './holder-words.ts'

export interface VerdictBlock {
  readonly state: VerdictState
  /** The verdict in one sentence. */
  readonly text: string
  /** Indices into the answer's holdings: proven to hold the address at T. */
  readonly held: readonly number[]
  /** Indices into the answer's holdings: may have held it at T (T lies where their bounds are uncertain). */
  readonly mayHave: readonly number[]
}

interface Placed {
  readonly atT: AtT
  readonly scope: string
  readonly holder: Holder
}

/**
 * Whether every target was watched by complete polls at T (coverage's watched stretches contain it).
 * `atText` is T as formatTime writes it, as the stretches are written: that form (a four-digit year,
 * every field at its full width, UTC) sorts as the times do, so the texts are compared as they are.
 */
export function watchedAt(coverage: Pick<Coverage, 'watched'>, atText: string): boolean {
  return coverage.watched.some((w) => w.from <= atText && atText <= w.to)
}

/** "i-0b2 (web-prod-3), account 111111111111, eu-west-1", with the VPC of a private address. */
export function holderLine(h: { readonly scope: string; readonly holder: Holder }): string {
  const scope = h.scope !== 'global' ? `, in ${h.scope}` : ''
  return `${holderWords(h.holder)}, account ${h.holder.accountId}, ${h.holder.region}${scope}`
}

/**
 * `narrowed`: the question's own filter ("in vpc-0abc", "in account 1234…"), which a "none of ours" is
 * about; `atText`: `at` already formatted (formatTime), when the caller has it.
 */
export function verdictBlock(ip: string, at: number, holdings: readonly Placed[], coverage: Pick<Coverage, 'watched' | 'detail'>, narrowed = '', atText = formatTime(at)): VerdictBlock {
  const v = verdictOf(holdings, watchedAt(coverage, atText))
  const when = `At ${atText}, ${ip}`
  const names = (indices: readonly number[]) => indices.map((i) => holderLine(holdings[i]!))
  let text: string
  if (v.state === 'held') {
    text = `${when} was held by ${names(v.held).join(' and by ')} (certain)`
    if (v.mayHave.length > 0) text += `; it may also have been held by ${names(v.mayHave).join(' or by ')} (possible)`
  } else if (v.state === 'possible') {
    text =
      v.mayHave.length === 1
        ? `${when} may have been held by ${names(v.mayHave)[0]} (possible: the time falls where its bounds are uncertain)`
        : `${when} was held by one of: ${names(v.mayHave).join('; ')} (possible)`
  } else if (v.state === 'none') {
    text = `${when} was held by none of ours${narrowed ? ` ${narrowed}` : ''} (complete coverage)`
  } else {
    text = `${when}: unknown: not watched (${coverage.detail})`
  }
  return { state: v.state, text, held: v.held, mayHave: v.mayHave }
}
