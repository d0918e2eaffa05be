// Organizations (JSON 1.1): ListAccounts, answerable only from the management account, 20 per page at most.
import { AwsError } from '../../protocol/errors.ts'
import { queryHash } from '../../protocol/pagination.ts'
import type { Call } from './call.ts'
import { beginPage } from './call.ts'

export function handleOrganizations(call: Call, input: Record<string, unknown>): unknown {
  if (call.action !== 'ListAccounts') {
    throw new AwsError('UnknownOperationException', `The simulated AWS organisation does not implement ${call.action}`)
  }
  const world = call.fake.world
  const management = world.managementAccount
  if (call.caller.accountId !== management.id) {
    throw new AwsError('AccessDeniedException', "You don't have permissions to access this resource.")
  }
  const max = input.MaxResults
  if (max !== undefined && (typeof max !== 'number' || !Number.isInteger(max) || max < 1 || max > 20)) {
    throw new AwsError('InvalidInputException', 'You provided a value that does not match the required pattern: MaxResults must be between 1 and 20.', 400, {
      Reason: typeof max === 'number' && max > 20 ? 'MAX_VALUE_EXCEEDED' : 'MIN_VALUE_EXCEEDED',
    })
  }
  const token = typeof input.NextToken === 'string' ? input.NextToken : undefined
  const paging = beginPage(call, token, world.organizationId, queryHash(Object.entries(input), ['NextToken', 'MaxResults']), (message) =>
    new AwsError('InvalidInputException', message, 400, { Reason: 'INVALID_NEXT_TOKEN' }),
  )
  // Positions are 1-based account indexes, so "after 0" is the start.
  const limit = typeof max === 'number' ? max : 20
  const rest = world.accounts.slice(paging.after)
  const page = rest.slice(0, limit)
  return {
    Accounts: page.map((a) => ({
      Id: a.id,
      Arn: `arn:aws:organizations::${management.id}:account/${world.organizationId}/${a.id}`,
      Email: a.email,
      Name: a.name,
      // Status is the retiring field; State replaces it. Both are sent, as AWS does during the transition.
      Status: a.state,
      State: a.state,
      JoinedMethod: a.joinedMethod,
      JoinedTimestamp: a.joinedAt / 1000,
    })),
    ...(rest.length > limit ? { NextToken: paging.next(paging.after + limit) } : {}),
  }
}
