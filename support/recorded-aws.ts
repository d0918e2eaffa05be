// Recorded AWS answers played back over HTTP to the real SDK clients, so that the SDK's own
// deserialiser turns a fixture body into typed objects exactly as it does with AWS. A transform
// tested on objects written by hand would only be tested on our reading of the wire format.
import { readFileSync } from 'node:fs'
import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  type Address,
  DescribeAddressesCommand,
  DescribeInstancesCommand,
  DescribeNetworkInterfacesCommand,
  EC2Client,
  type Instance,
  type NetworkInterface,
} from '@aws-sdk/client-ec2'
import { ConfigServiceClient, type ConfigurationItem, GetResourceConfigHistoryCommand } from '@aws-sdk/client-config-service'

/** One recorded body per action: EC2 actions by `Action`, Config actions by their X-Amz-Target operation. */
export type Recording = Readonly<Record<string, string>>

export interface RecordedAws {
  readonly endpoint: string
  /** The actions asked for, in order: a test can check the SDK asked what it meant to. */
  readonly asked: readonly string[]
  close(): Promise<void>
}

const EC2_XML = 'text/xml;charset=UTF-8'
const JSON_11 = 'application/x-amz-json-1.1'

/** Serve `recording` on a loopback port until `close()`. An action with no recording is a 400, so a missing fixture fails loudly. */
export async function serveRecording(recording: Recording): Promise<RecordedAws> {
  const asked: string[] = []
  const server = createServer((req, res) => {
    readBody(req)
      .then((body) => {
        const target = req.headers['x-amz-target']
        const json = typeof target === 'string'
        const action = json ? target.slice(target.indexOf('.') + 1) : (new URLSearchParams(body).get('Action') ?? '')
        asked.push(action)
        const answer = recording[action]
        if (answer === undefined) {
          res.writeHead(400, { 'content-type': json ? JSON_11 : EC2_XML })
          res.end(
            json
              ? JSON.stringify({ __type: 'InvalidAction', message: `no recording for ${action}` })
              : `<Response><Errors><Error><Code>InvalidAction</Code><Message>no recording for ${action}</Message></Error></Errors><RequestID>recorded</RequestID></Response>`,
          )
          return
        }
        res.writeHead(200, { 'content-type': json ? JSON_11 : EC2_XML })
        res.end(answer)
      })
      .catch((err: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain' })
        res.end(String(err))
      })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    endpoint: `http://127.0.0.1:${port}`,
    asked,
    close: () => new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve()))),
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    req.on('error', reject)
  })
}

function clientConfig(endpoint: string) {
  return {
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDRECORDED', secretAccessKey: 'recorded' },
    // A recording answers once and the same way every time: a retry would only hide a failure.
    maxAttempts: 1,
  }
}

/** The pages transformEc2 takes, as the real EC2 client deserialises the recorded bodies. */
export interface RecordedEc2Pages {
  readonly networkInterfaces: NetworkInterface[]
  readonly instances: Instance[]
  readonly addresses: Address[]
}

export interface Ec2Fixtures {
  readonly networkInterfaces?: string
  readonly instances?: string
  readonly addresses?: string
}

// What EC2 answers in a region with none of the resource: a call with no fixture gets it.
const EMPTY = {
  DescribeNetworkInterfaces: '<DescribeNetworkInterfacesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>recorded</requestId><networkInterfaceSet/></DescribeNetworkInterfacesResponse>',
  DescribeInstances: '<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>recorded</requestId><reservationSet/></DescribeInstancesResponse>',
  DescribeAddresses: '<DescribeAddressesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>recorded</requestId><addressesSet/></DescribeAddressesResponse>',
}

/** A real EC2 client whose endpoint answers the three snapshot calls with the given bodies (file paths). */
export async function recordedEc2(files: Ec2Fixtures): Promise<{ readonly ec2: EC2Client; readonly aws: RecordedAws; close(): Promise<void> }> {
  const aws = await serveRecording({
    DescribeNetworkInterfaces: files.networkInterfaces ? readFileSync(files.networkInterfaces, 'utf8') : EMPTY.DescribeNetworkInterfaces,
    DescribeInstances: files.instances ? readFileSync(files.instances, 'utf8') : EMPTY.DescribeInstances,
    DescribeAddresses: files.addresses ? readFileSync(files.addresses, 'utf8') : EMPTY.DescribeAddresses,
  })
  const ec2 = new EC2Client(clientConfig(aws.endpoint))
  return {
    ec2,
    aws,
    close: async () => {
      ec2.destroy()
      await aws.close()
    },
  }
}

/** Play the given EC2 bodies to the real EC2 client and return the pages it parsed. */
export async function readEc2Fixtures(files: Ec2Fixtures): Promise<RecordedEc2Pages> {
  const { ec2, close } = await recordedEc2(files)
  try {
    const pages: RecordedEc2Pages = { networkInterfaces: [], instances: [], addresses: [] }
    pages.networkInterfaces.push(...((await ec2.send(new DescribeNetworkInterfacesCommand({}))).NetworkInterfaces ?? []))
    for (const r of (await ec2.send(new DescribeInstancesCommand({}))).Reservations ?? []) pages.instances.push(...(r.Instances ?? []))
    pages.addresses.push(...((await ec2.send(new DescribeAddressesCommand({}))).Addresses ?? []))
    return pages
  } finally {
    await close()
  }
}

/** Play a recorded GetResourceConfigHistory body (JSON 1.1) to the real Config client. */
export async function readConfigHistoryFixture(file: string, resource: { resourceType: 'AWS::EC2::NetworkInterface'; resourceId: string }): Promise<ConfigurationItem[]> {
  const aws = await serveRecording({ GetResourceConfigHistory: readFileSync(file, 'utf8') })
  const config = new ConfigServiceClient(clientConfig(aws.endpoint))
  try {
    return (await config.send(new GetResourceConfigHistoryCommand(resource))).configurationItems ?? []
  } finally {
    config.destroy()
    await aws.close()
  }
}
