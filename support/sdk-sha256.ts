// The hash the AWS SDK's SigV4 signer (@smithy/signature-v4) is given, over node:crypto: what
// @smithy/hash-node does, which is not resolvable from the project's root. Tests sign with it.
import { createHash, createHmac } from 'node:crypto'

export class Sha256 {
  private readonly h
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.h = secret === undefined ? createHash('sha256') : createHmac('sha256', typeof secret === 'string' ? secret : Buffer.from(secret as ArrayBuffer))
  }
  update(data: string | Uint8Array) {
    this.h.update(data)
  }
  digest() {
    return Promise.resolve(new Uint8Array(this.h.digest()))
  }
}
