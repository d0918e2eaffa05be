// EC2's filter values: `*` matches any run of characters (none included), `?` exactly one, and a
// backslash makes the next character literal (`\*`, `\?`, `\\`). Matching is case-sensitive and whole:
// `10.0.*` matches 10.0.1.2, `10.0` does not. A value without wildcards is compared as a string.

export type Matcher = (value: string) => boolean

/** One piece of a pattern: a literal run, or a wildcard. */
export type PatternPart = { readonly literal: string } | { readonly any: 'many' | 'one' }

export function parsePattern(pattern: string): PatternPart[] {
  const parts: PatternPart[] = []
  let literal = ''
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!
    if (c === '\\' && i + 1 < pattern.length) {
      literal += pattern[++i]
    } else if (c === '*' || c === '?') {
      if (literal) parts.push({ literal })
      literal = ''
      parts.push({ any: c === '*' ? 'many' : 'one' })
    } else {
      literal += c
    }
  }
  if (literal) parts.push({ literal })
  return parts
}

const REGEX_SPECIAL = /[.*+?^${}()|[\]\\/]/g

export function wildcardMatcher(pattern: string): Matcher {
  const parts = parsePattern(pattern)
  if (parts.every((p) => 'literal' in p)) {
    const literal = parts.map((p) => ('literal' in p ? p.literal : '')).join('')
    return (v) => v === literal
  }
  const source = parts.map((p) => ('literal' in p ? p.literal.replace(REGEX_SPECIAL, '\\$&') : p.any === 'many' ? '[^]*' : '[^]')).join('')
  const re = new RegExp(`^${source}$`)
  return (v) => re.test(v)
}
