// What one poll of one target did: the collector's report, counted by the API's metrics.
import type { Disagreements } from './observation.ts'
import type { Target, TargetState } from './target.ts'

export interface PollResult {
  readonly target: Target
  readonly complete: boolean
  readonly error?: string
  /** Holdings seen by the snapshot. */
  readonly observations: number
  readonly opened: number
  readonly closed: number
  readonly refined: number
  readonly durationMs: number
  /** The poll was dropped because the lease was lost before writing. */
  readonly abandoned?: boolean
  /** Where the snapshot's places disagreed (see Disagreements): counted in metrics, logged once. */
  readonly disagreements?: Disagreements
  /** Instance records written (new, changed or gone); 0 in a steady state. */
  readonly instancesWritten?: number
  /** Descriptions written (new, changed or removed); 0 in a steady state. */
  readonly descriptionsWritten?: number
  readonly state: TargetState
}
