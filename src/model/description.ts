// What the collector recorded of AWS's descriptions, as the EC2 SDK parsed them, for the /ec2/ endpoint
// to serve back. Types only: the SDK's shapes are the nouns, so what AWS said is kept field for field.
import type { Address, Instance, NetworkInterface, Reservation } from '@aws-sdk/client-ec2'

export type DescriptionKind = 'instance' | 'eni' | 'address'

/**
 * An instance as DescribeInstances gave it. EC2 puts the reservation around the instance; a source that
 * kept the reservation's own fields may add them, and /ec2/ then serves them back (else it writes one
 * reservation per instance, owned by the account, without an id).
 */
export type InstanceDescription = Instance & Partial<Pick<Reservation, 'ReservationId' | 'OwnerId' | 'RequesterId'>>

export interface DescriptionSource {
  /** The current descriptions of one account+region, as the SDK parsed them from AWS; asOf = the complete poll they come from. */
  list(kind: DescriptionKind, accountId: string, region: string): Promise<{ items: readonly (Instance | NetworkInterface | Address)[]; asOf?: number }>
}
