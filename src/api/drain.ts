// Stopping an HTTP server without failing a request: stop accepting connections, answer every request
// already received or still arriving on an open keep-alive connection (with `Connection: close`, so
// the client opens its next connection elsewhere), close connections that sit idle, and after a
// bounded grace time destroy whatever is left.
//
// Why not `server.close()` alone: since Node 19 it also closes the connections that look idle at that
// instant, and a keep-alive client may have just written its next request into one of them, which it
// then sees reset. Fastify's own close() answers requests arriving after it with 503. So the listening
// socket is closed by itself here, and a connection is closed only once it has been idle a while or
// has answered a request with `Connection: close`; fastify.close() comes after, with nothing left to
// refuse.
import type { Server, ServerResponse } from 'node:http'
import net from 'node:net'
import type { Socket } from 'node:net'

export interface DrainOptions {
  /** A connection idle this long while draining is closed (a client that is not sending). */
  readonly idleMs?: number
}

export interface DrainResult {
  /** Connections still open when the grace time ran out, destroyed with whatever they were doing. */
  readonly forced: number
}

export interface Drainable {
  /** Requests answered or in progress right now (for logs and tests). */
  inFlight(): number
  /** Stop accepting, finish what is in flight within `graceMs`, resolve once every connection is closed. */
  drain(graceMs: number): Promise<DrainResult>
}

interface Connection {
  active: number
  idleSince: number
}

/**
 * Tracks `server`'s connections from now on; call before it listens, so that every connection is known.
 * Requests (HTTP/1.1) only: the API serves no HTTP/2.
 */
export function drainable(server: Server, options: DrainOptions = {}): Drainable {
  const idleMs = options.idleMs ?? 1_000
  const connections = new Map<Socket, Connection>()
  const pending = new Set<ServerResponse>()
  let draining = false

  server.on('connection', (socket: Socket) => {
    connections.set(socket, { active: 0, idleSince: Date.now() })
    socket.once('close', () => connections.delete(socket))
  })
  // Prepended: the header must be set before the app's handler can write the response head.
  server.prependListener('request', (req, res: ServerResponse) => {
    const conn = connections.get(req.socket)
    if (conn) conn.active++
    pending.add(res)
    if (draining) res.setHeader('Connection', 'close')
    res.once('close', () => {
      pending.delete(res)
      if (conn) {
        conn.active--
        conn.idleSince = Date.now()
      }
    })
  })

  return {
    inFlight: () => pending.size,
    async drain(graceMs) {
      if (draining) throw new Error('drain() was already called')
      draining = true
      // Responses not yet begun tell their client this connection ends with them.
      for (const res of pending) if (!res.headersSent) res.setHeader('Connection', 'close')
      const closed = new Promise<void>((resolve) => {
        // net.Server's close: stop listening, call back once the last connection has gone; http.Server's
        // would also close the connections idle at this instant (see above).
        if (server.listening) net.Server.prototype.close.call(server, () => resolve())
        else resolve()
      })
      const closeIdle = () => {
        const now = Date.now()
        for (const [socket, conn] of connections) if (conn.active === 0 && now - conn.idleSince >= idleMs) socket.end()
      }
      const sweep = setInterval(closeIdle, Math.max(10, Math.floor(idleMs / 4)))
      let timer: NodeJS.Timeout | undefined
      const graceOver = new Promise<'grace over'>((resolve) => {
        timer = setTimeout(() => resolve('grace over'), graceMs)
      })
      try {
        if ((await Promise.race([closed, graceOver])) !== 'grace over') return { forced: 0 }
        const forced = connections.size
        for (const socket of connections.keys()) socket.destroy()
        await closed
        return { forced }
      } finally {
        clearInterval(sweep)
        clearTimeout(timer)
      }
    },
  }
}
