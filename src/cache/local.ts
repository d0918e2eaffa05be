// An in-process answer cache: an LRU whose entries are dropped when an address they depend on is
// invalidated. Alone it serves one process (`whohad serve` runs API and collector together); in front of
// Redis it is the first level, kept short (`WHOHAD_CACHE_STALE_MS`) and emptied by Redis pub/sub.
import { LRUCache } from 'lru-cache'
import type { AnswerCache, CacheHealth, CacheRead, Cached } from './types.ts'

export class LocalCache implements AnswerCache {
  private readonly entries: LRUCache<string, { value: string; dependsOn: readonly string[] }>
  /** address → keys of entries built on it, so that an invalidation drops exactly those. */
  private readonly dependents = new Map<string, Set<string>>()
  /** Bumped by every invalidation: a `set` whose stamp is older may hold a pre-write answer. */
  private generation = 0
  private readonly generationOf = new Map<string, number>()
  /** Sets stamped before this are refused (the per-address generations before it were forgotten). */
  private floor = 0

  constructor(options: { readonly max?: number } = {}) {
    this.entries = new LRUCache({
      max: options.max ?? 50_000,
      ttlAutopurge: false,
      dispose: (entry, key) => {
        for (const address of entry.dependsOn) {
          const keys = this.dependents.get(address)
          keys?.delete(key)
          if (keys?.size === 0) this.dependents.delete(address)
        }
      },
    })
  }

  /** Synchronous read for the hot path (no promise when it is a hit). */
  peek(key: string): string | undefined {
    return this.entries.get(key)?.value
  }

  async getMany(reads: readonly CacheRead[]): Promise<Cached[]> {
    const stamp = this.generation
    return reads.map((r) => ({ value: this.entries.get(r.key)?.value, stamp }))
  }

  async set(read: CacheRead, stamp: unknown, value: string, ttlMs: number): Promise<void> {
    this.put(read, stamp as number, value, ttlMs)
  }

  put(read: CacheRead, stamp: number, value: string, ttlMs: number): void {
    if (ttlMs <= 0) return
    // An invalidation of one of its addresses after the stamp was taken: the answer may predate it.
    if (stamp < this.floor || read.dependsOn.some((a) => (this.generationOf.get(a) ?? -1) > stamp)) return
    this.entries.set(read.key, { value, dependsOn: read.dependsOn }, { ttl: ttlMs })
    for (const address of read.dependsOn) {
      let keys = this.dependents.get(address)
      if (!keys) this.dependents.set(address, (keys = new Set()))
      keys.add(read.key)
    }
  }

  get stampNow(): number {
    return this.generation
  }

  private readonly listeners: ((addresses: readonly string[]) => void)[] = []

  async invalidate(addresses: readonly string[]): Promise<void> {
    this.drop(addresses)
    for (const listener of this.listeners) listener(addresses)
  }

  onInvalidated(listener: (addresses: readonly string[]) => void): void {
    this.listeners.push(listener)
  }

  drop(addresses: readonly string[]): void {
    this.generation++
    for (const address of addresses) {
      this.generationOf.set(address, this.generation)
      for (const key of [...(this.dependents.get(address) ?? [])]) this.entries.delete(key)
    }
    // The generation map only needs addresses invalidated while a read may be in flight.
    if (this.generationOf.size > 100_000) {
      this.generationOf.clear()
      this.floor = this.generation
    }
  }

  clear(): void {
    this.generation++
    this.floor = this.generation
    this.entries.clear()
  }

  health(): CacheHealth {
    return { backend: 'memory', state: 'ok' }
  }

  async close(): Promise<void> {
    this.entries.clear()
  }
}
