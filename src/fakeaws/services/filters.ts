// EC2 Describe* filters: a table per resource of filter name → the values an item has for it. A
// request's filters are ANDed, each filter's values ORed, values may use * and ? wildcards, and
// unknown filter names are rejected as EC2 rejects them.
import type { Filter } from '../../protocol/params.ts'
import { AwsError } from '../../protocol/errors.ts'

export type FilterTable<T> = Readonly<Record<string, (item: T) => ReadonlyArray<string | undefined>>>

export interface Tagged {
  readonly tags: ReadonlyArray<readonly [string, string]>
}

export type Predicate<T> = (item: T) => boolean

/** Compiles filters against a table; `tags` resolves `tag:Key` and `tag-key` filters. */
export function compileFilters<T>(filters: readonly Filter[], table: FilterTable<T>, tags?: (item: T) => Tagged['tags']): Predicate<T> {
  const tests: Array<Predicate<T>> = []
  for (const f of filters) {
    const matchers = f.values.map(valueMatcher)
    let values: (item: T) => ReadonlyArray<string | undefined>
    if (f.name.startsWith('tag:') && tags) {
      const key = f.name.slice(4)
      values = (item) => tags(item).filter(([k]) => k === key).map(([, v]) => v)
    } else if (f.name === 'tag-key' && tags) {
      values = (item) => tags(item).map(([k]) => k)
    } else {
      const fromTable = table[f.name]
      if (!fromTable) throw new AwsError('InvalidParameterValue', `The filter '${f.name}' is invalid`)
      values = fromTable
    }
    if (f.values.length === 0) throw new AwsError('InvalidParameterValue', `The filter '${f.name}' has no values`)
    tests.push((item) => values(item).some((v) => v !== undefined && matchers.some((m) => m(v))))
  }
  return (item) => tests.every((t) => t(item))
}

function valueMatcher(pattern: string): (value: string) => boolean {
  if (!/[*?]/.test(pattern)) return (v) => v === pattern
  const escaped = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&')
  const re = new RegExp(`^${escaped.replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 's')
  return (v) => re.test(v)
}
