// The stop signals' protocol, on a stand-in for the process's signal events: the first stop signal
// asks for a graceful stop, the second exits at once with 128 + the signal's number.
import { EventEmitter } from 'node:events'
import t from 'tap'
import { exitStatusOf, onStopSignal } from '../../src/cli/stop-signal.ts'

t.test('the first signal asks, the second exits with 128 + n', async (t) => {
  const source = new EventEmitter()
  const exits: number[] = []
  const logs: string[] = []
  const stop = onStopSignal({ source, exit: (code) => exits.push(code), log: (m) => logs.push(m) })
  t.equal(stop.signal.aborted, false)
  source.emit('SIGTERM')
  t.equal(await stop.received, 'SIGTERM')
  t.equal(stop.signal.aborted, true, 'work threaded with the signal is told to stop')
  t.same(exits, [], 'the first signal does not exit')
  source.emit('SIGINT')
  t.same(exits, [130], 'a second signal exits at once: SIGINT is 2')
  t.match(logs, [/SIGTERM: stopping within \d+ s/, /SIGINT again: stopping at once/])
  stop.dispose()
  t.equal(source.listenerCount('SIGTERM') + source.listenerCount('SIGINT'), 0, 'disposed: no listener left')
  t.equal(exitStatusOf('SIGTERM'), 143)
})
