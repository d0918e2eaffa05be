// DynamoDB answers a Query or Scan a page (1 MB) at a time: every read that wants all of its answer
// goes through here, so the paging is written once.
import {
  type AttributeValue,
  type DynamoDBClient,
  QueryCommand,
  type QueryCommandInput,
  ScanCommand,
  type ScanCommandInput,
} from '@aws-sdk/client-dynamodb'

export type Item = Record<string, AttributeValue>

/** Every item a Query matches, page after page, in the query's order. */
export async function queryAll(client: DynamoDBClient, input: QueryCommandInput): Promise<Item[]> {
  return readAll((ExclusiveStartKey) => client.send(new QueryCommand({ ...input, ExclusiveStartKey })))
}

/** Every item a Scan reads, page after page (for tests, exports and the demo, never a request path). */
export async function scanAll(client: DynamoDBClient, input: ScanCommandInput): Promise<Item[]> {
  return readAll((ExclusiveStartKey) => client.send(new ScanCommand({ ...input, ExclusiveStartKey })))
}

async function readAll(page: (start: Item | undefined) => Promise<{ Items?: Item[]; LastEvaluatedKey?: Item }>): Promise<Item[]> {
  const out: Item[] = []
  let start: Item | undefined
  do {
    const p = await page(start)
    out.push(...(p.Items ?? []))
    start = p.LastEvaluatedKey
  } while (start)
  return out
}
