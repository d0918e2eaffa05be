// A collector process's lease on one shard of the targets: what the store keeps (store/leases.ts) and
// the pure lease plan (collector/lease-plan.ts) decides over.
export interface Lease {
  readonly shard: number
  readonly owner: string
  /** Epoch ms after which the lease is free. */
  readonly until: number
}
