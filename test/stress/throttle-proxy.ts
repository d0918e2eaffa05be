// A small HTTP proxy in front of DynamoDB Local that answers a share of requests the way DynamoDB
// does when it throttles (ProvisionedThroughputExceededException or ThrottlingException, HTTP 400),
// and forwards the rest untouched. The SDK must retry those; whohad must lose nothing.
import http from 'node:http'
import type { AddressInfo } from 'node:net'

export interface ThrottleProxy {
  readonly endpoint: string
  /** Share of requests to throttle, 0..1; change it while running. */
  rate: number
  readonly stats: { forwarded: number; throttled: number }
  close(): Promise<void>
}

const ERRORS = [
  { type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException', message: 'The level of configured provisioned throughput for the table was exceeded.' },
  { type: 'com.amazon.coral.availability#ThrottlingException', message: 'Rate of requests exceeds the allowed throughput.' },
]

/**
 * `spareFromAttempt`: never throttle a request the SDK marks (header `amz-sdk-request: attempt=N; max=M`)
 * as its attempt N at or past this one. A test that every request is retried that many times then
 * cannot fail by the chance of one request drawing a throttle on every attempt.
 */
export async function startThrottleProxy(
  target: string,
  rate = 0,
  random: () => number = Math.random,
  spareFromAttempt = Number.POSITIVE_INFINITY,
): Promise<ThrottleProxy> {
  const upstream = new URL(target)
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 })
  const stats = { forwarded: 0, throttled: 0 }
  const proxy: { rate: number } = { rate }
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const attempt = Number(/attempt=(\d+)/.exec(String(req.headers['amz-sdk-request'] ?? ''))?.[1] ?? 1)
      if (attempt < spareFromAttempt && random() < proxy.rate) {
        stats.throttled++
        const e = ERRORS[stats.throttled % ERRORS.length]!
        const body = JSON.stringify({ __type: e.type, message: e.message })
        res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': `throttled-${stats.throttled}`, 'content-length': Buffer.byteLength(body) })
        res.end(body)
        return
      }
      stats.forwarded++
      const out = http.request(
        { host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers, agent },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers)
          up.pipe(res)
        },
      )
      out.on('error', (err) => {
        res.writeHead(502, { 'content-type': 'text/plain' })
        res.end(String(err))
      })
      out.end(Buffer.concat(chunks))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return Object.assign(proxy, {
    endpoint: `http://127.0.0.1:${port}`,
    stats,
    close: () =>
      new Promise<void>((resolve) => {
        agent.destroy()
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  })
}
