// EC2's filter wildcards: `*` any run, `?` one character, `\` makes the next character literal. The
// matcher (a regular expression) is checked against a reference that walks the pattern directly.
import fc from 'fast-check'
import t from 'tap'
import { type PatternPart, parsePattern, wildcardMatcher } from '../../../src/api/ec2/wildcard.ts'

/** Whether `value` from `v` matches `parts` from `p`: the definition, by backtracking. */
function reference(parts: readonly PatternPart[], value: string, p = 0, v = 0): boolean {
  if (p === parts.length) return v === value.length
  const part = parts[p]!
  if ('literal' in part) return value.startsWith(part.literal, v) && reference(parts, value, p + 1, v + part.literal.length)
  if (part.any === 'one') return v < value.length && reference(parts, value, p + 1, v + 1)
  for (let end = v; end <= value.length; end++) if (reference(parts, value, p + 1, end)) return true
  return false
}

t.test('examples as EC2 documents them', async (t) => {
  const cases: Array<[string, string, boolean]> = [
    ['10.0.*', '10.0.1.2', true],
    ['10.0', '10.0.1.2', false],
    ['*', '', true],
    ['?', '', false],
    ['i-????', 'i-abcd', true],
    ['i-????', 'i-abc', false],
    ['web*prod', 'web-eu-prod', true],
    ['web*prod', 'web-eu-prod2', false],
    ['\\*', '*', true],
    ['\\*', 'x', false],
    ['a\\?b', 'a?b', true],
    ['a\\?b', 'axb', false],
    ['a\\\\*', 'a\\xyz', true],
    ['a.c', 'abc', false], // a regex's dot is a literal dot here
    ['(x)', '(x)', true],
    ['trailing\\', 'trailing\\', true],
    ['Web', 'web', false], // case-sensitive
    ['a*b*c', 'a\nb\nc', true],
  ]
  for (const [pattern, value, expected] of cases) t.equal(wildcardMatcher(pattern)(value), expected, `${JSON.stringify(pattern)} on ${JSON.stringify(value)}`)
})

// Patterns and values over a small alphabet with the special characters, so that matches are common.
const alphabet = fc.constantFrom('a', 'b', '.', '*', '?', '\\', '$', '[', 'é')
const text = fc.array(alphabet, { maxLength: 10 }).map((cs) => cs.join(''))

t.test('the matcher agrees with the reference on any pattern and value', async (t) => {
  fc.assert(
    fc.property(text, text, (pattern, value) => wildcardMatcher(pattern)(value) === reference(parsePattern(pattern), value)),
    { numRuns: 5000 },
  )
  t.pass('5000 pairs agree')
})

t.test('a pattern matches the value it describes with its wildcards spelled out', async (t) => {
  // Escaping every special character of a value gives a pattern that matches exactly that value.
  const escape = (s: string) => s.replace(/[*?\\]/g, '\\$&')
  fc.assert(fc.property(text, text, (a, b) => wildcardMatcher(escape(a))(a) && (a === b || !wildcardMatcher(escape(a))(b))))
  fc.assert(fc.property(text, text, text, (a, b, c) => wildcardMatcher(`${escape(a)}*${escape(c)}`)(a + b + c)))
  t.pass('escaped patterns are literal; * absorbs any middle')
})
