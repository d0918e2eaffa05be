// SigV4 verification against the real SDK's signer (@smithy/signature-v4, what every AWS SDK for
// JavaScript signs with): many requests signed by it must verify, and each part of a signed request
// changed afterwards must not; nor an expired date, an unknown key or a wrong secret. Plus AWS's own
// test-suite example (get-vanilla), whose signature AWS publishes.
import { SignatureV4 } from '@smithy/signature-v4'
import fc from 'fast-check'
import t from 'tap'
import { Sha256 } from '../../support/sdk-sha256.ts'
import { canonicalQuery, type SignedRequest, sha256Hex, uriEncode, verifySigV4 } from '../../src/api/sigv4.ts'

const SECRETS: Record<string, string> = { AKIDWHOHADSERVICE01: 'service-secret/+=abc', AKIDWHOHADABUSEDESK: 'another secret entirely' }
const secretOf = (id: string) => SECRETS[id]

interface Generated {
  method: string
  segments: string[]
  trailingSlash: boolean
  query: Record<string, string | string[]>
  headers: Record<string, string>
  body: string
  accessKeyId: string
  region: string
  service: string
  signedAt: number
  skew: number
}

const text = fc.oneof(fc.string({ maxLength: 12 }), fc.string({ unit: 'grapheme', maxLength: 6 }), fc.constantFrom('', ' ', 'a b', '+', '%', '~', '*', "'", '=&?', '..', '.'))
const headerName = fc.stringMatching(/^[a-z][a-z0-9-]{0,12}$/).filter((n) => !['host', 'authorization', 'x-amz-date', 'x-amz-content-sha256', 'x-amz-security-token', 'content-length', 'expect', 'user-agent', 'x-amzn-trace-id'].includes(n))
const generated: fc.Arbitrary<Generated> = fc.record({
  method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'PATCH'),
  // Normalised paths, as SDKs send them (a path with . or .. segments is refused: see sigv4.ts).
  segments: fc.array(fc.oneof(fc.stringMatching(/^[A-Za-z0-9._~-]{1,10}$/), text).filter((s) => s.length > 0 && s !== '.' && s !== '..'), { maxLength: 4 }),
  trailingSlash: fc.boolean(),
  query: fc.dictionary(text.filter((k) => k.length > 0 && k.toLowerCase() !== 'x-amz-signature' && k !== '__proto__'), fc.oneof(text, fc.array(text, { minLength: 1, maxLength: 3 })), { maxKeys: 5 }),
  headers: fc.dictionary(headerName, fc.stringMatching(/^[\x21-\x7e]([\x20-\x7e]{0,20}[\x21-\x7e])?$/), { maxKeys: 4 }),
  body: fc.oneof(fc.constant(''), fc.string({ maxLength: 60 }), fc.constant('Action=DescribeInstances&Version=2016-11-15&Filter.1.Name=private-ip-address&Filter.1.Value.1=10.0.0.1')),
  accessKeyId: fc.constantFrom(...Object.keys(SECRETS)),
  region: fc.constantFrom('us-east-1', 'eu-west-1', 'ap-southeast-2'),
  service: fc.constantFrom('ec2', 'whohad', 'execute-api'),
  signedAt: fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2030, 0, 1) }).map((ms) => ms - (ms % 1000)),
  skew: fc.integer({ min: -14 * 60_000, max: 14 * 60_000 }),
})

/** The path as an SDK sends it: each segment already percent-encoded by the serialiser. */
const pathOf = (g: Generated) => `/${g.segments.map(uriEncode).join('/')}${g.trailingSlash && g.segments.length > 0 ? '/' : ''}`

/** The query string as the SDK's HTTP handler builds it from the request's query (smithy's buildQueryString). */
function queryString(query: Record<string, string | string[]>): string {
  const parts: string[] = []
  for (const [k, v] of Object.entries(query)) for (const value of Array.isArray(v) ? v : [v]) parts.push(`${uriEncode(k)}=${uriEncode(value)}`)
  return parts.join('&')
}

async function sign(g: Generated, secret = SECRETS[g.accessKeyId]!): Promise<SignedRequest> {
  const signer = new SignatureV4({ credentials: { accessKeyId: g.accessKeyId, secretAccessKey: secret }, region: g.region, service: g.service, sha256: Sha256, uriEscapePath: true, applyChecksum: true })
  const signed = await signer.sign(
    { method: g.method, protocol: 'http:', hostname: '127.0.0.1', port: 8080, path: pathOf(g), query: g.query, headers: { host: '127.0.0.1:8080', ...g.headers }, body: g.body },
    { signingDate: new Date(g.signedAt) },
  )
  const headers: Record<string, string> = {}
  for (const [k, v] of Object.entries(signed.headers)) headers[k.toLowerCase()] = v
  const qs = queryString(g.query)
  return { method: g.method, url: qs ? `${pathOf(g)}?${qs}` : pathOf(g), headers, bodySha256: sha256Hex(g.body) }
}

t.test("every request the SDK's signer signs verifies, with its key, region and service", async () => {
  await fc.assert(
    fc.asyncProperty(generated, async (g) => {
      const req = await sign(g)
      const v = verifySigV4(req, secretOf, g.signedAt + g.skew)
      if (!v.ok) throw new Error(`${v.reason}: ${JSON.stringify(req)}`)
      return v.accessKeyId === g.accessKeyId && v.region === g.region && v.service === g.service
    }),
    { numRuns: 400 },
  )
})

/** One part of a signed request changed after signing. */
const tampers: Record<string, (r: SignedRequest, g: Generated) => SignedRequest | undefined> = {
  method: (r) => ({ ...r, method: r.method === 'GET' ? 'POST' : 'GET' }),
  path: (r) => ({ ...r, url: `/x${r.url}` }),
  'query added': (r) => ({ ...r, url: `${r.url}${r.url.includes('?') ? '&' : '?'}Action=RunInstances` }),
  'query value': (r, g) => {
    const k = Object.keys(g.query)[0]
    return k === undefined ? undefined : { ...r, url: `${pathOf(g)}?${queryString({ ...g.query, [k]: `${[g.query[k]].flat()[0]}x` })}` }
  },
  body: (r, g) => ({ ...r, bodySha256: sha256Hex(`${g.body}x`) }),
  'signed header': (r, g) => {
    const k = Object.keys(g.headers)[0]
    return k === undefined ? undefined : { ...r, headers: { ...r.headers, [k]: `${g.headers[k]}x` } }
  },
  'host header': (r) => ({ ...r, headers: { ...r.headers, host: 'evil.example:8080' } }),
  'signed header removed': (r, g) => {
    const k = Object.keys(g.headers)[0]
    if (k === undefined) return undefined
    const { [k]: _, ...rest } = r.headers
    return { ...r, headers: rest }
  },
  'x-amz-date': (r, g) => ({ ...r, headers: { ...r.headers, 'x-amz-date': amzDate(g.signedAt + 1000) } }),
  'credential region': (r, g) => ({ ...r, headers: { ...r.headers, authorization: String(r.headers.authorization).replace(`/${g.region}/`, '/us-west-2/') } }),
  'credential service': (r, g) => ({ ...r, headers: { ...r.headers, authorization: String(r.headers.authorization).replace(`/${g.service}/`, '/s3/') } }),
  'signed headers list': (r) => ({ ...r, headers: { ...r.headers, authorization: String(r.headers.authorization).replace(/SignedHeaders=[^;,]+;/, 'SignedHeaders=') } }),
  signature: (r) => ({ ...r, headers: { ...r.headers, authorization: String(r.headers.authorization).replace(/Signature=(.)/, (_, c: string) => `Signature=${c === '0' ? '1' : '0'}`) } }),
  'other known key named': (r, g) => ({ ...r, headers: { ...r.headers, authorization: String(r.headers.authorization).replace(g.accessKeyId, Object.keys(SECRETS).find((k) => k !== g.accessKeyId)!) } }),
  'declared payload hash': (r, g) => ({ ...r, headers: { ...r.headers, 'x-amz-content-sha256': sha256Hex(`${g.body}x`) } }),
}

function amzDate(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '')
}

t.test('each part of a signed request changed after signing fails', async (t) => {
  for (const [part, tamper] of Object.entries(tampers)) {
    let tried = 0
    await fc.assert(
      fc.asyncProperty(generated, async (g) => {
        const changed = tamper(await sign(g), g)
        if (!changed) return true
        tried++
        return !verifySigV4(changed, secretOf, g.signedAt).ok
      }),
      { numRuns: 60 },
    )
    t.ok(tried > 0, `${part}: every changed request refused (${tried} tried)`)
  }
})

t.test('an expired or future date, an unknown key and a wrong secret fail, each with its reason and no secret', async (t) => {
  const g = fc.sample(generated, { numRuns: 1, seed: 7 })[0]!
  const req = await sign(g)
  const expired = verifySigV4(req, secretOf, g.signedAt + 15 * 60_000 + 1000)
  t.match(expired, { ok: false, failure: 'expired', reason: /15 minutes/ })
  t.match(verifySigV4(req, secretOf, g.signedAt - 16 * 60_000), { ok: false, failure: 'expired', reason: /15 minutes/ })
  t.ok(verifySigV4(req, secretOf, g.signedAt + 15 * 60_000).ok, 'exactly 15 minutes late still verifies')
  t.match(verifySigV4(req, () => undefined, g.signedAt), { ok: false, failure: 'unknown-key', reason: /not known/ })
  const wrong = verifySigV4(await sign(g, 'not the secret'), secretOf, g.signedAt)
  t.match(wrong, { ok: false, failure: 'mismatch', reason: /signature does not match/ })
  for (const v of [expired, wrong]) for (const secret of Object.values(SECRETS)) t.notOk(JSON.stringify(v).includes(secret))
  t.match(verifySigV4({ ...req, headers: { ...req.headers, authorization: 'Bearer x' } }, secretOf, g.signedAt), { ok: false, failure: 'incomplete', reason: /AWS4-HMAC-SHA256/ })
  t.match(verifySigV4({ ...req, headers: { ...req.headers, 'x-amz-date': undefined } }, secretOf, g.signedAt), { ok: false, failure: 'incomplete', reason: /x-amz-date/ })
})

t.test("AWS's test suite: get-vanilla and the canonical query of get-vanilla-query-order-key-case", async (t) => {
  // AWS's published example: GET / on example.amazonaws.com, 2015-08-30T12:36:00Z, AKIDEXAMPLE.
  const req: SignedRequest = {
    method: 'GET',
    url: '/',
    headers: {
      host: 'example.amazonaws.com',
      'x-amz-date': '20150830T123600Z',
      authorization: 'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
    },
    bodySha256: sha256Hex(''),
  }
  const secret = (id: string) => (id === 'AKIDEXAMPLE' ? 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' : undefined)
  t.match(verifySigV4(req, secret, Date.UTC(2015, 7, 30, 12, 36)), { ok: true, accessKeyId: 'AKIDEXAMPLE', region: 'us-east-1', service: 'service' })
  t.equal(canonicalQuery('Param2=value2&Param1=value1'), 'Param1=value1&Param2=value2')
  t.equal(canonicalQuery('Param1=value2&Param1=Value1'), 'Param1=Value1&Param1=value2')
  t.equal(canonicalQuery('a=%7e%20b&b'), 'a=~%20b&b=')
  t.equal(canonicalQuery('a=%zz'), undefined, 'a malformed escape has no canonical form')
  t.match(verifySigV4({ ...req, url: '/v1/x/../' }, secret, Date.UTC(2015, 7, 30, 12, 36)), { ok: false, reason: /normalised/ }, 'a path that normalises to the signed one is refused')
})
