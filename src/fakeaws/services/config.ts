// AWS Config (JSON 1.1, StarlingDoveService): GetResourceConfigHistory and ListDiscoveredResources for
// ENIs and instances. Items appear only once their capture time has passed (see config-history.ts).
import type { ConfigChange, ConfigResourceType, ConfigSettings } from '../config-history.ts'
import { ENI_TYPE, eniChanges, eniConfiguration, INSTANCE_TYPE, instanceChanges, instanceConfiguration } from '../config-history.ts'
import type { Eni, Instance, Target } from '../entities.ts'
import { queryHash } from '../pagination.ts'
import { AwsError } from '../protocol/errors.ts'
import type { World } from '../world.ts'
import type { Call } from './call.ts'
import { beginPage, callerTarget } from './call.ts'

const SEVEN_DAYS = 7 * 24 * 3_600_000
const MODELLED: readonly string[] = [ENI_TYPE, INSTANCE_TYPE]

export function configSettings(world: World): ConfigSettings {
  return { seed: world.seed, delayMs: world.options.configDelayMs, notRecordedRate: world.options.configNotRecordedRate }
}

export function handleConfig(call: Call, input: Record<string, unknown>): unknown {
  switch (call.action) {
    case 'GetResourceConfigHistory':
      return getResourceConfigHistory(call, input)
    case 'ListDiscoveredResources':
      return listDiscoveredResources(call, input)
  }
  throw new AwsError('UnknownOperationException', `The simulated AWS organisation does not implement ${call.action}`)
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

function getResourceConfigHistory(call: Call, input: Record<string, unknown>): unknown {
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
  const found = resourceChanges(call.fake.world, callerTarget(call), type, id)
  const visible = found?.changes.filter((c) => c.captureTime <= call.now) ?? []
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

function listDiscoveredResources(call: Call, input: Record<string, unknown>): unknown {
  const type = resourceTypeOf(input)
  const limit = limitOf(input, 100)
  const includeDeleted = input.includeDeletedResources === true
  const ids = Array.isArray(input.resourceIds) ? input.resourceIds.filter((x): x is string => typeof x === 'string') : undefined
  const target = callerTarget(call)
  const paging = beginPage(call, typeof input.nextToken === 'string' ? input.nextToken : undefined, `${call.request.accountId}/${call.region}/${type}`, queryHash(Object.entries(input), ['nextToken', 'limit']), invalidToken)
  const settings = configSettings(call.fake.world)
  const log: ReadonlyArray<Eni | Instance> = !target || !MODELLED.includes(type) ? [] : type === ENI_TYPE ? target.eniLog : target.instanceLog
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
    const changes = type === ENI_TYPE ? eniChanges(r as Eni, settings) : instanceChanges(r as Instance, settings)
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
