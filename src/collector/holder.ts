// The holder record of an ENI, built the same way whichever source stated the ENI (an EC2 snapshot or
// an AWS Config item), so that one ENI is one holder: the classification is model/eni-class.ts, and
// what the ENI's instance adds (its Name tag, type, image, tags) comes from DescribeInstances alone.
import { classifyEni, type EniFacts } from '../model/eni-class.ts'
import type { Holder } from '../model/holding.ts'

/** An ENI as a source states it: the facts classification reads, and where it sits. */
export interface EniRecord extends EniFacts {
  readonly vpcId?: string | undefined
  readonly subnetId?: string | undefined
}

/** What DescribeInstances says of the instance an ENI is attached to. */
export interface InstanceFacts {
  readonly instanceType?: string | undefined
  readonly imageId?: string | undefined
  readonly tags?: Readonly<Record<string, string>> | undefined
}

export function holderFor(eni: EniRecord, target: { readonly accountId: string; readonly region: string }, instance?: InstanceFacts): Holder {
  const { kind, resource } = classifyEni(eni)
  const instanceId = eni.attachment?.instanceId ?? undefined
  const instanceName = instanceId ? instance?.tags?.Name : undefined
  // The instance's tags win over the ENI's: the abuse desk asks about the instance.
  const tags = { ...(eni.tags ?? {}), ...(instanceId ? (instance?.tags ?? {}) : {}) }
  const named = instanceName !== undefined ? { ...resource, name: instanceName } : resource
  const name = instanceId ? instanceName : (resource.name ?? resource.id)
  return {
    eniId: eni.eniId,
    kind,
    resource: named,
    accountId: target.accountId,
    region: target.region,
    ...(eni.vpcId ? { vpcId: eni.vpcId } : {}),
    ...(eni.subnetId ? { subnetId: eni.subnetId } : {}),
    ...(eni.interfaceType ? { interfaceType: eni.interfaceType } : {}),
    ...(eni.requesterManaged !== undefined ? { requesterManaged: eni.requesterManaged } : {}),
    ...(eni.description ? { description: eni.description } : {}),
    ...(instanceId ? { instanceId } : {}),
    ...(name ? { name } : {}),
    ...(instanceId && instance?.instanceType ? { instanceType: instance.instanceType } : {}),
    ...(instanceId && instance?.imageId ? { imageId: instance.imageId } : {}),
    ...(Object.keys(tags).length > 0 ? { tags } : {}),
  }
}

/** AWS's tag lists ([{Key, Value}] in EC2, [{key, value}] in Config) as a record. */
export function tagRecord(list: readonly { Key?: string | undefined; Value?: string | undefined; key?: string | undefined; value?: string | undefined }[] | undefined): Record<string, string> {
  const tags: Record<string, string> = {}
  for (const t of list ?? []) {
    const key = t.Key ?? t.key
    if (key !== undefined) tags[key] = t.Value ?? t.value ?? ''
  }
  return tags
}
