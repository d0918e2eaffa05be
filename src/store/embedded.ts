// The embedded default store: dynalite (a DynamoDB-compatible server on LevelDB) in this process,
// persisted under the data directory, so `whohad serve` needs nothing else installed. It lacks
// transactions and TTL; the store code uses neither.
import { mkdirSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import dynalite from 'dynalite'
import { Level } from 'level'

export interface EmbeddedDynamo {
  readonly endpoint: string
  readonly path: string
  close(): Promise<void>
}

export class DataDirInUseError extends Error {
  override readonly name = 'DataDirInUseError'
  constructor(readonly dir: string) {
    super(
      `the data directory ${dir} is in use by another whohad process; stop it, or point WHOHAD_DATA_DIR ` +
        'elsewhere (to share one store between processes, run DynamoDB and set WHOHAD_DYNAMODB_ENDPOINT)',
    )
  }
}

export async function startEmbeddedDynamo(dataDir: string): Promise<EmbeddedDynamo> {
  const dir = path.resolve(dataDir, 'dynamodb')
  mkdirSync(dir, { recursive: true })
  await ensureNotInUse(dir)
  const server = dynalite({ path: dir, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as AddressInfo
  const close = () => new Promise<void>((resolve) => server.close(() => resolve()))
  return { endpoint: `http://127.0.0.1:${port}`, path: dir, close }
}

/**
 * LevelDB allows one opener per directory (an OS lock the kernel drops when the process dies), but
 * dynalite opens it lazily and throws from a callback when it cannot. Open it once ourselves first,
 * so a second process fails at start-up with words a person can act on. Two processes starting in
 * the same millisecond could both pass; the lock still keeps the data safe.
 */
async function ensureNotInUse(dir: string): Promise<void> {
  const probe = new Level(dir)
  try {
    await probe.open()
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause
    if (cause?.code === 'LEVEL_LOCKED') throw new DataDirInUseError(dir)
    throw err
  }
  await probe.close()
}
