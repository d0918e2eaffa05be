// Every request's latency by route and status, and the Prometheus text at /metrics (behind the
// "metrics" scope when the API has keys).
import fp from 'fastify-plugin'
import type { Metrics } from '../metrics.ts'

export const requestMetrics = fp<{ metrics: Metrics }>(
  async (app, { metrics }) => {
    app.addHook('onResponse', async (req, reply) => {
      metrics.requests.observe({ method: req.method, route: req.routeOptions.url ?? 'unknown', status: String(reply.statusCode) }, reply.elapsedTime / 1000)
    })
    app.get('/metrics', { schema: { hide: true } }, async (_req, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()))
  },
  { name: 'whohad-metrics' },
)
