// The NDJSON form of batch lookups: lines in, one answer line per lookup out, in order, as it goes.
// Lines that arrive together (one read of the socket) are answered together, as a batch is: one cache
// read for all of them, store reads for the misses with bounded concurrency. A few such groups are in
// flight at once, and their answers leave in the order their lines came. Backpressure holds both ways:
// when the groups in flight are full, no more lines are taken (so the request is read no faster than it
// is answered), and when the reader of the answers is slow, the stream stops taking lines too.
import { Transform, type TransformCallback } from 'node:stream'
import type { Line } from './ndjson.ts'

export interface LookupStreamOptions {
  /** Answers a group of lines: their answer lines, each ending with a newline, in order (text or its UTF-8 bytes). Never rejects. */
  readonly answer: (lines: readonly Line[]) => Promise<string | Buffer>
  /** The most lines answered as one group. */
  readonly maxGroup?: number
  /** The most groups being answered at once. */
  readonly maxInFlight?: number
}

export class LookupStream extends Transform {
  private group: Line[] = []
  private groupScheduled = false
  /** One promise per group in flight, oldest first: each settles once its answers are pushed. */
  private readonly inFlight: Promise<void>[] = []
  private readonly maxGroup: number
  private readonly maxInFlight: number

  constructor(private readonly o: LookupStreamOptions) {
    super({ writableObjectMode: true, writableHighWaterMark: 1024 })
    this.maxGroup = o.maxGroup ?? 512
    this.maxInFlight = o.maxInFlight ?? 2
  }

  override _transform(line: Line, _encoding: BufferEncoding, done: TransformCallback): void {
    this.group.push(line)
    if (this.group.length >= this.maxGroup) this.startGroup()
    else if (!this.groupScheduled) {
      // The lines of one socket read reach us in one turn of the event loop: the group closes after it.
      this.groupScheduled = true
      setImmediate(() => {
        this.groupScheduled = false
        this.startGroup()
      })
    }
    if (this.inFlight.length < this.maxInFlight) return done()
    this.inFlight[0]!.then(() => done(), done)
  }

  override _flush(done: TransformCallback): void {
    this.startGroup()
    const last = this.inFlight.at(-1)
    if (!last) return done()
    last.then(() => done(), done)
  }

  private startGroup(): void {
    if (this.group.length === 0) return
    const answered = this.o.answer(this.group)
    this.group = []
    const previous = this.inFlight.at(-1) ?? Promise.resolve()
    // Answered at once, pushed in order: after the group before it.
    const pushed = previous.then(async () => {
      const text = await answered
      this.inFlight.shift()
      if (!this.destroyed) this.push(text)
    })
    // A failure destroys the stream, whether or not a line is waiting on this group.
    pushed.catch((err: Error) => this.destroy(err))
    this.inFlight.push(pushed)
  }
}
