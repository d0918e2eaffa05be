// A timeline as CSV (RFC 4180), for a spreadsheet: one row per holding, every bound in ISO-8601 UTC
// beside its evidence. Pure.
import type { Evidence } from '../model/holding.ts'
import { formatTime } from '../model/time.ts'
import { holderWords } from './holder-words.ts'
import { type AnsweredHolding, evidenceWords } from './holding-fields.ts'

const COLUMNS = [
  'address', 'scope', 'holder', 'resource_type', 'resource_id', 'name', 'eni', 'account', 'region', 'vpc', 'subnet',
  'start_after', 'start_by', 'end_after', 'end_by', 'proven_until', 'start_evidence', 'end_evidence', 'tags',
] as const

/**
 * A field as CSV: quoted when it holds a comma, quote or line break; and a text a spreadsheet would run
 * as a formula (=, +, -, @ first: tags and names come from whoever tagged the resource) starts with '.
 */
export function csvField(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe
}

const evidenceList = (list: readonly Evidence[] | undefined) => (list ?? []).map(evidenceWords).join('; ')

export function timelineCsv(holdings: readonly AnsweredHolding[]): string {
  const rows = holdings.map((h) => {
    const x = h.holder
    const row: Record<(typeof COLUMNS)[number], string> = {
      address: h.address,
      scope: h.scope,
      holder: holderWords(x),
      resource_type: x.resource?.type ?? x.kind,
      resource_id: x.resource?.id ?? x.instanceId ?? '',
      name: x.resource?.name ?? x.name ?? '',
      eni: x.eniId,
      account: x.accountId,
      region: x.region,
      vpc: x.vpcId ?? '',
      subnet: x.subnetId ?? '',
      start_after: formatTime(h.start.after),
      start_by: formatTime(h.start.by),
      end_after: h.end ? formatTime(h.end.after) : '',
      end_by: h.end ? formatTime(h.end.by) : '',
      proven_until: h.end ? '' : formatTime(h.provenUntil ?? h.start.by),
      start_evidence: evidenceList(h.start.evidence),
      end_evidence: evidenceList(h.end?.evidence),
      tags: Object.entries(x.tags ?? {}).map(([k, v]) => `${k}=${v}`).join('; '),
    }
    return COLUMNS.map((c) => csvField(row[c])).join(',')
  })
  return `${[COLUMNS.join(','), ...rows].join('\r\n')}\r\n`
}
