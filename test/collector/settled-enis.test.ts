// Which ENIs a poll leaves the holder directory alone for: those that keep an open holding through the
// poll's operations (store/holder-directory.ts explains why their entries already exist).
import t from 'tap'
import { settledEnis } from '../../src/collector/poll.ts'
import { openKey } from '../../src/collector/reconcile.ts'
import { bound, makeHolding } from '../../support/holdings.ts'

const T0 = Date.UTC(2026, 10, 1)

t.test('an ENI is settled while one of its open holdings is left alone', async (t) => {
  const primaryA = makeHolding({ address: '10.0.0.1', eni: 'eni-a', instance: 'i-a', start: [T0, T0 + 1] })
  const secondA = makeHolding({ address: '10.0.0.2', eni: 'eni-a', instance: 'i-a', start: [T0, T0 + 1] })
  const onlyB = makeHolding({ address: '10.0.0.3', eni: 'eni-b', instance: 'i-b', start: [T0, T0 + 1] })
  const open = [primaryA, secondA, onlyB].map(openKey)
  const end = bound([T0 + 10, T0 + 20])
  t.same([...settledEnis(open, [])].sort(), ['eni-a', 'eni-b'], 'nothing changes: every ENI with an open holding')
  t.same([...settledEnis(open, [{ kind: 'close', holding: { ...secondA, end }, closedAt: T0 + 20 }])].sort(), ['eni-a', 'eni-b'], 'eni-a keeps its primary address')
  // eni-b's only holding closes (its instance changed, say) and a new one opens: its entries are written again.
  const reopened = makeHolding({ address: '10.0.0.3', eni: 'eni-b', instance: 'i-c', start: [T0 + 10, T0 + 20] })
  t.same([...settledEnis(open, [{ kind: 'close', holding: { ...onlyB, end }, closedAt: T0 + 20 }, { kind: 'open', holding: reopened }])], ['eni-a'])
  t.same([...settledEnis(open, [{ kind: 'refine', previous: primaryA, next: primaryA }, { kind: 'refine', previous: secondA, next: secondA }])], ['eni-b'], 'a rewritten holding is not counted on')
  t.same([...settledEnis([], [{ kind: 'open', holding: reopened }])], [], 'a new ENI is never settled')
})
