// The HTTP drain on a real listening fastify server and real keep-alive clients: what is in flight is
// answered, what arrives on an open connection is answered with `Connection: close`, no new connection
// is accepted, idle connections are closed, and the grace time bounds it all.
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import Fastify from 'fastify'
import t from 'tap'
import { drainable } from '../../src/api/drain.ts'

interface Answer {
  readonly status: number
  readonly body: string
  readonly connection: string | undefined
}

async function server(t: { teardown(fn: () => unknown): void }) {
  const fastify = Fastify()
  // A request to /slow waits until the test opens the gate; `arrived` says it is being handled.
  let open!: () => void
  const gate = new Promise<void>((resolve) => (open = resolve))
  let arrived!: () => void
  const slowArrived = new Promise<void>((resolve) => (arrived = resolve))
  fastify.get('/fast', async () => ({ ok: true }))
  fastify.get('/slow', async () => {
    arrived()
    await gate
    return { ok: 'slow' }
  })
  const drain = drainable(fastify.server, { idleMs: 200 })
  await fastify.listen({ host: '127.0.0.1', port: 0 })
  t.teardown(() => fastify.close())
  const { port } = fastify.server.address() as AddressInfo
  return { fastify, drain, port, openGate: () => open(), slowArrived }
}

function get(port: number, path: string, agent: http.Agent): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent }, (res) => {
      let body = ''
      res.setEncoding('utf8').on('data', (d: string) => (body += d))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, connection: res.headers.connection }))
      res.on('error', reject)
    })
    req.on('error', reject)
  })
}

t.test('in-flight requests are answered, new connections refused, Connection: close told', async (t) => {
  const s = await server(t)
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
  t.teardown(() => agent.destroy())
  const first = await get(s.port, '/fast', agent)
  t.equal(first.connection, 'keep-alive', 'before draining, connections are kept')
  const slow = get(s.port, '/slow', agent)
  await s.slowArrived
  t.equal(s.drain.inFlight(), 1)
  const drained = s.drain.drain(60_000)
  // The listening socket is closed at once: a new connection is refused while the slow one goes on.
  const refused = await get(s.port, '/fast', new http.Agent()).then(
    () => 'answered',
    (err: NodeJS.ErrnoException) => err.code,
  )
  t.equal(refused, 'ECONNREFUSED')
  s.openGate()
  const answer = await slow
  t.same({ status: answer.status, body: JSON.parse(answer.body), connection: answer.connection }, { status: 200, body: { ok: 'slow' }, connection: 'close' })
  t.same(await drained, { forced: 0 }, 'every connection ended by itself')
  await t.rejects(s.drain.drain(1), /already/)
})

t.test('a keep-alive client that keeps sending is answered until told to close; no request fails', async (t) => {
  const s = await server(t)
  const clients = 4
  const results = await new Promise<{ ok: number; failed: string[]; closes: number; refused: number }>((resolve) => {
    const tally = { ok: 0, failed: [] as string[], closes: 0, refused: 0 }
    let done = 0
    let started = 0
    const loop = async (agent: http.Agent) => {
      for (;;) {
        try {
          const a = await get(s.port, '/fast', agent)
          if (a.status !== 200 || JSON.parse(a.body).ok !== true) tally.failed.push(`${a.status} ${a.body}`)
          else tally.ok++
          if (a.connection === 'close') tally.closes++
          if (++started === clients * 20) void s.drain.drain(60_000)
        } catch (err) {
          // Refused: the server no longer listens, so this request was never received.
          if ((err as NodeJS.ErrnoException).code === 'ECONNREFUSED') tally.refused++
          else tally.failed.push(String(err))
          break
        }
      }
      agent.destroy()
      if (++done === clients) resolve(tally)
    }
    for (let i = 0; i < clients; i++) void loop(new http.Agent({ keepAlive: true, maxSockets: 1 }))
  })
  t.same(results.failed, [], 'no request failed or was reset')
  t.equal(results.refused, clients, 'each client ended on a refused connection, not an error')
  t.equal(results.closes, clients, 'each client was told Connection: close once, on its last answer')
  t.ok(results.ok >= clients * 20)
})

t.test('an idle keep-alive connection is closed; a request beyond the grace time is cut', async (t) => {
  const s = await server(t)
  const idle = new http.Agent({ keepAlive: true, maxSockets: 1 })
  t.teardown(() => idle.destroy())
  await get(s.port, '/fast', idle)
  let idleSocket: import('node:net').Socket | undefined
  for (const list of Object.values(idle.freeSockets)) idleSocket = list?.[0]
  t.ok(idleSocket, 'the client keeps an idle connection')
  const idleClosed = new Promise<void>((resolve) => idleSocket!.once('close', () => resolve()))
  const slow = get(s.port, '/slow', new http.Agent()).then(
    () => 'answered',
    (err: NodeJS.ErrnoException) => err.code,
  )
  await s.slowArrived
  const result = await s.drain.drain(1_000)
  await idleClosed
  t.same(result, { forced: 1 }, 'the slow request\'s connection was destroyed when the grace ran out')
  t.equal(await slow, 'ECONNRESET')
  s.openGate()
})
