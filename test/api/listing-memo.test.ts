// The listing memo on its own: a listing is loaded once per version (concurrent reads share the load),
// a new version is loaded again, a slow load of an older version never replaces a newer one, a failed
// load is not kept, and the memory bound counts items (a listing larger than the bound is never kept).
import t from 'tap'
import { ListingMemo } from '../../src/api/listing-memo.ts'

function deferred<T>() {
  let resolve!: (v: T) => void
  let reject!: (e: unknown) => void
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)))
  return { promise, resolve, reject }
}

t.test('one load per version, shared by concurrent reads; a new version is loaded again', async (t) => {
  const memo = new ListingMemo<string>(100)
  let loads = 0
  const load = (items: string[]) => async () => {
    loads++
    return items
  }
  const [a, b] = await Promise.all([memo.get('k', 1, load(['x'])), memo.get('k', 1, load(['y']))])
  t.same([a, b], [['x'], ['x']], 'the second concurrent read shares the first load')
  t.same(await memo.get('k', 1, load(['z'])), ['x'], 'kept')
  t.equal(loads, 1)
  t.same(await memo.get('k', 2, load(['new'])), ['new'], 'a new version is loaded')
  t.same(await memo.get('k', undefined, load(['none'])), ['none'], 'undefined is a version too')
  t.equal(loads, 3)
})

t.test('a slow load of an older version does not replace a newer entry', async (t) => {
  const memo = new ListingMemo<string>(100)
  const slow = deferred<string[]>()
  const old = memo.get('k', 1, () => slow.promise)
  t.same(await memo.get('k', 2, async () => ['v2']), ['v2'])
  slow.resolve(['v1'])
  t.same(await old, ['v1'], 'the old read gets its own load')
  t.same(await memo.get('k', 2, async () => ['reloaded']), ['v2'], 'the newer entry stays')
})

t.test('a failed load is not kept', async (t) => {
  const memo = new ListingMemo<string>(100)
  await t.rejects(memo.get('k', 1, async () => Promise.reject(new Error('store down'))), /store down/)
  t.same(await memo.get('k', 1, async () => ['ok']), ['ok'], 'the next read loads again')
})

t.test('memory is bounded by items', async (t) => {
  const memo = new ListingMemo<number>(10)
  let loads = 0
  const items = (n: number) => async () => {
    loads++
    return Array.from({ length: n }, (_, i) => i)
  }
  await memo.get('big', 1, items(20))
  await memo.get('big', 1, items(20))
  t.equal(loads, 2, 'a listing larger than the bound is read every time')
  t.equal(memo.size, 0)
  await memo.get('a', 1, items(4))
  await memo.get('b', 1, items(4))
  t.equal(memo.size, 10, 'items plus one per listing')
  await memo.get('c', 1, items(4))
  t.ok(memo.size <= 10, 'the least recently used listing made room')
  await memo.get('a', 1, items(4))
  t.equal(loads, 6, '…and is read again')
  const none = new ListingMemo<number>(0)
  await none.get('a', 1, items(1))
  await none.get('a', 1, items(1))
  t.equal(loads, 8, 'a memo of 0 items keeps nothing')
})
