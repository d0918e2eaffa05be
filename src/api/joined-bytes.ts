// A batch's answer as UTF-8 bytes, written straight from its items' texts. Joining a thousand answers
// of some 800 characters into one string and encoding that costs about three times as much as writing
// each into one buffer: the join copies every item (flattening the pieces each was built from), and the
// encoding copies the whole again. Pure.

/**
 * The UTF-8 bytes of `head + parts.join(separator) + tail`, the same bytes as Buffer.from of that
 * string (test/api/joined-bytes.test.ts): each part's code units are encoded on their own, which is
 * the same wherever no surrogate pair straddles two parts (JSON texts, which are well-formed, never
 * end in half of one).
 */
export function joinedBytes(head: string, parts: readonly string[], separator: string, tail: string): Buffer {
  const sepBytes = Buffer.byteLength(separator)
  const tailBytes = Buffer.byteLength(tail)
  // Sized for ASCII, the common case (one byte a code unit); grown when a part may not fit.
  let chars = head.length + tail.length + separator.length * parts.length
  for (const part of parts) chars += part.length
  let buf = Buffer.allocUnsafe(Math.max(chars, 64))
  let at = buf.write(head, 0, 'utf8')
  // A part never takes more than three bytes a code unit; only when that much is not left is it measured.
  const ensure = (bytes: number) => {
    if (buf.length - at >= bytes) return
    const grown = Buffer.allocUnsafe(Math.max(buf.length * 2, at + bytes))
    buf.copy(grown, 0, 0, at)
    buf = grown
  }
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!
    if (buf.length - at < 3 * part.length + sepBytes + tailBytes) ensure(Buffer.byteLength(part) + sepBytes + tailBytes)
    if (i > 0) at += buf.write(separator, at, 'utf8')
    at += buf.write(part, at, 'utf8')
  }
  ensure(tailBytes)
  at += buf.write(tail, at, 'utf8')
  return buf.subarray(0, at)
}
