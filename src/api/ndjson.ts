// Newline-delimited JSON, read as it arrives: bytes in, one line at a time out, never the whole body.
// A line longer than the limit is not kept either: it is reported (so that its answer keeps its place)
// and skipped up to its newline.
import { Transform, type TransformCallback } from 'node:stream'

export type Line =
  /** A line's text (without its newline or a trailing carriage return); `n` counts lines from 1. */
  | { readonly n: number; readonly text: string }
  /** A line over the limit: its text is dropped as it arrives. */
  | { readonly n: number; readonly tooLong: true }

const NEWLINE = 0x0a

/**
 * Splits a byte stream into lines (objects of `Line`). Blank lines are counted but not passed on: they
 * hold no lookup. Lines are cut at bytes, so a multi-byte character is never split by a chunk boundary.
 */
export function splitLines(maxLineBytes: number): Transform {
  let parts: Buffer[] = []
  let held = 0
  let overlong = false
  let n = 0
  const emit = (stream: Transform, bytes: Buffer | undefined) => {
    n++
    if (overlong) {
      stream.push({ n, tooLong: true })
      overlong = false
      return
    }
    const whole = bytes === undefined ? Buffer.concat(parts, held) : bytes
    const end = whole.length > 0 && whole[whole.length - 1] === 0x0d ? whole.length - 1 : whole.length
    const text = whole.toString('utf8', 0, end)
    if (text.trim().length > 0) stream.push({ n, text })
  }
  return new Transform({
    readableObjectMode: true,
    transform(chunk: Buffer, _encoding, done: TransformCallback) {
      let from = 0
      for (let nl = chunk.indexOf(NEWLINE, from); nl >= 0; nl = chunk.indexOf(NEWLINE, from)) {
        const piece = chunk.subarray(from, nl)
        if (!overlong && held + piece.length > maxLineBytes) overlong = true
        if (held === 0) emit(this, piece)
        else {
          if (!overlong) parts.push(piece)
          held += piece.length
          emit(this, undefined)
        }
        parts = []
        held = 0
        from = nl + 1
      }
      const rest = chunk.subarray(from)
      if (rest.length > 0 && !overlong) {
        if (held + rest.length > maxLineBytes) {
          overlong = true
          parts = []
        } else parts.push(rest)
        held += rest.length
      }
      done()
    },
    flush(done: TransformCallback) {
      // The last line need not end with a newline.
      if (held > 0 || overlong) emit(this, undefined)
      done()
    },
  })
}
