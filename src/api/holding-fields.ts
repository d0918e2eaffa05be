// A holding of an answer as short labelled fields (holder, where, from, to, evidence), not a sentence:
// the terminal's text and the incident note show the same fields in the same words. Pure.
import type { Evidence, Holder } from '../model/holding.ts'
import { formatTime } from '../model/time.ts'
import { holderWords } from './holder-words.ts'

interface Bound {
  readonly after: number
  readonly by: number
  readonly evidence?: readonly Evidence[]
}

/** A holding as answers carry it (rendered by answers.ts). */
export interface AnsweredHolding {
  readonly certainty: 'certain' | 'possible'
  readonly atT?: 'certain' | 'possible' | 'outside' | undefined
  readonly distanceMs?: number | undefined
  readonly address: string
  readonly scope: string
  readonly holder: Holder
  readonly start: Bound
  readonly end?: Bound | undefined
  readonly provenUntil?: number | undefined
}

export interface Field {
  readonly label: string
  readonly value: string
}

/** "2026-11-20T09:00:00.000Z" when exact, else "between … and …". */
export function boundWords(b: Bound): string {
  return b.after === b.by ? formatTime(b.after) : `between ${formatTime(b.after)} and ${formatTime(b.by)}`
}

/** "ec2-poll at 2026-… (poll ref)". */
export function evidenceWords(e: Evidence): string {
  return `${e.source} at ${formatTime(e.at)} (${e.ref})`
}

/** Where T lies in the holding, in words: "certain", "possible", "outside: 3m before it". */
export function atTWords(h: Pick<AnsweredHolding, 'atT' | 'distanceMs' | 'start'>, at: number): string | undefined {
  if (h.atT === undefined) return undefined
  if (h.atT !== 'outside') return h.atT
  const before = at < h.start.after
  return `outside: ${roughly(h.distanceMs ?? 0)} ${before ? 'before it began' : 'after it ended'}`
}

/** The holding's fields, in the order a reader checks them. `at`: the time asked about (point answers). */
export function holdingFields(h: AnsweredHolding, at?: number): Field[] {
  const x = h.holder
  const fields: Field[] = [{ label: 'holder', value: holderWords(x) }]
  const t = at === undefined ? undefined : atTWords(h, at)
  if (t) fields.push({ label: 'at the time', value: t })
  fields.push({ label: 'account', value: `${x.accountId}, ${x.region}` })
  if (h.scope !== 'global' || x.vpcId) fields.push({ label: 'network', value: [x.vpcId, x.subnetId].filter(Boolean).join(', ') || h.scope })
  fields.push({ label: 'ENI', value: x.eniId })
  if (h.address.includes('/')) fields.push({ label: 'via prefix', value: h.address })
  fields.push({ label: 'from', value: boundWords(h.start) })
  fields.push({ label: 'to', value: h.end ? boundWords(h.end) : `still held (proven until ${formatTime(h.provenUntil ?? h.start.by)})` })
  const evidence = [
    ...(h.start.evidence ?? []).map((e) => `start: ${evidenceWords(e)}`),
    ...(h.end?.evidence ?? []).map((e) => `end: ${evidenceWords(e)}`),
  ]
  if (evidence.length > 0) fields.push({ label: 'evidence', value: evidence.join('; ') })
  if (x.tags && Object.keys(x.tags).length > 0) fields.push({ label: 'tags', value: Object.entries(x.tags).map(([k, v]) => `${k}=${v}`).join(', ') })
  return fields
}

/** A distance as a person says it: "40 s", "12 min", "3 h" (rounded; the bounds carry the exact times). */
function roughly(ms: number): string {
  if (ms < 1000) return `${ms} ms`
  if (ms < 120_000) return `${Math.round(ms / 1000)} s`
  if (ms < 2 * 3_600_000) return `${Math.round(ms / 60_000)} min`
  return `${Math.round(ms / 3_600_000)} h`
}
