// How /ec2/ says no when whohad's keys refuse a request: in the error codes and HTTP statuses EC2 itself
// uses ("Error codes for the Amazon EC2 API" and AWS's common errors), because an EC2 client reads only
// EC2's error shape: the SDK names the error after the code (`err.name === 'AuthFailure'`), the CLI
// prints it. The same refusal on /v1 is a problem (problem.ts). Pure.
import type { SigV4Failure } from '../sigv4.ts'

/** Why a request was refused: a signature's failure, or no credentials, an unknown Bearer key, a missing scope. */
export type RefusalKind = SigV4Failure | 'missing' | 'unknown-bearer' | 'scope'

export const EC2_REFUSALS: Readonly<Record<RefusalKind, { readonly code: string; readonly status: number }>> = {
  // Keys are configured and the request carries no credentials.
  missing: { code: 'MissingAuthenticationToken', status: 403 },
  // Not a complete SigV4 signature (a malformed header, no x-amz-date, host not signed, a path not normalised).
  incomplete: { code: 'IncompleteSignature', status: 400 },
  // Signed more than 15 minutes from the server's clock.
  expired: { code: 'RequestExpired', status: 400 },
  // An access key id (or a Bearer key) whohad does not know: EC2 answers an unknown key with AuthFailure.
  'unknown-key': { code: 'AuthFailure', status: 401 },
  'unknown-bearer': { code: 'AuthFailure', status: 401 },
  // The signature is not the request's: a wrong secret, or a request changed after signing.
  mismatch: { code: 'SignatureDoesNotMatch', status: 403 },
  // A known key without the "lookup" scope: EC2's answer to a caller not allowed the action.
  scope: { code: 'UnauthorizedOperation', status: 403 },
}
