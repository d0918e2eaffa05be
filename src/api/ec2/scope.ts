// The SigV4 credential scope of a request (`Credential=AKID/20261202/eu-west-1/ec2/aws4_request`), from
// the Authorization header or a presigned URL's X-Amz-Credential: it names the key and the region the
// client means, and /ec2/ answers for that region, as EC2's regional endpoints do.

export interface CredentialScope {
  readonly accessKeyId: string
  readonly date: string
  readonly region: string
  readonly service: string
}

const SCOPE = /^([^/\s]+)\/(\d{8})\/([a-z0-9-]+)\/([a-z0-9-]+)\/aws4_request$/

export function parseCredential(credential: string): CredentialScope | undefined {
  const m = SCOPE.exec(credential)
  return m ? { accessKeyId: m[1]!, date: m[2]!, region: m[3]!, service: m[4]! } : undefined
}

/** The scope in `AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`, or undefined. */
export function credentialScope(authorization: string | undefined, presigned: string | undefined): CredentialScope | undefined {
  if (presigned !== undefined) return parseCredential(presigned)
  if (authorization === undefined || !authorization.startsWith('AWS4-HMAC-SHA256 ')) return undefined
  const m = /(?:^|[\s,])Credential=([^,\s]+)/.exec(authorization.slice('AWS4-HMAC-SHA256 '.length))
  return m ? parseCredential(m[1]!) : undefined
}
