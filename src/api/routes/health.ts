// Liveness and readiness, for load balancers and operators (never rate-limited), and the Prometheus
// text at /metrics (behind the "metrics" scope when the API has keys).
// /readyz reports the store, the cache and each target's polling, and is a 503 problem when the store
// cannot answer.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { TAG } from '../plugins/swagger.ts'
import { problem } from '../problem.ts'
import type { RouteContext } from '../types.ts'

export const healthRoutes: FastifyPluginAsyncZod<RouteContext> = async (app, { cache, targetStates, metrics }) => {
  app.get(
    '/metrics',
    {
      schema: {
        tags: [TAG.operations],
        summary: 'Prometheus metrics',
        description:
          'Request latency by route and status, cache hits and misses, the membership filter, store requests, and per target the age of its last complete poll. Needs a key with the `metrics` scope when the API has keys.\n\nExample: `GET /metrics` (text/plain; version=0.0.4)',
      },
    },
    async (_req, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  )
  app.get(
    '/healthz',
    { schema: { tags: [TAG.operations], summary: 'Liveness: the process answers', description: 'Needs no key and is never rate-limited.\n\nExample: `GET /healthz` answers `{"status": "ok"}`', response: { 200: z.object({ status: z.literal('ok') }) } } },
    async () => ({ status: 'ok' as const }),
  )
  app.get('/readyz', { schema: { tags: [TAG.operations], summary: 'Readiness: the store, the cache and each target\'s polling', description: READYZ } }, async (_req, reply) => {
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

const READYZ =
  '`ready` or `degraded` (the cache is failing; answers come from the store), with per target the age of its last complete poll, its failing polls and its AWS Config state; ' +
  'a 503 problem when the store cannot answer. Needs no key and is never rate-limited.\n\nExample: `GET /readyz`'
