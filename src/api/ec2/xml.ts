// EC2's response XML, written from the SDK's own shape schemas: each member's element is the `xmlName`
// the SDK reads it from (`instanceState`, `ipAddress`, `tagSet`…), lists are `<…><item>…</item></…>`,
// so an object the SDK parsed from AWS, written here and parsed again by the SDK, comes back equal.
// Absent members are left out and empty lists written empty, as the SDK tells the two apart.
import { NormalizedSchema } from '@smithy/core/schema'
import { escapeXml, XML_DECLARATION } from '../../protocol/xml.ts'

export const EC2_NAMESPACE = 'http://ec2.amazonaws.com/doc/2016-11-15/'

/** Timestamp schemas that name a format; any other timestamp is EC2's default, an RFC 3339 date-time. */
const HTTP_DATE = 6
const EPOCH_SECONDS = 7

function scalar(ns: NormalizedSchema, value: unknown): string {
  if (ns.isTimestampSchema() && value instanceof Date) {
    const format = ns.getSchema()
    if (format === HTTP_DATE) return value.toUTCString()
    if (format === EPOCH_SECONDS) return String(value.getTime() / 1000)
    return value.toISOString()
  }
  if (ns.isBlobSchema() && value instanceof Uint8Array) return Buffer.from(value).toString('base64')
  return String(value)
}

/** The children of an element of schema `ns` holding `value`. */
function content(ns: NormalizedSchema, value: unknown): string {
  if (ns.isListSchema()) {
    const member = ns.getValueSchema()
    const name = member.getMergedTraits().xmlName ?? 'member'
    return (value as readonly unknown[]).map((v) => element(name, member, v)).join('')
  }
  // No member of the four describe results is a map, a union or a document: refuse rather than guess.
  if (ns.isMapSchema() || ns.isUnionSchema() || ns.isDocumentSchema()) throw new Error(`no EC2 XML for ${ns.getName(true) ?? 'this shape'}`)
  if (ns.isStructSchema()) return members(ns, value as Record<string, unknown>)
  return escapeXml(scalar(ns, value))
}

function element(name: string, ns: NormalizedSchema, value: unknown): string {
  if (value === undefined || value === null) return ''
  const inner = content(ns, value)
  return inner === '' ? `<${name}/>` : `<${name}>${inner}</${name}>`
}

/** A structure's members, each under the element name the SDK reads it from. */
function members(ns: NormalizedSchema, value: Readonly<Record<string, unknown>>): string {
  let out = ''
  for (const [name, member] of ns.structIterator()) out += element(member.getMemberTraits().xmlName ?? name, member, value[name])
  return out
}

/** A whole response: `<{Action}Response xmlns=…><requestId>…</requestId>…output members…</…>`. */
export function ec2ResponseXml(action: string, requestId: string, outputSchema: Parameters<typeof NormalizedSchema.of>[0], output: Readonly<Record<string, unknown>>): string {
  return (
    `${XML_DECLARATION}<${action}Response xmlns="${EC2_NAMESPACE}"><requestId>${escapeXml(requestId)}</requestId>` +
    `${members(NormalizedSchema.of(outputSchema), output)}</${action}Response>`
  )
}
