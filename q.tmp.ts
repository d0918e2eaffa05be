import { ListTablesCommand } from '@aws-sdk/client-dynamodb'
import { CredentialStore } from './src/fakeaws/auth.ts'
import { dynamoClientAs } from './support/stores.ts'
import { storeOver } from './src/store/open.ts'
const m = new CredentialStore(7, '000000000000').management
const c = dynamoClientAs('http://127.0.0.1:46833', 'us-east-1', m)
const t = (await c.send(new ListTablesCommand({}))).TableNames!.filter((x) => x.startsWith(process.argv[2]!)).sort().at(-1)!
const states = await storeOver(c, { tableName: t }).targets.list()
console.log(t, states.length, new Set(states.map((s) => s.accountId)).size, states.filter((s) => s.quietSince).length)
c.destroy()
