// Whether AWS Config records a target's network interfaces in a way whohad may use. Config history
// narrows bounds on the assumption that an item is captured soon after its change
// (WHOHAD_CONFIG_MAX_DELAY); a recorder that is off, leaves ENIs out or records them only daily breaks
// that assumption or has nothing to say, and an answer must then say its bounds are poll-wide. Pure.

export const CONFIG_RECORDING_STATES = ['recording', 'failing', 'off', 'not-recording-enis', 'daily', 'denied'] as const

/**
 * - `recording`: ENIs recorded continuously.
 * - `failing`: recorded continuously, but the recorder's last status is a failure (history is still read).
 * - `off`: no configuration recorder, or it is stopped.
 * - `not-recording-enis`: the recorder leaves `AWS::EC2::NetworkInterface` out.
 * - `daily`: ENIs recorded only daily: an item may be captured up to a day after its change.
 * - `denied`: the read role may not ask.
 */
export type ConfigRecordingState = (typeof CONFIG_RECORDING_STATES)[number]

export interface ConfigRecording {
  readonly state: ConfigRecordingState
  /** What was found, in words, for an operator: which recorder, since when, which error. */
  readonly detail: string
  /** When it was found (epoch ms). */
  readonly checkedAt: number
  /**
   * Set when Config became usable after whohad had seen it unusable: history captured before this is not
   * read. Items captured while ENIs were recorded daily may lie a day after their change, and nothing
   * marks them; absent, the history is read back to the horizon.
   */
  readonly usableSince?: number
}

/** Whether Config history may be read for holdings and bounds. */
export function configHistoryUsable(state: ConfigRecordingState | undefined): boolean {
  return state === 'recording' || state === 'failing'
}
