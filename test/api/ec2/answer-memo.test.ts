// Whole /ec2/ answers memoised: the key tells apart regions, accounts, their polls and what was asked
// (but not how it was signed), an account never polled completely is never memoised, and each call gets
// its own requestId in a memoised answer.
import t from 'tap'
import { AnswerMemo, answerKey } from '../../../src/api/ec2/answer-memo.ts'

const params = (...pairs: [string, string][]) => new Map(pairs)

t.test('the key', async (t) => {
  const p = params(['Action', 'DescribeInstances'], ['InstanceId.1', 'i-0123456789abcdef0'])
  const k = answerKey(p, 'eu-west-1', ['111111111111'], [5])
  t.equal(answerKey(params(['InstanceId.1', 'i-0123456789abcdef0'], ['Action', 'DescribeInstances'], ['X-Amz-Signature', 'ab']), 'eu-west-1', ['111111111111'], [5]), k, 'parameter order and signing parameters do not matter')
  t.not(answerKey(p, 'eu-west-2', ['111111111111'], [5]), k, 'another region')
  t.not(answerKey(p, 'eu-west-1', ['111111111111', '222222222222'], [5, 5]), k, 'other accounts')
  t.not(answerKey(p, 'eu-west-1', ['222222222222'], [5]), k, 'another account')
  t.not(answerKey(p, 'eu-west-1', ['111111111111'], [6]), k, 'a newer poll')
  t.not(answerKey(params(['Action', 'DescribeInstances'], ['InstanceId.1', 'i-0123456789abcdef1']), 'eu-west-1', ['111111111111'], [5]), k, 'another question')
  t.equal(answerKey(p, 'eu-west-1', ['111111111111'], [undefined]), undefined, 'an account never polled completely: not memoised')
})

t.test('answers keep their shape and count, and take each call its requestId', async (t) => {
  const memo = new AnswerMemo()
  let builds = 0
  const xml = (id: string) => `<?xml version="1.0"?><R><requestId>${id}</requestId><x>1</x></R>`
  const build = (id: string) => {
    builds++
    return { xml: xml(id), results: 1 }
  }
  const text = (a: { body: string | Buffer; results: number } | undefined) => a && { body: a.body.toString(), results: a.results }
  t.equal(memo.get('k', 'r1'), undefined)
  t.same(text(memo.answer('k', 'r1', build)), { body: xml('r1'), results: 1 })
  builds = 0
  t.same(text(memo.get('k', 'r2')), { body: xml('r2'), results: 1 })
  t.equal(builds, 0, 'from the memo')
  t.same(text(memo.answer(undefined, 'r3', build)), { body: xml('r3'), results: 1 }, 'no key: built every time')
  t.equal(builds, 1)
  t.same(text(memo.answer('odd', 'r6', () => ({ xml: '<R/>', results: 0 }))), { body: '<R/>', results: 0 }, 'an answer without a requestId element is served as built')
  t.equal(memo.get('odd', 'r7'), undefined, '…and not memoised')
  const off = new AnswerMemo(0)
  t.same(text(off.answer('k', 'r4', build)), { body: xml('r4'), results: 1 }, 'a memo of 0 bytes builds every time')
  t.equal(off.get('k', 'r5'), undefined, '…and keeps nothing')
})
