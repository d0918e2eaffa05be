// Whether AWS Config records a target's ENIs usably: get (DescribeConfigurationRecorders and
// DescribeConfigurationRecorderStatus) → transform (pure). Checked before each read of Config history:
// a missing recorder shows up as an error on that read, but a recorder that leaves ENIs out only returns
// nothing, and one that records them daily returns items captured up to a day after their change, whose
// bounds would be confidently wrong. Neither says so on the history read itself.
import {
  type ConfigServiceClient,
  type ConfigurationRecorder,
  type ConfigurationRecorderStatus,
  DescribeConfigurationRecordersCommand,
  DescribeConfigurationRecorderStatusCommand,
} from '@aws-sdk/client-config-service'
import type { ConfigRecording } from '../model/config-recording.ts'

// As config-source.ts names it; not imported, so that this check stands without the history reader.
const ENI_RESOURCE_TYPE = 'AWS::EC2::NetworkInterface'

export interface RecorderAnswers {
  readonly recorders: readonly ConfigurationRecorder[]
  readonly statuses: readonly ConfigurationRecorderStatus[]
}

/** Both answers, or `denied` when the read role may not ask (AccessDenied, or an old role without these actions). */
export async function readConfigRecorders(client: ConfigServiceClient, signal?: AbortSignal): Promise<RecorderAnswers | { readonly denied: string }> {
  const send = signal ? { abortSignal: signal } : {}
  try {
    // Without names, each answers for the account-region's customer-managed recorder (at most one).
    const recorders = await client.send(new DescribeConfigurationRecordersCommand({}), send)
    const statuses = await client.send(new DescribeConfigurationRecorderStatusCommand({}), send)
    return { recorders: recorders.ConfigurationRecorders ?? [], statuses: statuses.ConfigurationRecordersStatus ?? [] }
  } catch (err) {
    const e = err as Error
    if (/AccessDenied|UnauthorizedOperation|NotAuthorized/i.test(e.name)) return { denied: `${e.name}: ${e.message}` }
    throw err
  }
}

/** The recorder and its status → how Config records ENIs there. Pure. */
export function configRecordingOf(answers: RecorderAnswers | { readonly denied: string }, checkedAt: number): ConfigRecording {
  if ('denied' in answers) {
    return { state: 'denied', detail: `may not read the configuration recorder (${answers.denied}); grant config:DescribeConfigurationRecorders and config:DescribeConfigurationRecorderStatus (deploy/member-role.yaml)`, checkedAt }
  }
  // Service-linked recorders record what their service chose, for that service: only the customer-managed
  // recorder's items are this account's history.
  const recorder = answers.recorders.find((r) => !r.servicePrincipal)
  if (!recorder) return { state: 'off', detail: 'no configuration recorder in this region', checkedAt }
  const name = recorder.name ?? 'default'
  const status = answers.statuses.find((s) => (s.arn && recorder.arn ? s.arn === recorder.arn : (s.name ?? 'default') === name))
  if (!status) return { state: 'off', detail: `recorder "${name}" reports no status`, checkedAt }
  if (status.recording !== true) {
    return { state: 'off', detail: `recorder "${name}" is stopped${status.lastStopTime ? ` (since ${status.lastStopTime.toISOString()})` : ''}`, checkedAt }
  }
  const scope = eniScope(recorder)
  if (scope) return { state: 'not-recording-enis', detail: `recorder "${name}" ${scope}`, checkedAt }
  if (eniFrequency(recorder) === 'DAILY') {
    return { state: 'daily', detail: `recorder "${name}" records ${ENI_RESOURCE_TYPE} daily: an item may be captured up to a day after its change, so its history is not used for bounds`, checkedAt }
  }
  // AWS's own CLI example shows "SUCCESS" where the API model says "Success".
  if (status.lastStatus?.toLowerCase() === 'failure') {
    const error = [status.lastErrorCode, status.lastErrorMessage].filter(Boolean).join(': ')
    const when = status.lastStatusChangeTime ? ` since ${status.lastStatusChangeTime.toISOString()}` : ''
    return { state: 'failing', detail: `recorder "${name}" records ENIs, but its last status is a failure${when}${error ? ` (${error})` : ''}; its history is still read`, checkedAt }
  }
  return { state: 'recording', detail: `recorder "${name}" records ${ENI_RESOURCE_TYPE} continuously`, checkedAt }
}

/** Why the recorder leaves ENIs out, or undefined when it records them. */
function eniScope(recorder: ConfigurationRecorder): string | undefined {
  const group = recorder.recordingGroup
  // No recording group: the default, every supported type (PutConfigurationRecorder).
  if (!group) return undefined
  const included = group.resourceTypes ?? []
  const excluded = group.exclusionByResourceTypes?.resourceTypes ?? []
  // The strategy decides which fields count; without one, the fields that are filled do.
  const strategy =
    group.recordingStrategy?.useOnly ??
    (group.allSupported === true || (group.allSupported === undefined && included.length === 0 && excluded.length === 0)
      ? 'ALL_SUPPORTED_RESOURCE_TYPES'
      : excluded.length > 0
        ? 'EXCLUSION_BY_RESOURCE_TYPES'
        : 'INCLUSION_BY_RESOURCE_TYPES')
  if (strategy === 'ALL_SUPPORTED_RESOURCE_TYPES') return undefined
  if (strategy === 'EXCLUSION_BY_RESOURCE_TYPES') return excluded.includes(ENI_RESOURCE_TYPE) ? `excludes ${ENI_RESOURCE_TYPE}` : undefined
  return included.includes(ENI_RESOURCE_TYPE) ? undefined : `records only ${included.length} listed resource types, not ${ENI_RESOURCE_TYPE}`
}

function eniFrequency(recorder: ConfigurationRecorder): string {
  const mode = recorder.recordingMode
  // Recorders made before recording modes existed have none: they record continuously.
  if (!mode) return 'CONTINUOUS'
  const overrides = (mode.recordingModeOverrides ?? []).filter((o) => o.resourceTypes?.includes(ENI_RESOURCE_TYPE))
  // Two overrides naming ENIs should not happen; if they do, the slower one is the one to fear.
  if (overrides.some((o) => o.recordingFrequency === 'DAILY')) return 'DAILY'
  if (overrides.length > 0) return 'CONTINUOUS'
  return mode.recordingFrequency ?? 'CONTINUOUS'
}

/** The history read itself was refused (the recorder went away, or access did, after the check). Pure. */
export function configRecordingOfReadFailure(reason: string, checkedAt: number): ConfigRecording {
  return /AccessDenied/.test(reason)
    ? { state: 'denied', detail: `may not read Config history (${reason})`, checkedAt }
    : { state: 'off', detail: `Config history could not be read (${reason})`, checkedAt }
}
