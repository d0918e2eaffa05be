// Liveness and readiness, for load balancers and operators; hidden from /docs and never rate-limited.
// /readyz reports the store, the cache and each target's polling, and is a 503 problem when the store
// cannot answer.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { problem } from '../problem.ts'
import type { RouteContext } from '../types.ts'

export const healthRoutes: FastifyPluginAsyncZod<RouteContext> = async (app, { cache, targetStates }) => {
  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }))
  app.get('/readyz', { schema: { hide: true } }, async (_req, reply) => {
    const cacheHealth = cache.health()
    try {
      const list = await targetStates()
      const now = Date.now()
      return {
        status: cacheHealth.state === 'ok' ? 'ready' : 'degraded',
        store: 'ok',
        cache: cacheHealth,
        targets: list.map((s) => ({
          accountId: s.accountId,
          region: s.region,
          lastCompletePollAgeSeconds: s.lastCompletePoll === undefined ? null : Math.round((now - s.lastCompletePoll) / 1000),
          consecutiveFailures: s.consecutiveFailures,
          ...(s.lastError ? { lastError: s.lastError } : {}),
          // How AWS Config records the target's ENIs, as the collector last found it; null: not checked yet.
          config: s.config ? { state: s.config.state, detail: s.config.detail, checkedAt: new Date(s.config.checkedAt).toISOString() } : null,
        })),
      }
    } catch (err) {
      return problem(reply, 503, `the store could not answer: ${(err as Error).message}`, { cache: cacheHealth })
    }
  })
}
