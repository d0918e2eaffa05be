// A target (one account × region the collector polls) and what is kept about it between polls. Pure:
// the store (store/targets.ts) reads and writes these, poll-state.ts computes them, the API reads them.
import type { ConfigRecording } from './config-recording.ts'
import type { DescriptionKind } from './description.ts'

export interface Target {
  readonly accountId: string
  readonly region: string
}

/**
 * When a target was last polled completely, and what AWS Config says of it. An open holding was
 * present in every complete poll since it opened, so this one record per target (rather than a
 * "last seen" per holding per poll) is what proves an open holding up to now.
 */
export interface TargetState extends Target {
  /** Start time of the first complete poll: whohad has watched this target since then. */
  readonly firstCompletePoll?: number
  /** Time of the latest complete poll. */
  readonly lastCompletePoll?: number
  readonly lastAttempt?: number
  readonly lastError?: string
  readonly consecutiveFailures: number
  /**
   * Stretches between two complete polls further apart than the collector's maximum gap (outages,
   * failure streaks): holdings are not proven inside them. Oldest first, bounded in number.
   */
  readonly gaps?: readonly { readonly from: number; readonly to: number }[]
  /** AWS Config history is read up to here (capture time); the next pass resumes from it. */
  readonly configCursor?: number
  /** How AWS Config records this target's ENIs, as last checked (before each read of its history). */
  readonly config?: ConfigRecording
  /**
   * Per kind, a digest of the (id, content hash) pairs of the descriptions stored for this target
   * (store/descriptions.ts): a poll whose digest is the same has nothing to read or write there.
   */
  readonly descriptionDigests?: Readonly<Partial<Record<DescriptionKind, string>>>
  /**
   * Counts the writes of this state that followed a write of the target's holdings (a poll's, a Config
   * pass's that changed some), and `writer` names the collector process that made the last one. A
   * process that keeps the target's open holdings in memory (collector/target-memory.ts) trusts them
   * only while the stored pair is the one it last wrote or read: any other means another process wrote.
   */
  readonly version?: number
  readonly writer?: string
  /** Complete polls in a row that changed nothing (no holding opened, closed or refined). */
  readonly unchangedPolls?: number
  /**
   * Since this complete poll (its start) the target has been quiet, and is polled every `quietEveryMs`
   * rather than every poll interval: a holding shorter than that may fall between two polls unseen.
   */
  readonly quietSince?: number
  readonly quietEveryMs?: number
  /** Past quiet spells (from the poll that began one to the end of the poll that ended it), oldest first, bounded in number. */
  readonly quietSpells?: readonly QuietSpell[]
}

/** A stretch during which a target was polled every `everyMs`, longer than the poll interval, because nothing changed there. */
export interface QuietSpell {
  readonly from: number
  readonly to: number
  readonly everyMs: number
}

/** The state of a target never polled. */
export function freshTargetState(target: Target): TargetState {
  return { accountId: target.accountId, region: target.region, consecutiveFailures: 0 }
}
