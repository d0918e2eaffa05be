// SIGTERM and SIGINT for the long-running commands (`serve`, `collect`): the first asks for a graceful
// stop, the second ends the process at once with the shell's status for that signal (128 + its number),
// for an operator who will not wait for the grace time.
import os from 'node:os'

/**
 * How long a graceful stop may take: requests and polls still running after it are cut or abandoned.
 * Below Docker's default stop timeout (10 s), after which Docker sends SIGKILL.
 */
export const STOP_GRACE_MS = 8_000

export const STOP_SIGNALS = ['SIGTERM', 'SIGINT'] as const
export type StopSignalName = (typeof STOP_SIGNALS)[number]

export interface StopSignal {
  /** Resolves with the first stop signal received. */
  readonly received: Promise<StopSignalName>
  /** Aborted on the first stop signal (for work that should stop as soon as asked). */
  readonly signal: AbortSignal
  /** Stop listening (the process is stopped, or its stop failed otherwise). */
  dispose(): void
}

export interface SignalSource {
  on(event: StopSignalName, listener: () => void): unknown
  off(event: StopSignalName, listener: () => void): unknown
}

export function exitStatusOf(signal: StopSignalName): number {
  return 128 + os.constants.signals[signal]
}

export function onStopSignal(
  io: { readonly source?: SignalSource; readonly exit?: (code: number) => void; readonly log?: (message: string) => void } = {},
): StopSignal {
  const source = io.source ?? process
  const exit = io.exit ?? ((code: number) => process.exit(code))
  const controller = new AbortController()
  let first!: (name: StopSignalName) => void
  const received = new Promise<StopSignalName>((resolve) => (first = resolve))
  const listeners = STOP_SIGNALS.map((name) => {
    const listener = () => {
      if (!controller.signal.aborted) {
        io.log?.(`${name}: stopping within ${STOP_GRACE_MS / 1000} s (send it again to stop at once)`)
        controller.abort(new Error(`${name} received`))
        first(name)
      } else {
        io.log?.(`${name} again: stopping at once`)
        exit(exitStatusOf(name))
      }
    }
    source.on(name, listener)
    return [name, listener] as const
  })
  return {
    received,
    signal: controller.signal,
    dispose() {
      for (const [name, listener] of listeners) source.off(name, listener)
    },
  }
}
