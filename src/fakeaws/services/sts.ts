// STS (query protocol): AssumeRole, which issues the credentials that carry an account, and
// GetCallerIdentity. AssumeRole honours each account's ExternalId and the role's 1-hour maximum session.
import { AwsError } from '../../protocol/errors.ts'
import type { Params } from '../../protocol/params.ts'
import { integerParam } from '../../protocol/params.ts'
import { el, isoTime, wrap } from '../../protocol/xml.ts'
import type { Call } from './call.ts'

export const STS_NAMESPACE = 'https://sts.amazonaws.com/doc/2011-06-15/'

/** The account an AssumeRole request acts on (for fault matching), or undefined if the ARN is not a role. */
export function roleAccount(params: Params): string | undefined {
  return /^arn:aws:iam::(\d{12}):role\/.+$/.exec(params.get('RoleArn') ?? '')?.[1]
}

export function handleSts(call: Call, params: Params): string {
  switch (call.action) {
    case 'AssumeRole':
      return assumeRole(call, params)
    case 'GetCallerIdentity':
      return stsResponse(
        call,
        el('Arn', call.caller.arn) + el('UserId', call.caller.userId) + el('Account', call.caller.accountId),
      )
  }
  throw new AwsError('InvalidAction', `Could not find operation ${call.action} for version 2011-06-15`)
}

function stsResponse(call: Call, result: string): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<${call.action}Response xmlns="${STS_NAMESPACE}">` +
    wrap(`${call.action}Result`, result) +
    wrap('ResponseMetadata', el('RequestId', call.requestId)) +
    `</${call.action}Response>`
  )
}

function assumeRole(call: Call, params: Params): string {
  const roleArn = params.get('RoleArn') ?? ''
  const sessionName = params.get('RoleSessionName') ?? ''
  if (roleArn.length < 20) {
    throw new AwsError('ValidationError', `1 validation error detected: Value '${roleArn}' at 'roleArn' failed to satisfy constraint: Member must have length greater than or equal to 20`)
  }
  if (!/^[\w+=,.@-]{2,64}$/.test(sessionName)) {
    throw new AwsError('ValidationError', `1 validation error detected: Value '${sessionName}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*`)
  }
  const duration = integerParam(params, 'DurationSeconds') ?? 3600
  if (duration < 900) {
    throw new AwsError('ValidationError', `1 validation error detected: Value '${duration}' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900`)
  }
  if (duration > 3600) {
    throw new AwsError('ValidationError', 'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.')
  }
  const denied = new AwsError('AccessDenied', `User: ${call.caller.arn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`, 403)
  const m = /^arn:aws:iam::(\d{12}):role\/(?:.*\/)?([\w+=,.@-]+)$/.exec(roleArn)
  if (!m) throw new AwsError('ValidationError', `${roleArn} is invalid`)
  const [, accountId = '', roleName = ''] = m
  const account = call.fake.world.account(accountId)
  const roles = call.fake.roles
  if (!account || account.state !== 'ACTIVE' || roleName !== roles.roleName) throw denied
  const required = roles.externalIdFor(accountId)
  if (required !== undefined && params.get('ExternalId') !== required) throw denied
  const expiration = call.now + duration * 1000
  const issued = call.fake.credentials.issue(accountId, roleName, sessionName, expiration)
  return stsResponse(
    call,
    wrap(
      'Credentials',
      el('AccessKeyId', issued.accessKeyId) +
        el('SecretAccessKey', issued.secretAccessKey) +
        el('SessionToken', issued.sessionToken) +
        el('Expiration', isoTime(expiration)),
    ) +
      wrap('AssumedRoleUser', el('AssumedRoleId', issued.userId) + el('Arn', issued.arn)) +
      el('PackedPolicySize', 6),
  )
}
