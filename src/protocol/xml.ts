// A minimal XML writer for AWS query-protocol responses. Responses are only ever written, never read,
// so string building with escaping is all that is needed (no dependency).

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' }

export function escapeXml(text: string): string {
  return /[&<>"']/.test(text) ? text.replace(/[&<>"']/g, (c) => ESCAPES[c] as string) : text
}

export type XmlValue = string | number | boolean | undefined | null

/** `<name>value</name>`, or nothing when the value is absent (AWS omits absent members). */
export function el(name: string, value: XmlValue): string {
  if (value === undefined || value === null) return ''
  return `<${name}>${escapeXml(String(value))}</${name}>`
}

/** `<name>…children…</name>` around already-written XML. */
export function wrap(name: string, inner: string): string {
  return `<${name}>${inner}</${name}>`
}

/** An EC2-style list: `<name><item>…</item>…</name>`; empty lists render as `<name/>`. */
export function items<T>(name: string, list: readonly T[], render: (item: T) => string): string {
  if (list.length === 0) return `<${name}/>`
  let out = `<${name}>`
  for (const item of list) out += `<item>${render(item)}</item>`
  return `${out}</${name}>`
}

export function isoTime(t: number): string {
  return new Date(t).toISOString()
}

export const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'
