// The cache's contract, shared by the API (reads through it) and the collector (invalidates through it).
// An answer depends on the holdings stored under a few store addresses (the looked-up IP and each
// delegated-prefix block containing it); invalidating any of them must reach every answer built on it.

/**
 * Not a store address: what every answer's coverage.config is built from (each target's AWS Config
 * state). The collector invalidates it when a target's Config state changes, which voids every answer.
 */
export const CONFIG_COVERAGE = '#config-coverage'

export interface CacheHealth {
  readonly backend: 'memory' | 'redis'
  /** `degraded`: Redis unreachable; answers come from the store until it is back. */
  readonly state: 'ok' | 'degraded'
  readonly detail?: string
}

export interface CacheRead {
  readonly key: string
  /** Store addresses (canonical IP or CIDR text, as `Holding.address`) the answer was built from. */
  readonly dependsOn: readonly string[]
}

/** What a reader must hand back to `set`: the versions it saw before it read the store. */
export type Stamp = unknown

export interface Cached {
  readonly value: string | undefined
  /** Pass to `set` after reading the store, so that a write that raced the read voids the entry. */
  readonly stamp: Stamp
}

export interface AnswerCache {
  /** Each entry's cached answer (undefined on a miss), in order. Never throws: a miss when the backend is down. */
  getMany(reads: readonly CacheRead[]): Promise<Cached[]>
  /**
   * Cache an answer for `ttlMs`. An entry is served only while none of the addresses it depends on has
   * been invalidated since `stamp` was taken, and never past its time to live. Never throws.
   */
  set(read: CacheRead, stamp: Stamp, value: string, ttlMs: number): Promise<void>
  /**
   * The collector calls this after its write of these addresses returned. Through Redis it reaches every
   * API process. Throws when the invalidation could not be delivered (the caller keeps it for retry).
   */
  invalidate(addresses: readonly string[]): Promise<void>
  /**
   * Be told of every invalidation that reaches this process (the collector's own, or through Redis, from
   * another process): what the membership filter learns a newly written address from at once.
   */
  onInvalidated?(listener: (addresses: readonly string[]) => void): void
  /** The in-process level's entry, synchronously (undefined when absent or not trusted right now). */
  peek?(key: string): string | undefined
  health(): CacheHealth
  close(): Promise<void>
}
