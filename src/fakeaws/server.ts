// The HTTP front: routes each request by its SigV4 credential scope (service, region) and access key
// (account), applies faults, calls the service handler, and writes the answer in that service's
// protocol. `/_fake/*` is the side door for tests (ledger, clock, faults); no AWS action reaches it.
import { randomUUID } from 'node:crypto'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import { createServer } from 'node:http'
import { parseAuthorization } from './auth.ts'
import type { Principal } from './auth.ts'
import type { Clock } from './clock.ts'
import type { ConfigRecorderMode } from './config-recorders.ts'
import type { FaultRule, RequestInfo, ServiceName } from './faults.ts'
import { AwsError, ec2ErrorBody, jsonErrorBody, queryErrorBody } from '../protocol/errors.ts'
import type { Params } from '../protocol/params.ts'
import { parseForm } from '../protocol/params.ts'
import type { Call, FakeContext } from './services/call.ts'
import { handleConfig } from './services/config.ts'
import { handleEc2, isUnfilteredDescribe } from './services/ec2.ts'
import { handleOrganizations } from './services/organizations.ts'
import { handleSts, roleAccount, STS_NAMESPACE } from './services/sts.ts'
import { configTruth } from './truth.ts'

type Protocol = 'ec2' | 'query' | 'json'

interface ServiceSpec {
  readonly protocol: Protocol
  /** JSON services: the X-Amz-Target prefix. */
  readonly targetPrefix?: string
  /** Organizations writes `Message`, Config `message`. */
  readonly messageKey?: 'message' | 'Message'
}

const SERVICES: Readonly<Record<ServiceName, ServiceSpec>> = {
  ec2: { protocol: 'ec2' },
  sts: { protocol: 'query' },
  organizations: { protocol: 'json', targetPrefix: 'AWSOrganizationsV20161128.', messageKey: 'Message' },
  config: { protocol: 'json', targetPrefix: 'StarlingDoveService.', messageKey: 'message' },
}

const MAX_BODY = 1 << 20

export interface ServerDeps {
  readonly fake: FakeContext
  readonly clock: Clock
}

export function createFakeServer(deps: ServerDeps): Server {
  return createServer((req, res) => {
    handle(deps, req, res).catch((err: unknown) => {
      // A bug in the fake, not a simulated failure: answer 500 with the reason so tests show it.
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'text/plain' })
        res.end(`fake AWS internal failure: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`)
      } else {
        res.destroy()
      }
    })
  })
}

/** AWS requests each server has answered (the side door not counted), for /_fake/summary: what a collector sent. */
const answered = new WeakMap<ServerDeps, { requests: number }>()

async function handle(deps: ServerDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await readBody(req)
  const url = new URL(req.url ?? '/', 'http://fake')
  if (url.pathname.startsWith('/_fake/')) return sideApi(deps, req.method ?? 'GET', url, body, res)
  const count = answered.get(deps) ?? { requests: 0 }
  answered.set(deps, count)
  count.requests++

  const requestId = randomUUID()
  const scope = parseAuthorization(header(req, 'authorization'))
  const isJson = header(req, 'x-amz-target') !== undefined
  const serviceName = scope?.service as ServiceName | undefined
  const spec = serviceName !== undefined ? SERVICES[serviceName] : undefined
  if (!scope || !spec || !serviceName) {
    const err = scope
      ? new AwsError(isJson ? 'UnknownServiceException' : 'InvalidAction', `The simulated AWS organisation has no service ${scope.service}`)
      : new AwsError(isJson ? 'MissingAuthenticationTokenException' : 'MissingAuthenticationToken', 'Request is missing Authentication Token', 403)
    return send(res, isJson ? 'json' : 'ec2', err, requestId)
  }

  let action: string
  let params: Params = new Map()
  let input: Record<string, unknown> = {}
  if (spec.protocol === 'json') {
    const targetHeader = header(req, 'x-amz-target') ?? ''
    if (!spec.targetPrefix || !targetHeader.startsWith(spec.targetPrefix)) {
      return sendError(res, spec, new AwsError('UnknownOperationException', `Unknown operation ${targetHeader}`), requestId)
    }
    action = targetHeader.slice(spec.targetPrefix.length)
    try {
      const parsed: unknown = body.length > 0 ? JSON.parse(body) : {}
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object')
      input = parsed as Record<string, unknown>
    } catch {
      return sendError(res, spec, new AwsError('SerializationException', 'Request body is not a JSON object'), requestId)
    }
  } else {
    params = parseForm(body)
    action = params.get('Action') ?? ''
    if (action === '') return sendError(res, spec, new AwsError('MissingAction', 'The request must contain the parameter Action'), requestId)
  }

  const { world } = deps.fake
  world.catchUp()
  const now = deps.clock.now()
  const auth = deps.fake.credentials.authenticate(scope.accessKeyId, header(req, 'x-amz-security-token'), now)
  if (!auth.ok) return sendError(res, spec, authError(serviceName, auth.reason), requestId)
  const caller: Principal = auth.principal

  const request: RequestInfo = {
    service: serviceName,
    action,
    accountId: serviceName === 'sts' && action === 'AssumeRole' ? (roleAccount(params) ?? caller.accountId) : caller.accountId,
    region: scope.region,
    unfilteredDescribe: serviceName === 'ec2' && isUnfilteredDescribe(action, params),
  }
  const faults = deps.fake.faults
  const delay = faults.latencyFor(request)
  if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay))
  const injected = faults.check(request)
  if (injected) return sendError(res, spec, injected, requestId)

  const call: Call = { fake: deps.fake, caller, region: scope.region, action, requestId, now, request }
  try {
    if (serviceName === 'ec2') return sendXml(res, handleEc2(call, params), requestId)
    if (serviceName === 'sts') return sendXml(res, handleSts(call, params), requestId)
    const result = serviceName === 'organizations' ? handleOrganizations(call, input) : handleConfig(call, input)
    return sendJson(res, 200, JSON.stringify(result), requestId)
  } catch (err) {
    if (err instanceof AwsError) return sendError(res, spec, err, requestId)
    throw err
  }
}

function authError(service: ServiceName, reason: 'unknown' | 'expired' | 'token-mismatch'): AwsError {
  const json = service === 'organizations' || service === 'config'
  if (reason === 'expired') return new AwsError(json ? 'ExpiredTokenException' : 'ExpiredToken', 'The security token included in the request is expired')
  if (service === 'ec2') return new AwsError('AuthFailure', 'AWS was not able to validate the provided access credentials', 401)
  if (service === 'sts') return new AwsError('InvalidClientTokenId', 'The security token included in the request is invalid.', 403)
  return new AwsError('UnrecognizedClientException', 'The security token included in the request is invalid.', 400)
}

function sendError(res: ServerResponse, spec: ServiceSpec, err: AwsError, requestId: string): void {
  send(res, spec.protocol, err, requestId, spec.messageKey)
}

function send(res: ServerResponse, protocol: Protocol, err: AwsError, requestId: string, messageKey: 'message' | 'Message' = 'message'): void {
  if (protocol === 'json') {
    return sendJson(res, err.status, jsonErrorBody(err, messageKey), requestId, { 'x-amzn-ErrorType': err.code })
  }
  const body = protocol === 'ec2' ? ec2ErrorBody(err, requestId) : queryErrorBody(err, requestId, STS_NAMESPACE)
  res.writeHead(err.status, { 'content-type': 'text/xml;charset=UTF-8', 'x-amzn-RequestId': requestId })
  res.end(body)
}

function sendXml(res: ServerResponse, body: string, requestId: string): void {
  res.writeHead(200, { 'content-type': 'text/xml;charset=UTF-8', 'x-amzn-RequestId': requestId })
  res.end(body)
}

function sendJson(res: ServerResponse, status: number, body: string, requestId: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-RequestId': requestId, ...extra })
  res.end(body)
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name]
  return Array.isArray(v) ? v[0] : v
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > MAX_BODY) {
        reject(new Error('request body too large'))
        req.destroy()
        return
      }
      chunks.push(chunk)
    })
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    req.on('error', reject)
  })
}

/**
 * Test-only endpoints (JSON):
 *   GET  /_fake/clock                          → { now, mode }
 *   POST /_fake/advance?ms=N  (or {"ms":N})    → { now }
 *   GET  /_fake/ledger?ip=&at=&open=&eniId=&accountId=&region=  → { entries }
 *   GET  /_fake/config?resourceId=&accountId=&region=           → { changes } (change and capture times)
 *   GET  /_fake/summary                        → world counts, and `awsRequests`: AWS requests answered so far
 *   GET  /_fake/faults | POST /_fake/faults (a FaultRule) | DELETE /_fake/faults[?id=]
 *   GET  /_fake/config-recorders | POST /_fake/config-recorders ({"mode", "accountId"?, "region"?})
 */
function sideApi(deps: ServerDeps, method: string, url: URL, body: string, res: ServerResponse): void {
  const { world, faults } = deps.fake
  const reply = (status: number, value: unknown): void => {
    res.writeHead(status, { 'content-type': 'application/json' })
    res.end(JSON.stringify(value))
  }
  const q = url.searchParams
  const jsonBody = (): Record<string, unknown> => {
    if (body.length === 0) return {}
    const v: unknown = JSON.parse(body)
    return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {}
  }
  try {
    const route = `${method} ${url.pathname}`
    switch (route) {
      case 'GET /_fake/clock':
        world.catchUp()
        return reply(200, { now: deps.clock.now(), mode: deps.clock.mode })
      case 'POST /_fake/advance': {
        const ms = Number(q.get('ms') ?? jsonBody().ms)
        if (!Number.isFinite(ms) || ms < 0) return reply(400, { error: 'ms must be a number >= 0' })
        deps.clock.advance(ms)
        world.catchUp()
        return reply(200, { now: deps.clock.now() })
      }
      case 'GET /_fake/ledger': {
        const ip = q.get('ip')
        const atText = q.get('at')
        const at = atText === null ? undefined : parseTime(atText)
        if (at === null) return reply(400, { error: 'at must be epoch ms or an ISO-8601 time' })
        let entries = ip ? (at === undefined ? world.ledger.history(ip) : world.ledger.at(ip, at)) : [...world.ledger.entries()]
        if (!ip && at !== undefined) entries = entries.filter((e) => e.start <= at && (e.end === undefined || at < e.end))
        if (q.get('open') === 'true') entries = entries.filter((e) => e.end === undefined)
        for (const key of ['eniId', 'accountId', 'region', 'scope'] as const) {
          const want = q.get(key)
          if (want !== null) entries = entries.filter((e) => e[key] === want)
        }
        return reply(200, { entries })
      }
      case 'GET /_fake/config': {
        const resourceId = q.get('resourceId')
        if (!resourceId) return reply(400, { error: 'resourceId is required' })
        return reply(200, { changes: configTruth(world, resourceId) })
      }
      case 'GET /_fake/summary':
        world.catchUp()
        return reply(200, { now: deps.clock.now(), ...world.stats(), awsRequests: answered.get(deps)?.requests ?? 0 })
      case 'GET /_fake/faults':
        return reply(200, { faults: faults.list() })
      case 'POST /_fake/faults':
        return reply(200, { id: faults.add(jsonBody() as unknown as FaultRule) })
      case 'GET /_fake/config-recorders':
        return reply(200, { recorders: world.configRecorders.list() })
      case 'POST /_fake/config-recorders': {
        const b = jsonBody()
        world.catchUp()
        world.configRecorders.set(b.mode as ConfigRecorderMode, {
          ...(typeof b.accountId === 'string' ? { accountId: b.accountId } : {}),
          ...(typeof b.region === 'string' ? { region: b.region } : {}),
        })
        return reply(200, { recorders: world.configRecorders.list() })
      }
      case 'DELETE /_fake/faults': {
        const id = q.get('id')
        if (id) return reply(faults.remove(id) ? 200 : 404, { removed: id })
        faults.clear()
        return reply(200, { cleared: true })
      }
    }
    return reply(404, { error: `no side endpoint ${route}` })
  } catch (err) {
    return reply(400, { error: err instanceof Error ? err.message : String(err) })
  }
}

function parseTime(text: string): number | null {
  if (/^\d+$/.test(text)) return Number(text)
  const t = Date.parse(text)
  return Number.isNaN(t) ? null : t
}
