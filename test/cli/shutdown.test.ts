// `whohad serve` (the API and the collector in one process, as `node dist/cli.js`) stopped with SIGTERM
// under load and in the middle of a poll: every request sent gets a complete 2xx answer, the poll that
// cannot finish is abandoned through its AbortSignal (its AWS call is cut) and writes nothing, the leases
// are handed back, the process exits 0. A second signal ends it at once with 128 + n.
//
// AWS is the simulated organisation behind a proxy that can hold one EC2 call of the management
// account's target without ever answering it: a poll stuck there can end only by being aborted.
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import t, { type Test } from 'tap'
import { storeOver } from '../../src/store/open.ts'
import { startDynamoDbLocal } from '../../support/dynamodb-local.ts'
import { dynamoClientAs } from '../../support/stores.ts'
import { cleanEnv, running, startFakeAwsProc, startProc, stopProc, waitFor } from '../../support/processes.ts'

const CLIENTS = 6

interface Held {
  /** The client (the collector's SDK call) closed the request: it was aborted. */
  aborted: boolean
}

/** Forwards to `upstream`; once armed, holds the next DescribeInstances signed with `accessKeyId` unanswered. */
async function holdingProxy(t: { teardown(fn: () => unknown): void }, upstream: string, accessKeyId: string) {
  const up = new URL(upstream)
  const agent = new http.Agent({ keepAlive: true })
  let armed = false
  let held: Held | undefined
  const server = http.createServer((req, res) => {
    res.on('error', () => {})
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks)
      if (armed && !held && body.toString('utf8').includes('Action=DescribeInstances') && req.headers.authorization?.includes(`Credential=${accessKeyId}/`)) {
        const h: Held = { aborted: false }
        held = h
        req.socket.once('close', () => (h.aborted = true))
        return
      }
      // The Host header goes upstream as it came: the SDK signed it.
      const fwd = http.request({ host: up.hostname, port: up.port, method: req.method, path: req.url, headers: req.headers, agent }, (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers)
        upRes.pipe(res)
      })
      fwd.on('error', (err) => {
        if (!res.headersSent) res.writeHead(502)
        res.end(String(err))
      })
      fwd.end(body)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
        agent.destroy()
      }),
  )
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    /** Hold the next one (a new one: what was held before is forgotten). */
    arm: () => {
      armed = true
      held = undefined
    },
    held: () => held,
  }
}

interface Tally {
  ok: number
  /** Answers that told the client to close the connection. */
  closes: number
  readonly failed: string[]
  /** How the client's loop ended: 'refused' once the server no longer listens. */
  end?: string
}

function get(port: number, path: string, agent: http.Agent): Promise<{ status: number; body: string; connection?: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent }, (res) => {
      let body = ''
      res.setEncoding('utf8').on('data', (d: string) => (body += d))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, ...(res.headers.connection ? { connection: res.headers.connection } : {}) }))
      res.on('error', reject)
    })
    req.on('error', reject)
  })
}

/**
 * One keep-alive client sending lookups and current-state reads back to back until a connection is
 * refused (the server no longer listens: that request was never received). Anything else that is not a
 * complete 2xx answer with a JSON body is a failure.
 */
async function client(port: number, i: number, tally: Tally): Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
  try {
    for (let n = 0; ; n++) {
      const path = n % 2 === 0 ? `/v1/ips/10.0.${i}.${n % 250}?at=${Math.floor(Date.now() / 1000)}` : '/v1/instances'
      try {
        const a = await get(port, path, agent)
        if (a.status < 200 || a.status > 299) tally.failed.push(`${path}: ${a.status} ${a.body.slice(0, 200)}`)
        else {
          JSON.parse(a.body) // a cut answer would not parse
          tally.ok++
        }
        if (a.connection === 'close') tally.closes++
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code
        if (code === 'ECONNREFUSED') tally.end = 'refused'
        else {
          tally.failed.push(`${path}: ${String(err)}`)
          tally.end = 'failed'
        }
        return
      }
    }
  } finally {
    agent.destroy()
  }
}

/** DynamoDB Local and the simulated organisation behind the holding proxy, for both tests. */
async function world(t: Test) {
  let dynamoEndpoint = process.env.WHOHAD_TEST_DYNAMODB_ENDPOINT
  if (!dynamoEndpoint) {
    const local = await startDynamoDbLocal()
    t.teardown(() => local.stop())
    dynamoEndpoint = local.endpoint
  }
  const fake = await startFakeAwsProc(t, ['--accounts', '2', '--regions', '1', '--enis-per-region', '20', '--seed', '7', '--realtime', '--no-throttling'])
  const proxy = await holdingProxy(t, fake.endpoint, fake.accessKeyId)
  // DynamoDB Local keeps one database per access key and region: the test reads with serve's.
  const dynamo = dynamoClientAs(dynamoEndpoint, fake.regions[0]!, { accessKeyId: fake.accessKeyId, secretAccessKey: fake.secretAccessKey })
  t.teardown(() => dynamo.destroy())
  return { dynamoEndpoint, fake, proxy, dynamo }
}

/** `whohad serve` on a table of its own, once its API listens. */
async function serve(t: Test, w: Awaited<ReturnType<typeof world>>, name: string) {
  const tableName = `${name}${process.pid}-${Date.now()}`
  const serve = startProc('serve', ['serve'], cleanEnv({
    AWS_ACCESS_KEY_ID: w.fake.accessKeyId,
    AWS_SECRET_ACCESS_KEY: w.fake.secretAccessKey,
    AWS_REGION: w.fake.regions[0]!,
    WHOHAD_AWS_ENDPOINT: w.proxy.endpoint,
    WHOHAD_SELF_ACCOUNT: w.fake.managementAccountId,
    WHOHAD_DYNAMODB_ENDPOINT: w.dynamoEndpoint,
    WHOHAD_TABLE: tableName,
    WHOHAD_PORT: '0',
    WHOHAD_POLL_INTERVAL: '1s',
    WHOHAD_LEASE_PERIOD: '3s',
    WHOHAD_LEASE_SHARDS: '4',
    WHOHAD_CONFIG_HORIZON_DAYS: '1',
    // The clients are one key (none: loopback) sending as fast as answered; the limit is not under test.
    WHOHAD_RATE_LIMIT: '10000000',
  }))
  t.teardown(() => stopProc(serve))
  t.teardown(() => t.comment(`serve stderr:\n${serve.stderr.trim().split('\n').slice(-20).join('\n')}`))
  const port = await waitFor('the API to listen', 60_000, () => {
    if (!running(serve)) throw new Error(`serve exited early:\n${serve.stderr}`)
    const m = /API and page at http:\/\/[^:]+:(\d+)/.exec(serve.stdout)
    return m ? Number(m[1]) : undefined
  })
  return { ...w, serve, port, tableName, store: storeOver(w.dynamo, { tableName }) }
}

/** Holds the management target's next poll at the proxy and waits until it is stuck there. */
async function holdAPoll(s: Awaited<ReturnType<typeof serve>>): Promise<Held> {
  s.proxy.arm()
  return waitFor('a poll of the management account to be held mid-way', 60_000, () => {
    if (!running(s.serve)) throw new Error(`serve exited early:\n${s.serve.stderr}`)
    return s.proxy.held()
  })
}

const w = await world(t)

t.test('SIGTERM under load and mid-poll: no failed request, the poll abandoned unwritten, no lease held, exit 0', async (t) => {
  const began = Date.now()
  const mark = (what: string) => t.comment(`${what}: ${Date.now() - began} ms`)
  const s = await serve(t, w, 'shutdown')
  mark('API listening')
  const tallies: Tally[] = Array.from({ length: CLIENTS }, () => ({ ok: 0, closes: 0, failed: [] }))
  const clients = tallies.map((tally, i) => client(s.port, i, tally))
  await waitFor('every client to be answered', 30_000, () => (tallies.every((x) => x.ok >= 3) ? true : undefined))
  mark('clients answered')
  const held = await holdAPoll(s)
  mark('a poll held')
  const before = await s.store.targets.get({ accountId: s.fake.managementAccountId, region: s.fake.regions[0]! })
  const leasedBefore = (await s.store.leases.leases()).filter((l) => l.until > Date.now())
  t.ok(leasedBefore.length > 0, 'the collector held leases before the signal')
  const answeredBefore = tallies.reduce((n, x) => n + x.ok, 0)

  s.serve.child.kill('SIGTERM')
  const exit = await Promise.race([s.serve.exited, new Promise<'hung'>((resolve) => setTimeout(resolve, 60_000, 'hung'))])
  await Promise.all(clients)
  mark('exited')

  t.same(exit, { code: 0, signal: null }, 'exit 0 after a graceful stop')
  t.same(tallies.flatMap((x) => x.failed), [], 'no request failed, was cut or was reset')
  t.same(tallies.map((x) => x.end), Array(CLIENTS).fill('refused'), 'every client ended on a refused connection, after its last answer')
  t.same(tallies.map((x) => x.closes), Array(CLIENTS).fill(1), 'every client was told Connection: close, once')
  t.ok(tallies.reduce((n, x) => n + x.ok, 0) > answeredBefore, 'requests in flight at the signal were answered')
  t.ok(held.aborted, 'the held AWS call was aborted by the collector, not left hanging')
  t.match(s.serve.stderr, /poll \d{12}\/[a-z0-9-]+: abandoned, stopping \(nothing written\)/)
  const after = await s.store.targets.get({ accountId: s.fake.managementAccountId, region: s.fake.regions[0]! })
  t.same(after, before, 'the abandoned poll wrote nothing to its target')
  t.same((await s.store.leases.leases()).filter((l) => l.until > Date.now()), [], 'no lease is held')
  t.same(await s.store.leases.members(Date.now()), [], 'the process left the members')
  t.match(s.serve.stdout, /whohad: stopped\n/)
})

t.test('a second signal stops at once with 128 + n', async (t) => {
  const s = await serve(t, w, 'shutdown2')
  await holdAPoll(s)
  s.serve.child.kill('SIGTERM')
  await waitFor('the first signal to be heard', 10_000, () => (s.serve.stderr.includes('SIGTERM: stopping') ? true : undefined))
  s.serve.child.kill('SIGINT')
  const exit: { code: number | null; signal: NodeJS.Signals | null } | 'hung' = await Promise.race([s.serve.exited, new Promise<'hung'>((resolve) => setTimeout(resolve, 60_000, 'hung'))])
  t.same(exit, { code: 130, signal: null }, 'SIGINT is 2: exit 130, without waiting for the held poll')
  t.match(s.serve.stderr, /SIGINT again: stopping at once/)
  t.notMatch(s.serve.stdout, /whohad: stopped/)
})
