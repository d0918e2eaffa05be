// Picks the cache from configuration: Redis when REDIS_URL is set, the in-process LRU otherwise.
import type { Config } from '../config.ts'
import { LocalCache } from './local.ts'
import { RedisCache } from './redis.ts'
import type { AnswerCache } from './types.ts'

export function openCache(config: Config['cache'], log?: (m: string) => void): AnswerCache {
  if (!config.redisUrl) return new LocalCache()
  return new RedisCache({ url: config.redisUrl, cluster: config.cluster, localTtlMs: 5 * 60_000, ...(log ? { log } : {}) })
}

/**
 * The collector's side of invalidation: an invalidation that could not be delivered (Redis away) is kept
 * and retried, so that answers cached before the write cannot outlive Redis's return by more than a retry.
 */
export function reliableInvalidation(cache: AnswerCache, options: { readonly retryMs?: number; readonly log?: (m: string) => void } = {}) {
  const pending = new Set<string>()
  let timer: NodeJS.Timeout | undefined
  const flush = async (): Promise<void> => {
    if (pending.size === 0) return
    const batch = [...pending]
    pending.clear()
    try {
      await cache.invalidate(batch)
    } catch (err) {
      for (const a of batch) pending.add(a)
      options.log?.(`cache invalidation of ${batch.length} addresses deferred: ${(err as Error).message}`)
      timer ??= setTimeout(() => {
        timer = undefined
        void flush()
      }, options.retryMs ?? 1_000).unref()
    }
  }
  return {
    invalidate: async (addresses: readonly string[]) => {
      for (const a of addresses) pending.add(a)
      await flush()
    },
    pending: () => pending.size,
    stop: () => clearTimeout(timer),
  }
}
