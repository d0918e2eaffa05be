// /ec2/: EC2's Query API over the recorded descriptions, so that a client with
// AWS_ENDPOINT_URL_EC2 (or an SDK's `endpoint`) set here reads instances, interfaces and addresses
// without calling EC2 and without being throttled. Requests are form-encoded POSTs or GETs; answers and
// errors are EC2's XML (src/api/ec2/). The region is the one the client signed for; the accounts are
// the ones the caller may see. Errors never become problems: an EC2 client reads only EC2's shape.
import { randomUUID } from 'node:crypto'
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { AwsError, ec2ErrorBody } from '../../protocol/errors.ts'
import { parseForm } from '../../protocol/params.ts'
import type { DescriptionSource } from '../../model/description.ts'
import { listAccounts } from '../described.ts'
import { noteAudit } from '../plugins/audit.ts'
import { hashSignedBody } from '../plugins/auth.ts'
import { TAG } from '../plugins/swagger.ts'
import { answerEc2, kindOfAction, parseEc2Request } from '../ec2/actions.ts'
import { AnswerMemo, answerKey } from '../ec2/answer-memo.ts'
import { ASKED_MAX_LENGTH, askedOf } from '../ec2/asked.ts'
import { credentialScope } from '../ec2/scope.ts'

export interface Ec2RouteOptions {
  readonly source: DescriptionSource
  /** The account ids a request may see (a key limited to accounts sees only those). */
  readonly accounts: (request: FastifyRequest) => readonly string[] | Promise<readonly string[]>
  /** Bytes of whole answers memoised in process (ec2/answer-memo.ts); 0: none. */
  readonly answerMemoBytes?: number
}

/** Sent with every answer: when the oldest complete poll it comes from ended. */
export const AS_OF_HEADER = 'x-whohad-as-of'

const FORM = 'application/x-www-form-urlencoded'

function requestParams(request: FastifyRequest): Map<string, string> {
  const url = request.raw.url ?? ''
  const query = url.includes('?') ? url.slice(url.indexOf('?') + 1) : ''
  const params = parseForm(query)
  if (typeof request.body === 'string') for (const [k, v] of parseForm(request.body)) params.set(k, v)
  return params
}

function header(request: FastifyRequest, name: string): string | undefined {
  const v = request.headers[name]
  return Array.isArray(v) ? v[0] : v
}

async function handle(options: Ec2RouteOptions, memo: AnswerMemo, request: FastifyRequest, reply: FastifyReply): Promise<string | Buffer> {
  const params = requestParams(request)
  // The audit line: what was asked, noted before EC2's checks (a refused request is on record too).
  const asked = askedOf(params)
  const action = params.get('Action')?.slice(0, ASKED_MAX_LENGTH)
  noteAudit(request, asked, undefined, undefined, action)
  // The auth plugin has verified the signature (where keys are configured) and set the key's accounts;
  // the credential scope names the region the client means.
  const scope = credentialScope(header(request, 'authorization'), params.get('X-Amz-Credential'))
  if (!scope) throw new AwsError('AuthFailure', 'AWS was not able to validate the provided access credentials', 401)
  // An action /ec2/ does not answer is refused by the full check, before anything is read.
  const kind = kindOfAction(params.get('Action')) ?? parseEc2Request(params).kind
  const accounts = [...(await options.accounts(request))].sort()
  const { listings, asOfs } = await listAccounts(options.source, kind, accounts, scope.region)
  // The same request over the same complete polls of the same accounts: the same answer. A memoised
  // answer passed EC2's checks when it was built, and the checks depend on the parameters alone, so a
  // hit skips them (and the filters' compilation).
  const key = answerKey(params, scope.region, accounts, asOfs)
  const requestId = reply.getHeader('x-amzn-requestid') as string
  const { body, results } = memo.get(key, requestId) ?? memo.answer(key, requestId, (id) => answerEc2(parseEc2Request(params), listings, id))
  noteAudit(request, asked, results, undefined, action)
  const known = asOfs.filter((a) => a !== undefined)
  if (known.length > 0) void reply.header(AS_OF_HEADER, new Date(Math.min(...known)).toISOString())
  return body
}

export const ec2Routes: FastifyPluginAsync<Ec2RouteOptions> = async (app, options) => {
  // EC2 clients post their parameters form-encoded; the body is read here, as text (this plugin's own parser).
  // A signed body is hashed here, whole, rather than by a stream in front of the parser (plugins/auth.ts).
  app.addContentTypeParser(FORM, { parseAs: 'buffer' }, (request, body, done) => {
    hashSignedBody(request, body as Buffer)
    done(null, (body as Buffer).toString('utf8'))
  })
  const memo = new AnswerMemo(options.answerMemoBytes)
  const route = async (request: FastifyRequest, reply: FastifyReply) => {
    const requestId = randomUUID()
    void reply.header('x-amzn-requestid', requestId).header('content-type', 'text/xml;charset=UTF-8')
    try {
      return await handle(options, memo, request, reply)
    } catch (err) {
      const error = err instanceof AwsError ? err : new AwsError('InternalError', 'An internal error has occurred', 500)
      if (!(err instanceof AwsError)) request.log.error({ err }, '/ec2/ failed')
      return reply.code(error.status).send(ec2ErrorBody(error, requestId))
    }
  }
  // Documented once, under /ec2/ (the endpoint SDKs are given); /ec2 answers the same.
  for (const url of ['/ec2', '/ec2/']) {
    for (const method of ['GET', 'POST'] as const) {
      app.route({
        method,
        url,
        handler: route,
        ...(method === 'POST' ? { config: { hashesBody: [FORM] } } : {}),
        schema: url === '/ec2' ? { hide: true } : { tags: [TAG.current], summary: `EC2's Query API over what the collector recorded (${method})`, description: EC2_DOC },
      })
    }
  }
}

const EC2_DOC =
  'DescribeInstances, DescribeNetworkInterfaces, DescribeAddresses and DescribeInstanceStatus, answered in EC2\'s own XML from the recorded descriptions, ' +
  'so that an AWS SDK or the AWS CLI reads them by pointing AWS_ENDPOINT_URL_EC2 here (signed with a whohad signing key, or a Bearer key). Errors come in EC2\'s form.\n\n' +
  'Example: `aws ec2 describe-instances --endpoint-url http://whohad:8080/ec2/ --region eu-west-1`, or `POST /ec2/` with `Action=DescribeInstances&Version=2016-11-15`'
