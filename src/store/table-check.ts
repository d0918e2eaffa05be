// Whether a table that already exists serves this version: its keys and indexes against tableDefinition().
// Pure. A table created by an older version may project more into an index than this version does
// (every attribute, before the projections were cut): every read still finds what it needs, so it
// works, and only its writes cost more; that is a notice. An index missing, keyed differently, or
// projecting less than a reader uses would make reads come back without what they need (a target
// list without its polls, a holding without its holder): that is a problem, and the store refuses to
// open rather than answer from half an item.
import type { CreateTableCommandInput, Projection, TableDescription } from '@aws-sdk/client-dynamodb'
import { RETIRED_INDEX_BY_INSTANCE } from './table.ts'

/** Indexes earlier versions made that this one neither reads nor writes. */
const RETIRED_INDEXES = [RETIRED_INDEX_BY_INSTANCE]

export interface TableCheck {
  /** The table cannot serve this version; each says what differs and what to do. */
  readonly problems: string[]
  /** The table serves this version but differs from what it would create; each says what it costs and how to move. */
  readonly notices: string[]
}

type KeySchema = readonly { readonly AttributeName?: string | undefined; readonly KeyType?: string | undefined }[] | undefined

const keyText = (schema: KeySchema) => (schema ?? []).map((k) => `${k.AttributeName}:${k.KeyType}`).join(',')

/** The attributes an index projects besides keys: every one for ALL, none for KEYS_ONLY. */
function projected(p: Projection | undefined): 'all' | ReadonlySet<string> {
  if (p?.ProjectionType === 'ALL') return 'all'
  return new Set(p?.ProjectionType === 'INCLUDE' ? (p.NonKeyAttributes ?? []) : [])
}

export function checkTable(existing: TableDescription, wanted: CreateTableCommandInput): TableCheck {
  const problems: string[] = []
  const notices: string[] = []
  const name = existing.TableName ?? wanted.TableName
  if (keyText(existing.KeySchema) !== keyText(wanted.KeySchema)) {
    problems.push(`table ${name} is keyed ${keyText(existing.KeySchema)}, not ${keyText(wanted.KeySchema)}: it is not a whohad table (set WHOHAD_TABLE to another name)`)
  }
  const have = new Map((existing.GlobalSecondaryIndexes ?? []).map((i) => [i.IndexName, i]))
  for (const want of wanted.GlobalSecondaryIndexes ?? []) {
    const index = have.get(want.IndexName)
    if (!index) {
      problems.push(`table ${name} has no index ${want.IndexName}: create it as deploy/table.yaml defines it (or let whohad create a new table)`)
      continue
    }
    if (keyText(index.KeySchema) !== keyText(want.KeySchema)) {
      problems.push(`index ${want.IndexName} of table ${name} is keyed ${keyText(index.KeySchema)}, not ${keyText(want.KeySchema)}: recreate it as deploy/table.yaml defines it`)
      continue
    }
    const got = projected(index.Projection)
    if (want.Projection?.ProjectionType === 'ALL') {
      if (got !== 'all') problems.push(`index ${want.IndexName} of table ${name} projects only some attributes, and whohad reads every attribute from it: recreate the index with the projection deploy/table.yaml defines (delete it, then add it back)`)
      continue
    }
    const needed = want.Projection?.NonKeyAttributes ?? []
    const lacking = got === 'all' ? [] : needed.filter((a) => !got.has(a))
    if (lacking.length > 0) {
      problems.push(
        `index ${want.IndexName} of table ${name} does not project ${lacking.join(', ')}, which whohad reads from it: ` +
          `recreate the index with the projection deploy/table.yaml defines (delete it, then add it back)`,
      )
    } else if (got === 'all' || got.size > needed.length) {
      notices.push(
        `index ${want.IndexName} of table ${name} projects ${got === 'all' ? 'every attribute' : `${got.size - needed.length} attributes whohad does not read from it`}; ` +
          `it works as it is, but each write to it may cost twice the units a table created now pays. ` +
          `To move, recreate the index with the projection deploy/table.yaml defines when reads of it can pause (docs/table-design.md, "Indexes and what they project")`,
      )
    }
  }
  for (const retired of RETIRED_INDEXES) {
    if (have.has(retired)) {
      notices.push(`index ${retired} of table ${name} is no longer read, and nothing written now is filed in it: delete it (docs/table-design.md, "Indexes and what they project")`)
    }
  }
  return { problems, notices }
}
