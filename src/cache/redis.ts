// The shared answer cache: Redis (standalone or cluster) behind a short in-process first level.
//
// Correctness rests on versions, not on deleting entries: every store address has a version key that the
// collector bumps after each write of that address. A reader takes the versions of everything its
// answer depends on *before* it reads the store, and the entry it writes carries them; an entry is served
// only while its versions are still current. So a write that races a read voids the entry instead of
// leaving a stale one behind. The collector also publishes the addresses it wrote, and every API process
// drops its first-level entries built on them. The first level is trusted only while this process is
// subscribed: when the subscription drops, messages may be lost, so the first level is bypassed until it
// is back and then emptied.
//
// Version keys have no expiry and entries do: run Redis with a `volatile-*` eviction policy (or
// `noeviction`), so that memory pressure evicts answers, never versions. Redis down: every read is a miss
// (answers come from the store), `health()` says degraded, and ioredis reconnects by itself.
import { Cluster, Redis } from 'ioredis'
import { LocalCache } from './local.ts'
import type { AnswerCache, CacheHealth, CacheRead, Cached } from './types.ts'

const CHANNEL = 'whohad:invalidate'

export interface RedisCacheOptions {
  readonly url: string
  readonly cluster?: boolean
  /** Key prefix, so that several deployments can share one Redis. */
  readonly prefix?: string
  /** Longest time to live of first-level (in-process) entries (entries never outlive their Redis twin). */
  readonly localTtlMs: number
  readonly log?: (message: string) => void
}

type Client = Redis | Cluster

export class RedisCache implements AnswerCache {
  private readonly client: Client
  private readonly subscriber: Client
  private readonly local = new LocalCache()
  private readonly prefix: string
  private lastError: string | undefined
  /** Whether invalidation messages can reach this process now (the first level is usable). */
  private subscribed = false
  private readonly listeners: ((addresses: readonly string[]) => void)[] = []

  constructor(private readonly options: RedisCacheOptions) {
    this.prefix = options.prefix ?? 'whohad:'
    // No offline queue and no retries per command: while Redis is away a command fails at once and the
    // reader goes to the store, rather than waiting on a queue.
    const common = { enableOfflineQueue: false, maxRetriesPerRequest: 0, enableAutoPipelining: true, lazyConnect: false }
    const make = (): Client => {
      if (options.cluster) {
        const u = new URL(options.url)
        return new Cluster([{ host: u.hostname, port: Number(u.port || 6379) }], { enableOfflineQueue: false, enableAutoPipelining: true, redisOptions: { maxRetriesPerRequest: 0, ...(u.password ? { password: decodeURIComponent(u.password) } : {}) } })
      }
      return new Redis(options.url, { ...common, retryStrategy: (times) => Math.min(times * 200, 2_000) })
    }
    this.client = make()
    this.subscriber = make()
    for (const c of [this.client, this.subscriber]) {
      c.on('error', (err: Error) => {
        if (this.lastError !== err.message) options.log?.(`redis: ${err.message}`)
        this.lastError = err.message
      })
    }
    this.client.on('ready', () => {
      this.lastError = undefined
    })
    // Entries cached while messages could not arrive may be stale: start the first level afresh.
    this.subscriber.on('ready', () => {
      this.local.clear()
      this.subscriber.subscribe(CHANNEL).then(
        () => {
          this.local.clear()
          this.subscribed = true
        },
        () => undefined,
      )
    })
    for (const event of ['close', 'end', 'reconnecting']) {
      this.subscriber.on(event, () => {
        this.subscribed = false
      })
    }
    this.subscriber.on('message', (_channel: string, message: string) => {
      let addresses: string[]
      try {
        addresses = JSON.parse(message) as string[]
      } catch {
        this.local.clear()
        return
      }
      this.local.drop(addresses)
      for (const listener of this.listeners) listener(addresses)
    })
  }

  onInvalidated(listener: (addresses: readonly string[]) => void): void {
    this.listeners.push(listener)
  }

  private versionKey(address: string): string {
    return `${this.prefix}v:{${address}}`
  }

  private entryKey(key: string): string {
    return `${this.prefix}a:${key}`
  }

  /** Synchronous first-level read for the hot path. */
  peek(key: string): string | undefined {
    return this.subscribed ? this.local.peek(key) : undefined
  }

  async getMany(reads: readonly CacheRead[]): Promise<Cached[]> {
    const localStamp = this.local.stampNow
    const out: Cached[] = new Array(reads.length)
    const misses: number[] = []
    reads.forEach((r, i) => {
      const value = this.peek(r.key)
      if (value !== undefined) out[i] = { value, stamp: { local: localStamp } }
      else misses.push(i)
    })
    if (misses.length === 0) return out
    if (this.client.status !== 'ready') {
      for (const i of misses) out[i] = { value: undefined, stamp: { local: localStamp } }
      return out
    }
    try {
      // Auto-pipelining sends these in one round trip per node, in cluster mode too (one key per command).
      const rows = await Promise.all(
        misses.map(async (i) => {
          const r = reads[i]!
          const [entry, ...versions] = await Promise.all([this.client.get(this.entryKey(r.key)), ...r.dependsOn.map((a) => this.client.get(this.versionKey(a)))])
          return { entry, versions: versions.map((v) => v ?? '0') }
        }),
      )
      rows.forEach(({ entry, versions }, j) => {
        const i = misses[j]!
        const stamp = { local: localStamp, versions }
        let value: string | undefined
        let expires = 0
        if (entry) {
          // An entry is "<versions joined by ,>\n<expiry, epoch ms>\n<answer>", valid only while those
          // versions are current.
          const a = entry.indexOf('\n')
          const b = entry.indexOf('\n', a + 1)
          if (a > 0 && b > a && entry.slice(0, a) === versions.join(',')) {
            value = entry.slice(b + 1)
            expires = Number(entry.slice(a + 1, b))
          }
        }
        if (value !== undefined && this.subscribed) this.local.put(reads[i]!, localStamp, value, Math.min(expires - Date.now(), this.options.localTtlMs))
        out[i] = { value, stamp }
      })
      return out
    } catch (err) {
      this.lastError = (err as Error).message
      for (const i of misses) out[i] = { value: undefined, stamp: { local: localStamp } }
      return out
    }
  }

  async set(read: CacheRead, stamp: unknown, value: string, ttlMs: number): Promise<void> {
    const s = stamp as { local: number; versions?: string[] }
    if (this.subscribed) this.local.put(read, s.local, value, Math.min(ttlMs, this.options.localTtlMs))
    if (!s.versions || ttlMs <= 0 || this.client.status !== 'ready') return
    try {
      await this.client.set(this.entryKey(read.key), `${s.versions.join(',')}\n${Date.now() + ttlMs}\n${value}`, 'PX', Math.ceil(ttlMs))
    } catch (err) {
      this.lastError = (err as Error).message
    }
  }

  async invalidate(addresses: readonly string[]): Promise<void> {
    if (addresses.length === 0) return
    this.local.drop(addresses)
    // INCR may fail part-way; the caller retries the whole list, and an extra bump only costs a miss.
    await Promise.all(addresses.map((a) => this.client.incr(this.versionKey(a))))
    await this.client.publish(CHANNEL, JSON.stringify(addresses))
  }

  health(): CacheHealth {
    if (this.client.status === 'ready') return { backend: 'redis', state: 'ok' }
    return { backend: 'redis', state: 'degraded', detail: `redis ${this.client.status}${this.lastError ? `: ${this.lastError}` : ''}; answering from the store` }
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.client.quit(), this.subscriber.quit()])
    this.client.disconnect()
    this.subscriber.disconnect()
  }
}
