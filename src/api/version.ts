// whohad's own version, from package.json: an incident note says which release answered it. The file
// lies two levels up from this module both in src/ (under tsx) and in dist/.
import { readFileSync } from 'node:fs'

export const VERSION: string = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version
