// Addresses as whohad speaks them: one canonical text per address, so that a store key, a cache key
// and a ledger entry written from different sources always agree.
import ipaddr from 'ipaddr.js'

export type IpVersion = 4 | 6

export interface Ip {
  /** Canonical text: dotted quad for IPv4 (IPv4-mapped IPv6 included), RFC 5952 lower-case for IPv6. */
  readonly text: string
  readonly version: IpVersion
}

export interface Cidr {
  /** Canonical text of the network: `10.0.0.0/16`, `2001:db8::/32` (host bits cleared). */
  readonly text: string
  readonly network: Ip
  readonly prefixLength: number
}

/** Bad input a person typed; the message says what was wrong and what would be right. */
export class InvalidIpError extends Error {
  override readonly name = 'InvalidIpError'
  constructor(readonly input: string, reason: string) {
    super(`${JSON.stringify(input)} is not an IP address: ${reason}`)
  }
}

export class InvalidCidrError extends Error {
  override readonly name = 'InvalidCidrError'
  constructor(readonly input: string, reason: string) {
    super(`${JSON.stringify(input)} is not a CIDR block: ${reason}`)
  }
}

const EXAMPLES = 'use a form like 203.0.113.7 or 2001:db8::7'

function parseAddress(input: string): ipaddr.IPv4 | ipaddr.IPv6 {
  if (typeof input !== 'string' || input.length === 0) throw new InvalidIpError(String(input), `it is empty; ${EXAMPLES}`)
  if (input.length > 64) throw new InvalidIpError(input.slice(0, 64), 'it is too long to be an address')
  if (input.trim() !== input) throw new InvalidIpError(input, 'it has surrounding spaces')
  if (input.includes('%')) {
    throw new InvalidIpError(input, 'zone ids (the part after %) name a local link, not an address whohad can look up')
  }
  if (input.includes(':')) {
    if (!ipaddr.IPv6.isValid(input)) throw new InvalidIpError(input, `not valid IPv6; ${EXAMPLES}`)
    const v6 = ipaddr.IPv6.parse(input)
    // An IPv4-mapped IPv6 address is the IPv4 address; keying it twice would split its history.
    return v6.isIPv4MappedAddress() ? v6.toIPv4Address() : v6
  }
  // ipaddr.js also accepts inet_aton forms (`127.1`, `0x7f.0.0.1`, octal `010.0.0.1`); each is a guess
  // about what the writer meant, so only the four-part decimal form passes.
  if (!ipaddr.IPv4.isValidFourPartDecimal(input)) {
    const reason = /^\d+(\.\d+){3}$/.test(input)
      ? 'each of the four parts must be 0-255 without leading zeros'
      : `IPv4 needs four decimal parts; ${EXAMPLES}`
    throw new InvalidIpError(input, reason)
  }
  return ipaddr.IPv4.parse(input)
}

function toIp(addr: ipaddr.IPv4 | ipaddr.IPv6): Ip {
  return { text: addr.toString(), version: addr.kind() === 'ipv4' ? 4 : 6 }
}

export function parseIp(input: string): Ip {
  // Nearly every address asked about is plain dotted decimal, already canonical: a batch parses
  // thousands, so that form skips ipaddr.js (whose answer it equals: test/model/ip.test.ts).
  if (typeof input === 'string' && dottedQuad(input) !== undefined) return { text: input, version: 4 }
  return toIp(parseAddress(input))
}

/**
 * The 32-bit value of strict dotted-decimal IPv4 text (four parts 0-255, no leading zeros, nothing
 * else), or undefined for any other text, valid or not.
 */
export function dottedQuad(text: string): number | undefined {
  const n = text.length
  if (n < 7 || n > 15) return undefined
  let value = 0
  let part = 0
  let digits = 0
  let parts = 0
  for (let i = 0; i <= n; i++) {
    const c = i < n ? text.charCodeAt(i) : 46 // a '.' after the last part closes it
    if (c >= 48 && c <= 57) {
      if (digits === 1 && part === 0) return undefined // a leading zero
      part = part * 10 + (c - 48)
      if (++digits > 3 || part > 255) return undefined
    } else if (c === 46) {
      if (digits === 0 || ++parts > 4) return undefined
      value = value * 256 + part
      part = 0
      digits = 0
    } else return undefined
  }
  return parts === 4 ? value : undefined
}

/** The canonical text of an address, or an InvalidIpError. */
export function normalizeIp(input: string): string {
  return parseIp(input).text
}

export function parseCidr(input: string): Cidr {
  if (typeof input !== 'string') throw new InvalidCidrError(String(input), 'it is not text')
  const slash = input.indexOf('/')
  if (slash < 0) throw new InvalidCidrError(input, 'it has no /prefix-length; use a form like 10.0.0.0/16')
  const addrText = input.slice(0, slash)
  const lenText = input.slice(slash + 1)
  let addr: ipaddr.IPv4 | ipaddr.IPv6
  try {
    addr = parseAddress(addrText)
  } catch (err) {
    throw new InvalidCidrError(input, (err as Error).message)
  }
  const max = addr.kind() === 'ipv4' ? 32 : 128
  if (!/^\d{1,3}$/.test(lenText) || Number(lenText) > max) {
    throw new InvalidCidrError(input, `the prefix length must be a whole number from 0 to ${max}`)
  }
  const prefixLength = Number(lenText)
  const network = networkOf(addr, prefixLength)
  return { text: `${network.toString()}/${prefixLength}`, network: toIp(network), prefixLength }
}

function networkOf(addr: ipaddr.IPv4 | ipaddr.IPv6, prefixLength: number): ipaddr.IPv4 | ipaddr.IPv6 {
  const bytes = addr.toByteArray()
  for (let i = 0; i < bytes.length; i++) {
    const keep = Math.max(0, Math.min(8, prefixLength - i * 8))
    bytes[i] = bytes[i]! & ((0xff << (8 - keep)) & 0xff)
  }
  return ipaddr.fromByteArray(bytes)
}

/** The block of the given length that contains `ip`, e.g. the /28 an EKS node may have been delegated. */
export function containingCidr(ip: Ip, prefixLength: number): Cidr {
  // Every lookup of a private IPv4 address asks for its delegated-prefix blocks: dotted decimal is
  // masked by arithmetic rather than through ipaddr.js (equal: test/model/ip.test.ts).
  const v4 = ip.version === 4 && Number.isInteger(prefixLength) && prefixLength >= 0 && prefixLength <= 32 ? dottedQuad(ip.text) : undefined
  if (v4 !== undefined) {
    const size = 2 ** (32 - prefixLength)
    const network = quadText(Math.floor(v4 / size) * size)
    return { text: `${network}/${prefixLength}`, network: { text: network, version: 4 }, prefixLength }
  }
  return parseCidr(`${ip.text}/${prefixLength}`)
}

/** Dotted decimal of a 32-bit value. */
function quadText(v: number): string {
  return `${Math.floor(v / 0x1000000)}.${Math.floor(v / 0x10000) & 255}.${Math.floor(v / 0x100) & 255}.${v & 255}`
}

export function cidrContains(cidr: Cidr, ip: Ip): boolean {
  if (cidr.network.version !== ip.version) return false
  return containingCidr(ip, cidr.prefixLength).text === cidr.text
}

/** Number of addresses in a block, as a bigint because IPv6 blocks overflow a double. */
export function cidrSize(cidr: Cidr): bigint {
  return 1n << BigInt((cidr.network.version === 4 ? 32 : 128) - cidr.prefixLength)
}

// RFC 1918 private, RFC 6598 shared (carrier-grade NAT) space, and IPv6 unique-local (fc00::/7).
const PRIVATE_RANGES = new Set(['private', 'carrierGradeNat', 'uniqueLocal'])

export function isPrivate(ip: Ip): boolean {
  const v4 = ip.version === 4 ? dottedQuad(ip.text) : undefined
  if (v4 !== undefined) return isPrivateV4(v4)
  return PRIVATE_RANGES.has(ipaddr.parse(ip.text).range())
}

/** ipaddr.js's `private` and `carrierGradeNat` ranges for IPv4, on the address's value (equal: tested). */
function isPrivateV4(v: number): boolean {
  const a = Math.floor(v / 0x1000000)
  const b = Math.floor(v / 0x10000) & 255
  return a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127)
}

export const GLOBAL_SCOPE = 'global'

/**
 * Private IPv4 is unique only inside its VPC (every VPC may use 10.0.0.0/16); every other address is
 * unique across the world. A ULA is private but still globally unique in practice (random prefixes),
 * and AWS assigns no overlapping IPv6, so it is `global` too.
 */
export function scopeFor(ip: Ip, vpcId: string | undefined): string {
  if (ip.version === 4 && isPrivate(ip)) {
    if (!vpcId) throw new Error(`private address ${ip.text} needs a VPC id for its scope`)
    return vpcId
  }
  return GLOBAL_SCOPE
}

/** Whether the address's scope is a VPC (so a lookup may find one holder per VPC). */
export function isVpcScoped(ip: Ip): boolean {
  return ip.version === 4 && isPrivate(ip)
}

/** Every address in a block, in order; the caller bounds the block's size first (see `cidrSize`). */
export function addressesIn(cidr: Cidr): Ip[] {
  const count = cidrSize(cidr)
  if (count > 65_536n) throw new InvalidCidrError(cidr.text, 'it holds more than 65,536 addresses')
  const base = ipaddr.parse(cidr.network.text).toByteArray()
  const out: Ip[] = []
  for (let n = 0; n < Number(count); n++) {
    const bytes = [...base]
    // Add n to the address, carrying from the last byte (n < 2^16 touches at most three bytes).
    let carry = n
    for (let i = bytes.length - 1; i >= 0 && carry > 0; i--) {
      const sum = bytes[i]! + (carry & 0xff)
      bytes[i] = sum & 0xff
      carry = (carry >> 8) + (sum >> 8)
    }
    out.push(toIp(ipaddr.fromByteArray(bytes)))
  }
  return out
}
