// An in-process memo of listings (one kind of description in one account and region), each kept under
// the version it was read at: the time of its target's last complete poll. A read asks for the version
// it knows is current; a different one is read again, so a new complete poll is seen as soon as its
// version is. Memory is bounded by the number of items held (an LRU sized by item count: a listing
// larger than the bound is never kept, and is read every time). Concurrent reads of the same listing
// at the same version share one load, so a burst of requests after a poll reads the store once.
import { LRUCache } from 'lru-cache'

/** A listing's version: its target's lastCompletePoll; undefined before the first complete poll. */
export type ListingVersion = number | undefined

function isNewer(a: ListingVersion, b: ListingVersion): boolean {
  return a !== undefined && (b === undefined || a > b)
}

interface Entry<T> {
  readonly version: ListingVersion
  readonly items: readonly T[]
}

export class ListingMemo<T> {
  private readonly entries: LRUCache<string, Entry<T>> | undefined
  private readonly loading = new Map<string, { version: ListingVersion; items: Promise<readonly T[]> }>()

  /** `maxItems` 0: nothing is kept (every read loads), but concurrent reads still share a load. */
  constructor(readonly maxItems: number) {
    // Each entry counts one more than its items, so that empty listings are bounded too.
    this.entries = maxItems > 0 ? new LRUCache({ maxSize: maxItems, sizeCalculation: (e) => e.items.length + 1 }) : undefined
  }

  /** The items of `key` at `version`: kept, being loaded, or loaded now by `load`. */
  get(key: string, version: ListingVersion, load: () => Promise<readonly T[]>): Promise<readonly T[]> {
    const kept = this.entries?.get(key)
    if (kept && kept.version === version) return Promise.resolve(kept.items)
    const pending = this.loading.get(key)
    if (pending && pending.version === version) return pending.items
    const items = load()
    const mine = { version, items }
    this.loading.set(key, mine)
    const done = () => {
      if (this.loading.get(key) === mine) this.loading.delete(key)
    }
    items.then(
      (loaded) => {
        done()
        // A slow load of an older version never replaces a newer one's entry (versions only grow).
        const now = this.entries?.get(key)
        if (!now || !isNewer(now.version, version)) this.entries?.set(key, { version, items: loaded })
      },
      done,
    )
    return items
  }

  /** Items held now (for tests and metrics). */
  get size(): number {
    return this.entries?.calculatedSize ?? 0
  }
}
