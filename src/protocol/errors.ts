// Errors as each AWS protocol writes them. Handlers throw AwsError; the server renders it in the shape
// of the service that was called, so the SDK classifies it (retryable, throttling, …) as it would AWS's.
import { el, escapeXml, XML_DECLARATION } from './xml.ts'

export class AwsError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
    /** Extra members of the error shape (e.g. Organizations' `Reason`). */
    readonly fields: Readonly<Record<string, string>> = {},
  ) {
    super(message)
    this.name = 'AwsError'
  }
}

/** EC2: `<Response><Errors><Error><Code>…</Code><Message>…</Message></Error></Errors><RequestID>…</RequestID></Response>`. */
export function ec2ErrorBody(err: AwsError, requestId: string): string {
  return (
    `${XML_DECLARATION}<Response><Errors><Error>${el('Code', err.code)}${el('Message', err.message)}</Error></Errors>` +
    `${el('RequestID', requestId)}</Response>`
  )
}

/** awsQuery services (STS): `<ErrorResponse><Error><Type>Sender</Type><Code>…` */
export function queryErrorBody(err: AwsError, requestId: string, namespace: string): string {
  const type = err.status >= 500 ? 'Receiver' : 'Sender'
  return (
    `${XML_DECLARATION}<ErrorResponse xmlns="${escapeXml(namespace)}"><Error>${el('Type', type)}${el('Code', err.code)}` +
    `${el('Message', err.message)}</Error>${el('RequestId', requestId)}</ErrorResponse>`
  )
}

/** awsJson1.1: `{"__type": code, "message": …}`; Organizations spells it `Message`. */
export function jsonErrorBody(err: AwsError, messageKey: 'message' | 'Message'): string {
  return JSON.stringify({ __type: err.code, [messageKey]: err.message, ...err.fields })
}
