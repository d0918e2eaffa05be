// Reading query-protocol (form-encoded) parameters: flattened lists (`InstanceId.1`, `InstanceId.2`) and
// EC2 filters (`Filter.1.Name`, `Filter.1.Value.1`), in whatever order the client sent them.
import { AwsError } from './errors.ts'

export type Params = ReadonlyMap<string, string>

export function parseForm(body: string): Map<string, string> {
  const out = new Map<string, string>()
  for (const [k, v] of new URLSearchParams(body)) out.set(k, v)
  return out
}

/** Values of `name.1`, `name.2`, … in index order. */
export function listParam(params: Params, name: string): string[] {
  const found: Array<[number, string]> = []
  const prefix = `${name}.`
  for (const [k, v] of params) {
    if (!k.startsWith(prefix)) continue
    const rest = k.slice(prefix.length)
    if (/^\d+$/.test(rest)) found.push([Number(rest), v])
  }
  return found.sort((a, b) => a[0] - b[0]).map(([, v]) => v)
}

export interface Filter {
  readonly name: string
  readonly values: readonly string[]
}

export function filterParams(params: Params): Filter[] {
  const byIndex = new Map<number, { name?: string; values: Array<[number, string]> }>()
  for (const [k, v] of params) {
    const m = /^Filter\.(\d+)\.(Name|Value\.(\d+))$/.exec(k)
    if (!m) continue
    const index = Number(m[1])
    const f = byIndex.get(index) ?? { values: [] }
    byIndex.set(index, f)
    if (m[2] === 'Name') f.name = v
    else f.values.push([Number(m[3]), v])
  }
  return [...byIndex.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([index, f]) => {
      if (f.name === undefined) throw new AwsError('InvalidParameterValue', `The filter Filter.${index} has no Name`)
      return { name: f.name, values: f.values.sort((a, b) => a[0] - b[0]).map(([, v]) => v) }
    })
}

export function booleanParam(params: Params, name: string): boolean | undefined {
  const v = params.get(name)
  if (v === undefined) return undefined
  if (v === 'true') return true
  if (v === 'false') return false
  throw new AwsError('InvalidParameterValue', `Invalid value '${v}' for ${name}. Expected 'true' or 'false'.`)
}

export function integerParam(params: Params, name: string): number | undefined {
  const v = params.get(name)
  if (v === undefined) return undefined
  if (!/^-?\d+$/.test(v)) throw new AwsError('InvalidParameterValue', `Invalid value '${v}' for ${name}. Expected an integer.`)
  return Number(v)
}
