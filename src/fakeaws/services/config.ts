// AWS Config (JSON 1.1, StarlingDoveService): GetResourceConfigHistory and ListDiscoveredResources for
// ENIs and instances, and the recorder that decides what they hold (DescribeConfigurationRecorders,
// DescribeConfigurationRecorderStatus; modes in config-recorders.ts). Items appear only once their
// capture time has passed (see config-history.ts).
import type { ConfigChange, ConfigResourceType, ConfigSettings } from '../config-history.ts'
import { ENI_TYPE, eniChanges, eniConfiguration, INSTANCE_TYPE, instanceChanges, instanceConfiguration } from '../config-history.ts'
import type { ConfigRecorderSetting } from '../config-recorders.ts'
import type { Eni, Instance, Target } from '../entities.ts'
import { queryHash } from '../../protocol/pagination.ts'
import { AwsError } from '../../protocol/errors.ts'
import { hash32 } from '../rng.ts'
import type { World } from '../world.ts'
import type { Call } from './call.ts'
import { beginPage, callerTarget } from './call.ts'

const SEVEN_DAYS = 7 * 24 * 3_600_000
const DAY = 24 * 3_600_000
const MODELLED: readonly string[] = [ENI_TYPE, INSTANCE_TYPE]

export function configSettings(world: World): ConfigSettings {
  return { seed: world.seed, delayMs: world.options.configDelayMs, notRecordedRate: world.options.configNotRecordedRate }
}

export function handleConfig(call: Call, input: Record<string, unknown>): unknown {
  const recorder = recorderOf(call)
  const known = ['GetResourceConfigHistory', 'ListDiscoveredResources', 'DescribeConfigurationRecorders', 'DescribeConfigurationRecorderStatus']
  if (recorder.mode === 'denied' && known.includes(call.action)) {
    throw new AwsError('AccessDeniedException', `User: ${call.caller.arn} is not authorized to perform: config:${call.action} because no identity-based policy allows the config:${call.action} action`)
  }
  switch (call.action) {
    case 'GetResourceConfigHistory':
      return getResourceConfigHistory(call, input, recorder)
    case 'ListDiscoveredResources':
      return listDiscoveredResources(call, input, recorder)
    case 'DescribeConfigurationRecorders':
      return describeConfigurationRecorders(call, input, recorder)
    case 'DescribeConfigurationRecorderStatus':
      return describeConfigurationRecorderStatus(call, input, recorder)
  }
  throw new AwsError('UnknownOperationException', `The simulated AWS organisation does not implement ${call.action}`)
}

function recorderOf(call: Call): ConfigRecorderSetting {
  return call.fake.world.configRecorders.of(call.caller.accountId, call.region)
}

const RECORDER_NAME = 'default'

/** Recorders are named; asking for another name fails as AWS does. */
function checkNames(input: Record<string, unknown>, recorder: ConfigRecorderSetting): void {
  const names = input.ConfigurationRecorderNames
  if (!Array.isArray(names) || names.length === 0) return
  if (names.length > 1) throw new AwsError('ValidationException', 'You have specified more than one configuration recorder.')
  if (recorder.mode === 'off' || names[0] !== RECORDER_NAME) {
    throw new AwsError('NoSuchConfigurationRecorderException', `Cannot find configuration recorder with the specified name '${String(names[0])}'.`)
  }
}

/**
 * The recorder each mode has, in the shapes AWS answers with: `all` and `stopped` as in the AWS CLI's
 * describe-configuration-recorders example (no recordingMode: a recorder from before recording modes);
 * the others with an ARN and a recording mode, `without-enis` with the exclusion strategy of the CLI's
 * put-configuration-recorder example 3, `daily` with a DAILY override for ENIs.
 */
function describeConfigurationRecorders(call: Call, input: Record<string, unknown>, recorder: ConfigRecorderSetting): unknown {
  checkNames(input, recorder)
  if (recorder.mode === 'off') return { ConfigurationRecorders: [] }
  const account = call.caller.accountId
  const roleARN = `arn:aws:iam::${account}:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig`
  const allSupported = { allSupported: true, includeGlobalResourceTypes: true, resourceTypes: [] }
  if (recorder.mode === 'all' || recorder.mode === 'stopped') {
    return { ConfigurationRecorders: [{ recordingGroup: allSupported, roleARN, name: RECORDER_NAME }] }
  }
  const modern = {
    arn: `arn:aws:config:${call.region}:${account}:configuration-recorder/${RECORDER_NAME}/${hash32('recorder', call.fake.world.seed, account, call.region).toString(16).padStart(8, '0')}`,
    name: RECORDER_NAME,
    roleARN,
    recordingScope: 'PAID',
  }
  if (recorder.mode === 'without-enis') {
    return {
      ConfigurationRecorders: [{
        ...modern,
        recordingGroup: {
          allSupported: false,
          exclusionByResourceTypes: { resourceTypes: ['AWS::Redshift::ClusterSnapshot', ENI_TYPE, 'AWS::RDS::DBClusterSnapshot'] },
          includeGlobalResourceTypes: false,
          recordingStrategy: { useOnly: 'EXCLUSION_BY_RESOURCE_TYPES' },
          resourceTypes: [],
        },
        recordingMode: { recordingFrequency: 'CONTINUOUS', recordingModeOverrides: [] },
      }],
    }
  }
  const overrides = recorder.mode === 'daily' ? [{ description: 'network interfaces churn: record daily', recordingFrequency: 'DAILY', resourceTypes: [ENI_TYPE] }] : []
  return {
    ConfigurationRecorders: [{
      ...modern,
      recordingGroup: { ...allSupported, recordingStrategy: { useOnly: 'ALL_SUPPORTED_RESOURCE_TYPES' } },
      recordingMode: { recordingFrequency: 'CONTINUOUS', recordingModeOverrides: overrides },
    }],
  }
}

/** Statuses as in the AWS CLI's describe-configuration-recorder-status example (upper-case lastStatus). */
function describeConfigurationRecorderStatus(call: Call, input: Record<string, unknown>, recorder: ConfigRecorderSetting): unknown {
  checkNames(input, recorder)
  if (recorder.mode === 'off') return { ConfigurationRecordersStatus: [] }
  const since = recorder.since / 1000
  const status: Record<string, unknown> = { name: RECORDER_NAME, lastStatus: 'SUCCESS', recording: true, lastStatusChangeTime: call.now / 1000, lastStartTime: since }
  if (recorder.mode === 'stopped') return { ConfigurationRecordersStatus: [{ ...status, recording: false, lastStopTime: since, lastStatusChangeTime: since }] }
  if (recorder.mode === 'failing') {
    return { ConfigurationRecordersStatus: [{ ...status, lastStatus: 'FAILURE', lastErrorCode: 'NoSuchBucket', lastErrorMessage: 'The specified bucket does not exist.', lastStatusChangeTime: since }] }
  }
  return { ConfigurationRecordersStatus: [status] }
}

/** What the recorder recorded of a resource's changes: every change, or one a day, or none after a stop. */
function recorded(changes: readonly ConfigChange[], type: string, recorder: ConfigRecorderSetting): ConfigChange[] {
  if (recorder.mode === 'stopped') return changes.filter((c) => c.captureTime <= recorder.since)
  if (recorder.mode !== 'daily' || type !== ENI_TYPE) return [...changes]
  // Daily recording: the state at the end of each day with a change, captured after the day ends (with
  // the change's own capture lag), so a capture can lie a day after its change.
  const byDay = new Map<number, ConfigChange>()
  for (const c of changes) byDay.set(Math.floor(c.changeTime / DAY), c)
  let first = true
  const out: ConfigChange[] = []
  for (const [day, c] of byDay) {
    const deleted = c.status === 'ResourceDeleted' || c.status === 'ResourceDeletedNotRecorded'
    out.push({ ...c, captureTime: (day + 1) * DAY + (c.captureTime - c.changeTime), status: first && !deleted ? 'ResourceDiscovered' : c.status })
    first = false
  }
  return out
}

function noRecorder(): AwsError {
  return new AwsError('NoAvailableConfigurationRecorderException', 'There is no configuration recorder available to record your resources.')
}

function invalidToken(message: string): AwsError {
  return new AwsError('InvalidNextTokenException', message)
}

function resourceTypeOf(input: Record<string, unknown>): string {
  const type = input.resourceType
  if (typeof type !== 'string' || !/^AWS::[A-Za-z0-9]+::[A-Za-z0-9]+$/.test(type)) {
    throw new AwsError(
      'ValidationException',
      `1 validation error detected: Value '${String(type)}' at 'resourceType' failed to satisfy constraint: Member must satisfy enum value set`,
    )
  }
  return type
}

function limitOf(input: Record<string, unknown>, fallback: number): number {
  const limit = input.limit
  if (limit === undefined || limit === 0) return fallback
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 0 || limit > 100) {
    throw new AwsError('InvalidLimitException', `Value '${String(limit)}' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 100`)
  }
  return limit
}

function timeOf(input: Record<string, unknown>, name: string): number | undefined {
  const v = input[name]
  if (v === undefined || v === null) return undefined
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new AwsError('ValidationException', `Invalid value for ${name}`)
  return Math.round(v * 1000)
}

/** The changes of an ENI or instance; undefined when the type is not modelled or the id is unknown here. */
export function resourceChanges(world: World, target: Target | undefined, type: string, id: string): { changes: ConfigChange[]; render: (t: number) => Record<string, unknown>; resource: Eni | Instance } | undefined {
  if (!target) return undefined
  const settings = configSettings(world)
  if (type === ENI_TYPE) {
    const eni = target.eniById.get(id)
    return eni ? { changes: eniChanges(eni, settings), render: (t) => eniConfiguration(eni, t), resource: eni } : undefined
  }
  if (type === INSTANCE_TYPE) {
    const instance = target.instanceById.get(id)
    return instance ? { changes: instanceChanges(instance, settings), render: (t) => instanceConfiguration(instance, t), resource: instance } : undefined
  }
  return undefined
}

function getResourceConfigHistory(call: Call, input: Record<string, unknown>, recorder: ConfigRecorderSetting): unknown {
  const type = resourceTypeOf(input)
  const id = input.resourceId
  if (typeof id !== 'string' || id.length === 0) {
    throw new AwsError('ValidationException', "1 validation error detected: Value null at 'resourceId' failed to satisfy constraint: Member must not be null")
  }
  const order = input.chronologicalOrder ?? 'Reverse'
  if (order !== 'Reverse' && order !== 'Forward') {
    throw new AwsError('ValidationException', `Value '${String(order)}' at 'chronologicalOrder' failed to satisfy constraint: Member must satisfy enum value set: [Reverse, Forward]`)
  }
  const limit = limitOf(input, 10)
  const later = timeOf(input, 'laterTime') ?? call.now
  const earlier = timeOf(input, 'earlierTime')
  if (earlier !== undefined && earlier > later) {
    throw new AwsError('InvalidTimeRangeException', 'The specified time range is not valid. The earlier time is not chronologically before the later time.')
  }
  // AWS documents that each call may span at most seven days; this fake enforces it.
  if (earlier !== undefined && later - earlier > SEVEN_DAYS) {
    throw new AwsError('InvalidTimeRangeException', 'The specified time range is not valid. The time range between earlierTime and laterTime must not exceed 7 days.')
  }
  if (recorder.mode === 'off') throw noRecorder()
  // A recorder that leaves ENIs out never discovered one.
  const found = recorder.mode === 'without-enis' && type === ENI_TYPE ? undefined : resourceChanges(call.fake.world, callerTarget(call), type, id)
  const visible = found ? recorded(found.changes, type, recorder).filter((c) => c.captureTime <= call.now) : []
  if (!found || visible.length === 0) {
    throw new AwsError('ResourceNotDiscoveredException', `Resource ${id} of resourceType:${type} is unknown or has not been discovered`)
  }
  const inRange = visible.filter((c) => c.captureTime <= later && (earlier === undefined || c.captureTime >= earlier))
  if (order === 'Reverse') inRange.reverse()
  const paging = beginPage(call, typeof input.nextToken === 'string' ? input.nextToken : undefined, `${call.request.accountId}/${call.region}/${id}`, queryHash(Object.entries(input), ['nextToken', 'limit']), invalidToken)
  const page = inRange.slice(paging.after, paging.after + limit)
  const resource = found.resource
  const target = resource.target
  return {
    configurationItems: page.map((c) => configurationItem(c, found.render, resource, target)),
    ...(paging.after + limit < inRange.length ? { nextToken: paging.next(paging.after + limit) } : {}),
  }
}

function configurationItem(change: ConfigChange, render: (t: number) => Record<string, unknown>, resource: Eni | Instance, target: Target): Record<string, unknown> {
  const deleted = change.status === 'ResourceDeleted' || change.status === 'ResourceDeletedNotRecorded'
  const isEni = change.resourceType === ENI_TYPE
  const subnet = resource.subnet
  const arnKind = isEni ? 'network-interface' : 'instance'
  const relationships = deleted
    ? []
    : isEni
      ? [
          ...((resource as Eni).attachment?.instanceId
            ? [{ resourceType: INSTANCE_TYPE, resourceId: (resource as Eni).attachment?.instanceId, relationshipName: 'Is attached to Instance' }]
            : []),
          { resourceType: 'AWS::EC2::SecurityGroup', resourceId: subnet.vpc.securityGroupId, relationshipName: 'Is associated with SecurityGroup' },
          { resourceType: 'AWS::EC2::Subnet', resourceId: subnet.id, relationshipName: 'Is contained in Subnet' },
          { resourceType: 'AWS::EC2::VPC', resourceId: subnet.vpc.id, relationshipName: 'Is contained in Vpc' },
        ]
      : [
          ...(resource as Instance).allEnis
            .filter((e) => e.createdAt <= change.changeTime && (e.deletedAt === undefined || e.deletedAt > change.changeTime))
            .map((e) => ({ resourceType: ENI_TYPE, resourceId: e.id, relationshipName: 'Contains NetworkInterface' })),
          { resourceType: 'AWS::EC2::SecurityGroup', resourceId: subnet.vpc.securityGroupId, relationshipName: 'Is associated with SecurityGroup' },
          { resourceType: 'AWS::EC2::Subnet', resourceId: subnet.id, relationshipName: 'Is contained in Subnet' },
          { resourceType: 'AWS::EC2::VPC', resourceId: subnet.vpc.id, relationshipName: 'Is contained in Vpc' },
        ]
  return {
    version: '1.3',
    accountId: target.account.id,
    configurationItemCaptureTime: change.captureTime / 1000,
    configurationItemStatus: change.status,
    configurationStateId: String(change.captureTime),
    configurationItemMD5Hash: '',
    arn: `arn:aws:ec2:${target.region.name}:${target.account.id}:${arnKind}/${resource.id}`,
    resourceType: change.resourceType,
    resourceId: resource.id,
    awsRegion: target.region.name,
    availabilityZone: subnet.availabilityZone,
    resourceCreationTime: resource.createdAt / 1000,
    tags: Object.fromEntries(resource.tags),
    relatedEvents: [],
    relationships,
    ...(deleted ? {} : { configuration: JSON.stringify(render(change.changeTime)) }),
    supplementaryConfiguration: {},
    recordingFrequency: 'CONTINUOUS',
  }
}

function listDiscoveredResources(call: Call, input: Record<string, unknown>, recorder: ConfigRecorderSetting): unknown {
  const type = resourceTypeOf(input)
  if (recorder.mode === 'off') throw noRecorder()
  const limit = limitOf(input, 100)
  const includeDeleted = input.includeDeletedResources === true
  const ids = Array.isArray(input.resourceIds) ? input.resourceIds.filter((x): x is string => typeof x === 'string') : undefined
  const target = callerTarget(call)
  const paging = beginPage(call, typeof input.nextToken === 'string' ? input.nextToken : undefined, `${call.request.accountId}/${call.region}/${type}`, queryHash(Object.entries(input), ['nextToken', 'limit']), invalidToken)
  const settings = configSettings(call.fake.world)
  const log: ReadonlyArray<Eni | Instance> =
    !target || !MODELLED.includes(type) || (recorder.mode === 'without-enis' && type === ENI_TYPE) ? [] : type === ENI_TYPE ? target.eniLog : target.instanceLog
  const out: Array<Record<string, unknown>> = []
  let lastSeq = paging.after
  let more = false
  // The logs are in creation (seq) order, so the token's seq is a binary-searchable position.
  let lo = 0
  let hi = log.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if ((log[mid] as Eni | Instance).seq <= paging.after) lo = mid + 1
    else hi = mid
  }
  for (let i = lo; i < log.length; i++) {
    const r = log[i] as Eni | Instance
    if (ids && !ids.includes(r.id)) continue
    const changes = recorded(type === ENI_TYPE ? eniChanges(r as Eni, settings) : instanceChanges(r as Instance, settings), type, recorder)
    const first = changes[0]
    if (!first || first.captureTime > call.now) continue
    const last = changes[changes.length - 1] as ConfigChange
    const deletion = last.status === 'ResourceDeleted' || last.status === 'ResourceDeletedNotRecorded' ? last : undefined
    const deletedVisible = deletion !== undefined && deletion.captureTime <= call.now
    if (deletedVisible && !includeDeleted) continue
    if (out.length === limit) {
      more = true
      break
    }
    out.push({
      resourceType: type as ConfigResourceType,
      resourceId: r.id,
      ...(deletedVisible ? { resourceDeletionTime: deletion.captureTime / 1000 } : {}),
    })
    lastSeq = r.seq
  }
  return { resourceIdentifiers: out, ...(more ? { nextToken: paging.next(lastSeq) } : {}) }
}
