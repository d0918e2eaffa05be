// The incident note: a point answer as a short Markdown block to paste into a ticket. One renderer for
// the page's "Copy incident note" (GET /v1/ips/{ip}/note) and `whohad lookup --format markdown`, so the
// two give the same text for the same answer. Pure.
import type { Coverage } from './coverage.ts'
import { holderWords } from './holder-words.ts'
import { type AnsweredHolding, holdingFields } from './holding-fields.ts'
import type { VerdictBlock } from './verdict.ts'

export interface NoteAnswer {
  readonly ip: string
  readonly at: string
  readonly window: number
  readonly verdict: VerdictBlock
  readonly holdings: readonly AnsweredHolding[]
  readonly coverage: Pick<Coverage, 'state' | 'detail'> & { readonly config?: Pick<Coverage['config'], 'state' | 'detail'> }
}

export interface NoteContext {
  /** The page's link that asks the same question again. */
  readonly permalink?: string | undefined
  /** The whohad release that answered. */
  readonly version: string
}

/** Markdown's punctuation in text that came from AWS (tags, names): shown as itself, not as markup. */
function md(text: string): string {
  return text.replace(/[\\`*_[\]<>|#]/g, (c) => `\\${c}`)
}

/** Where the page asks this question: `base`/?ip=…&at=…&window=… (the page's own query form). */
export function permalinkFor(base: string, q: { readonly ip: string; readonly at: string; readonly window: number }): string {
  const params = new URLSearchParams({ ip: q.ip, at: q.at, window: `${q.window}s` })
  return `${base.replace(/\/+$/, '')}/?${params}`
}

export function incidentNote(a: NoteAnswer, ctx: NoteContext): string {
  const at = Date.parse(a.at)
  const lines = [
    `### whohad: who held ${md(a.ip)} at ${a.at}`,
    '',
    `**Verdict:** ${md(a.verdict.text)}`,
    '',
    `- **Address:** ${md(a.ip)}`,
    `- **Time asked:** ${a.at}${a.window ? ` (holdings listed within ${a.window} s of it)` : ''}`,
    `- **Coverage:** ${a.coverage.state}: ${md(a.coverage.detail)}`,
  ]
  if (a.coverage.config && a.coverage.config.state !== 'available') lines.push(`- **AWS Config history:** ${a.coverage.config.state}: ${md(a.coverage.config.detail)}`)
  if (ctx.permalink) lines.push(`- **Link:** <${ctx.permalink}>`)
  lines.push(`- **Answered by:** whohad ${md(ctx.version)}`)
  // The holdings the verdict names: those that held, or may have held, the address at the time.
  const named = [...a.verdict.held.map((i) => ({ i, how: 'held it (certain)' })), ...a.verdict.mayHave.map((i) => ({ i, how: 'may have held it (possible)' }))]
  for (const { i, how } of named) {
    const h = a.holdings[i]
    if (!h) continue
    lines.push('', `#### ${md(holderWords(h.holder))}: ${how}`, '')
    for (const f of holdingFields(h, at)) if (f.label !== 'holder') lines.push(`- **${f.label}:** ${md(f.value)}`)
  }
  const others = a.holdings.length - named.length
  if (others > 0) lines.push('', `${others} other holding${others === 1 ? '' : 's'} of this address within ${a.window} s of the time ${others === 1 ? 'is' : 'are'} in the link.`)
  return `${lines.join('\n')}\n`
}
