// Every request's latency by route and status (served at /metrics by routes/health.ts, registered after
// /docs so that it is documented).
import fp from 'fastify-plugin'
import type { Metrics } from '../metrics.ts'

export const requestMetrics = fp<{ metrics: Metrics }>(
  async (app, { metrics }) => {
    app.addHook('onResponse', async (req, reply) => {
      metrics.requests.observe({ method: req.method, route: req.routeOptions.url ?? 'unknown', status: String(reply.statusCode) }, reply.elapsedTime / 1000)
    })
  },
  { name: 'whohad-metrics' },
)
