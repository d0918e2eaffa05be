// What /ec2/ answers from in whohad serve: the descriptions the collector recorded (store.descriptions),
// each account and region as of its last complete poll. An instance comes back with its reservation's
// own fields, so DescribeInstances groups instances as EC2 did.
import type { Address, NetworkInterface } from '@aws-sdk/client-ec2'
import type { DescriptionKind, DescriptionSource, InstanceDescription } from '../model/description.ts'
import type { TargetState } from '../model/target.ts'
import type { DescriptionStore } from '../store/descriptions.ts'

export function storedDescriptions(descriptions: DescriptionStore, targetStates: () => Promise<readonly TargetState[]>): DescriptionSource {
  return {
    async list(kind: DescriptionKind, accountId: string, region: string) {
      const state = (await targetStates()).find((s) => s.accountId === accountId && s.region === region)
      const asOf = state?.lastCompletePoll
      let items: readonly (InstanceDescription | NetworkInterface | Address)[]
      if (kind === 'instance') {
        const reservations = await descriptions.reservations(accountId, region)
        items = reservations.flatMap((r) =>
          (r.Instances ?? []).map((i): InstanceDescription => ({
            ...i,
            ...(r.ReservationId !== undefined ? { ReservationId: r.ReservationId } : {}),
            ...(r.OwnerId !== undefined ? { OwnerId: r.OwnerId } : {}),
            ...(r.RequesterId !== undefined ? { RequesterId: r.RequesterId } : {}),
          })),
        )
      } else {
        items = await descriptions.list(kind, accountId, region)
      }
      return asOf === undefined ? { items } : { items, asOf }
    },
  }
}

/** The accounts a request may see: those whohad watches, less those its key is not limited to. */
export async function watchedAccounts(targetStates: () => Promise<readonly TargetState[]>, visible: ReadonlySet<string> | 'all'): Promise<string[]> {
  const all = [...new Set((await targetStates()).map((s) => s.accountId))]
  return visible === 'all' ? all : all.filter((a) => visible.has(a))
}
