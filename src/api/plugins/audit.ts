// The audit log: who asked what. One JSON line (pino) per /v1 and /ec2/ request on a logger of its own
// (WHOHAD_AUDIT_LOG, WHOHAD_AUDIT_LEVEL), apart from the request log: the key's name, the route, the
// addresses asked (a batch: its count and its first few), the answer's size and the status. Never a
// header, a key or a secret: the line is built from named fields only.
import type { FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { type DestinationStream, pino } from 'pino'
import { scopeNeeded } from './auth.ts'

/** How many addresses of a batch or block the line lists. */
export const AUDIT_FIRST = 10


export const auditLog = fp<{ stream?: DestinationStream | undefined; level?: 'info' | 'silent' | undefined }>(
  async (app, { stream, level = 'info' }) => {
    if (!stream) return
    const log = pino({ level, base: { log: 'whohad-audit' }, timestamp: pino.stdTimeFunctions.isoTime }, stream)
    app.addHook('onResponse', async (req, reply) => {
      // The requests that need a lookup key are the ones audited, however their path was spelled.
      if (scopeNeeded(req) !== 'lookup') return
      const note = req.whohadAudit
      const length = Number(reply.getHeader('content-length'))
      log.info({
        key: req.whohadKey ?? null,
        ...(req.whohadScope ? { region: req.whohadScope.region } : {}),
        method: req.method,
        route: req.routeOptions.url ?? null,
        ...(note?.action !== undefined ? { action: note.action } : {}),
        client: req.ip,
        status: reply.statusCode,
        asked: note?.asked.slice(0, AUDIT_FIRST) ?? [],
        askedCount: note?.askedCount ?? note?.asked.length ?? 0,
        ...(note?.results !== undefined ? { results: note.results } : {}),
        answerBytes: Number.isFinite(length) ? length : null,
        ms: Math.round(reply.elapsedTime),
      })
    })
  },
  { name: 'whohad-audit' },
)

/** What a route says of its request for the audit line. */
export function noteAudit(req: FastifyRequest, asked: readonly string[], results?: number, askedCount?: number, action?: string): void {
  req.whohadAudit = {
    asked: asked.slice(0, AUDIT_FIRST),
    ...(askedCount !== undefined ? { askedCount } : { askedCount: asked.length }),
    ...(results !== undefined ? { results } : {}),
    ...(action !== undefined ? { action } : {}),
  }
}
