// `whohad serve`: for now it opens the store (creating the table on first start) and keeps it open
// until stopped; the API and collector mount here as they arrive.
import { loadConfig } from './config.ts'
import { openStore } from './store/open.ts'

export async function run(_argv: string[]): Promise<number> {
  const config = loadConfig()
  const store = await openStore(config.store)
  process.stdout.write(`whohad: store ready: ${store.location} (${store.table === 'created' ? 'table created' : 'table found'})\n`)
  process.stdout.write('whohad: press Ctrl-C to stop\n')
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve)
    process.once('SIGTERM', resolve)
  })
  await store.close()
  process.stdout.write('whohad: stopped\n')
  return 0
}
