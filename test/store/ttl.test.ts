// A table whohad creates itself gets DynamoDB's TTL on the expiry closed holdings carry.
import { DescribeTimeToLiveCommand } from '@aws-sdk/client-dynamodb'
import t from 'tap'
import { TTL_ATTRIBUTE } from '../../src/store/table.ts'
import { openTestStore } from '../../support/stores.ts'

t.test('ensureTable turns TTL on (AWS DynamoDB Local)', async (t) => {
  const { client, tableName } = await openTestStore(t, 'dynamodb-local')
  const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: tableName }))
  t.equal(ttl.TimeToLiveDescription?.TimeToLiveStatus, 'ENABLED')
  t.equal(ttl.TimeToLiveDescription?.AttributeName, TTL_ATTRIBUTE)
})
