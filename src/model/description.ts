// A resource as AWS described it: the object the SDK parsed from DescribeInstances (one
// `Reservations[].Instances[]` member), DescribeNetworkInterfaces or DescribeAddresses, untouched, so
// that whohad can answer those calls itself (/ec2/) with every field AWS returned. Pure: the SDK's
// shapes are imported as types only; a stored object is typed here as a plain object and
// src/store/descriptions.ts gives it the SDK's type per kind.
import type { Address, Instance, NetworkInterface, Reservation } from '@aws-sdk/client-ec2'

export const DESCRIPTION_KINDS = ['instance', 'network-interface', 'address'] as const
export type DescriptionKind = (typeof DESCRIPTION_KINDS)[number]

/** One resource's description, under the id EC2 names it by. */
export interface Description {
  readonly id: string
  /** The SDK's object as parsed: JSON-able but for its Date members (launch and attach times). */
  readonly body: object
  /**
   * What the resource was listed within, where AWS lists it inside something: for an instance, its
   * reservation (ReservationId, OwnerId, RequesterId, Groups) without the reservation's Instances.
   */
  readonly context?: object
}

/** What one complete snapshot read, per kind, one description per id (the first listing wins). */
export type DescriptionSet = Readonly<Record<DescriptionKind, readonly Description[]>>

/**
 * The id a kind's descriptions are keyed by: InstanceId, NetworkInterfaceId, and for an Elastic IP its
 * AllocationId (an EC2-Classic address has none: its PublicIp names it).
 */
export function descriptionId(kind: DescriptionKind, body: Readonly<Record<string, unknown>>): string | undefined {
  const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined)
  if (kind === 'instance') return text(body.InstanceId)
  if (kind === 'network-interface') return text(body.NetworkInterfaceId)
  return text(body.AllocationId) ?? text(body.PublicIp)
}

/** One description per id, in the order first listed: a page boundary may repeat a resource. */
export function describedOnce(kind: DescriptionKind, bodies: readonly object[], contextOf?: (body: object) => object | undefined): Description[] {
  const out = new Map<string, Description>()
  for (const body of bodies) {
    const id = descriptionId(kind, body as Readonly<Record<string, unknown>>)
    if (id === undefined || out.has(id)) continue
    const context = contextOf?.(body)
    out.set(id, context === undefined ? { id, body } : { id, body, context })
  }
  return [...out.values()]
}

/**
 * An instance as DescribeInstances gave it. EC2 puts the reservation around the instance; a source that
 * kept the reservation's own fields may add them, and /ec2/ then serves them back (else it writes one
 * reservation per instance, owned by the account, without an id).
 */
export type InstanceDescription = Instance & Partial<Pick<Reservation, 'ReservationId' | 'OwnerId' | 'RequesterId'>>

/** What /ec2/ answers from: the current descriptions of one account and region. */
export interface DescriptionSource {
  /** As the SDK parsed them from AWS; asOf = the complete poll they come from. */
  list(kind: DescriptionKind, accountId: string, region: string): Promise<{ items: readonly (Instance | NetworkInterface | Address)[]; asOf?: number }>
}
