// The collector's heap policy. Left to its defaults, V8 lets a collector's heap grow far past what it
// holds before collecting (a young generation of up to 3 × 16 MB semi-spaces, an old generation grown by
// large steps), so a 100,000-ENI organisation peaked near 400 MB RSS. A cap on the old generation and
// small semi-spaces make V8 collect sooner; only command-line flags set them (a running isolate ignores
// v8.setFlagsFromString for heap sizes), so src/cli.ts re-executes the process once with them
// (process.execve: the same pid and stdio, nothing left running beside it). This module only decides.

/** The V8 flags for a heap of at most `maxHeapMb` MB of old generation: none for 0 (V8's defaults). */
export function heapFlags(maxHeapMb: number): string[] {
  if (maxHeapMb === 0) return []
  // Semi-spaces scale with the cap (1/128 of it, 1–16 MB): small enough that the young generation stays a
  // few MB, large enough that a big cap does not turn every allocation burst into a scavenge.
  const semiSpaceMb = Math.min(16, Math.max(1, Math.round(maxHeapMb / 128)))
  return [`--max-old-space-size=${maxHeapMb}`, `--max-semi-space-size=${semiSpaceMb}`]
}

/**
 * The flags to re-execute with, or undefined to run as is: when the policy is off, or when the heap is
 * already sized (by a previous re-execution, or by the operator's own --max-old-space-size on the command
 * line or in NODE_OPTIONS, which win over the setting).
 */
export function heapReexec(maxHeapMb: number, execArgv: readonly string[], nodeOptions = ''): string[] | undefined {
  const flags = heapFlags(maxHeapMb)
  if (flags.length === 0) return undefined
  const sized = (s: string) => /--max[-_]old[-_]space[-_]size/.test(s)
  if (execArgv.some(sized) || sized(nodeOptions)) return undefined
  return flags
}
