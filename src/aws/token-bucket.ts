// A client-side token bucket per target and service, set below AWS's own request buckets, so that
// whohad spends its share of an account's EC2 and Config rate limits evenly instead of bursting into
// throttling (and so leaves room for the account's other users). It is attached to an SDK client as
// middleware in the retry loop: every attempt, retries included, takes a token.
import type { ConfigServiceClient } from '@aws-sdk/client-config-service'
import type { EC2Client } from '@aws-sdk/client-ec2'

export interface BucketOptions {
  /** Tokens added per second. */
  readonly ratePerSecond: number
  /** Most tokens held (the burst). */
  readonly burst: number
  readonly now?: () => number
  readonly sleep?: (ms: number) => Promise<void>
}

export class TokenBucket {
  private tokens: number
  private last: number
  private queue: Promise<void> = Promise.resolve()
  private readonly now: () => number
  private readonly sleep: (ms: number) => Promise<void>

  constructor(private readonly o: BucketOptions) {
    this.now = o.now ?? (() => performance.now())
    this.sleep = o.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)))
    this.tokens = o.burst
    this.last = this.now()
  }

  /** Waits until a token is free and takes it; callers are served in order. */
  take(): Promise<void> {
    const turn = this.queue.then(async () => {
      for (;;) {
        const t = this.now()
        this.tokens = Math.min(this.o.burst, this.tokens + ((t - this.last) / 1000) * this.o.ratePerSecond)
        this.last = t
        if (this.tokens >= 1) {
          this.tokens -= 1
          return
        }
        await this.sleep(Math.ceil(((1 - this.tokens) / this.o.ratePerSecond) * 1000))
      }
    })
    this.queue = turn
    return turn
  }
}

export function limitClient<C extends EC2Client | ConfigServiceClient>(client: C, bucket: TokenBucket): C {
  ;(client as EC2Client).middlewareStack.add(
    (next) => async (args) => {
      await bucket.take()
      return next(args)
    },
    { step: 'finalizeRequest', priority: 'high', name: 'whohadTokenBucket' },
  )
  return client
}
