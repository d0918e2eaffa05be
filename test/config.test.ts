import t from 'tap'
import { ConfigError, loadConfig } from '../src/config.ts'

t.test('embedded defaults', async (t) => {
  const c = loadConfig({})
  t.equal(c.store.mode, 'embedded')
  t.equal(c.store.tableName, 'whohad')
  t.equal(c.store.dataDir, './data')
  t.equal(c.store.retentionMs, 400 * 86_400_000)
})

t.test('an endpoint means DynamoDB, with local credentials unless AWS keys are set', async (t) => {
  const c = loadConfig({ WHOHAD_DYNAMODB_ENDPOINT: 'http://localhost:8000' })
  t.equal(c.store.mode, 'dynamodb')
  t.equal(c.store.localCredentials, true)
  t.equal(loadConfig({ WHOHAD_DYNAMODB_ENDPOINT: 'http://localhost:8000', AWS_ACCESS_KEY_ID: 'AKIA' }).store.localCredentials, false)
  t.equal(loadConfig({ WHOHAD_STORE: 'dynamodb' }).store.mode, 'dynamodb')
})

t.test('bad values name the variable', async (t) => {
  t.throws(() => loadConfig({ WHOHAD_TABLE: 'x' }), ConfigError)
  t.throws(() => loadConfig({ WHOHAD_TABLE: 'x' }), /WHOHAD_TABLE/)
  t.throws(() => loadConfig({ WHOHAD_DYNAMODB_ENDPOINT: 'not a url' }), /WHOHAD_DYNAMODB_ENDPOINT: must be a URL/)
  t.throws(() => loadConfig({ WHOHAD_RETENTION_DAYS: 'soon' }), /WHOHAD_RETENTION_DAYS/)
  t.throws(() => loadConfig({ WHOHAD_STORE: 'postgres' }), /WHOHAD_STORE/)
  t.throws(() => loadConfig({ AWS_REGION: 'mars' }), /AWS_REGION/)
})
