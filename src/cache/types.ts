// The cache's contract, shared by the API (reads through it) and the collector (invalidates through it).
// Answers are cached per looked-up address; an answer depends on the holdings stored under that address
// and under each delegated-prefix block containing it, so invalidating any of those keys must reach it.

export interface CacheHealth {
  readonly backend: 'memory' | 'redis'
  /** `degraded`: Redis unreachable, answers come from the store until it is back. */
  readonly state: 'ok' | 'degraded'
  readonly detail?: string
}

export interface AnswerCache {
  /**
   * A cached answer, or undefined. `dependsOn` lists the store keys the answer was built from (the address
   * and its containing prefix blocks); an entry is valid only while none of them changed since it was set.
   */
  get(key: string, dependsOn: readonly string[]): Promise<string | undefined>
  /** `immutable`: the answer's window lies wholly before anything the collector can still change. */
  set(key: string, dependsOn: readonly string[], value: string, options: { readonly immutable: boolean }): Promise<void>
  /**
   * The collector calls this after it wrote holdings of these addresses (canonical IP or CIDR text, as
   * `Holding.address`). Through Redis it reaches every API process, within the staleness bound the README states.
   */
  invalidate(addresses: readonly string[]): Promise<void>
  health(): CacheHealth
  close(): Promise<void>
}
