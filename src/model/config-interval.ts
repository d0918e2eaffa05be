// A holding as AWS Config saw it: what config-source.ts reads and config-refine.ts decides over.
import type { Bound, Holder } from './holding.ts'
import type { Observation } from './observation.ts'

/** A holding as Config saw it: what it held, from which item to which. */
export interface ConfigInterval {
  readonly address: string
  readonly addressKind: Observation['addressKind']
  readonly scope: string
  readonly holder: Holder
  readonly start: Bound
  readonly end?: Bound
}
