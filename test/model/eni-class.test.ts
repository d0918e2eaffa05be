import { readFileSync } from 'node:fs'
import fc from 'fast-check'
import t from 'tap'
import { classifyEni, type EniFacts, type HolderKind, type Resource, RESOURCE_WORDS } from '../../src/model/eni-class.ts'

// Real descriptions, interface types and requesters, one row per kind and variant. `source` says
// where the row was seen; "shape" rows take a shape a source documents and fill it with ids seen
// elsewhere.
interface Row {
  readonly source: string
  readonly facts: Omit<EniFacts, 'eniId'>
  readonly kind: HolderKind
  readonly resource: Resource
}

const RM_GUIDE = 'EC2 User Guide, requester-managed network interfaces, example output'
const ROWS: readonly Row[] = [
  // instances
  {
    source: 'EC2 API reference, DescribeNetworkInterfaces example',
    facts: { description: 'Primary network interface', interfaceType: 'interface', requesterManaged: false, ownerId: '123456789012', attachment: { instanceId: 'i-0598c7d356eba48d7', instanceOwnerId: '123456789012' } },
    kind: 'instance',
    resource: { type: 'instance', id: 'i-0598c7d356eba48d7' },
  },
  {
    source: 'aws/amazon-vpc-cni-k8s awsutils.go: a CNI ENI attached to its node',
    facts: { description: 'aws-K8S-i-0aac5ee7a39c88fc9', interfaceType: 'interface', requesterManaged: false, attachment: { instanceId: 'i-0aac5ee7a39c88fc9' }, tags: { 'node.k8s.amazonaws.com/instance_id': 'i-0aac5ee7a39c88fc9', 'cluster.k8s.amazonaws.com/name': 'ironman' } },
    kind: 'instance',
    resource: { type: 'instance', id: 'i-0aac5ee7a39c88fc9' },
  },
  {
    source: 'describe-network-interfaces of a trunk ENI (security groups for pods)',
    facts: { description: 'aws-k8s-trunk-eni', interfaceType: 'trunk', requesterId: '895095153028', requesterManaged: false, ownerId: '111111111111', attachment: { instanceId: 'i-00018772909497f61', instanceOwnerId: '111111111111' }, tags: { 'eks:eni:owner': 'eks-vpc-resource-controller', 'kubernetes.io/cluster/ironman': 'owned' } },
    kind: 'instance',
    resource: { type: 'instance', id: 'i-00018772909497f61' },
  },
  // NAT gateways
  {
    source: 'DescribeNetworkInterfaces of a NAT gateway (eu-west-1): type nat_gateway, attached to amazon-aws',
    facts: { description: 'Interface for NAT Gateway nat-0a8b0e0d28266841f', interfaceType: 'nat_gateway', requesterManaged: true, ownerId: '111122223333', attachment: { instanceOwnerId: 'amazon-aws' } },
    kind: 'nat-gateway',
    resource: { type: 'nat-gateway', id: 'nat-0a8b0e0d28266841f' },
  },
  {
    source: 'the SDK model spelling natGateway (@aws-sdk/client-ec2 NetworkInterfaceType)',
    facts: { description: 'Interface for NAT Gateway nat-08bcfea9265221ec4', interfaceType: 'natGateway', requesterManaged: true },
    kind: 'nat-gateway',
    resource: { type: 'nat-gateway', id: 'nat-08bcfea9265221ec4' },
  },
  {
    source: 'Terraform import of a real account: description only',
    facts: { description: 'Interface for NAT Gateway nat-0d1d1ba9ec02d3aa6' },
    kind: 'nat-gateway',
    resource: { type: 'nat-gateway', id: 'nat-0d1d1ba9ec02d3aa6' },
  },
  {
    source: 'EC2 API reference interfaceType nat_gateway, description missing',
    facts: { interfaceType: 'nat_gateway', requesterManaged: true },
    kind: 'nat-gateway',
    resource: { type: 'nat-gateway' },
  },
  // load balancers
  {
    source: 'Terraform export of a real account; ALB ENIs are type interface, requester amazon-elb',
    facts: { description: 'ELB app/info-final/5bd164072db03311', interfaceType: 'interface', requesterId: 'amazon-elb', requesterManaged: true, attachment: { instanceOwnerId: 'amazon-elb' } },
    kind: 'load-balancer',
    resource: { type: 'application-load-balancer', id: 'app/info-final/5bd164072db03311', name: 'info-final' },
  },
  {
    source: 'ELB API reference, load balancer ARN example (app/my-load-balancer/50dc6c495c0c9188)',
    facts: { description: 'ELB app/my-load-balancer/50dc6c495c0c9188', interfaceType: 'interface', requesterId: 'amazon-elb', requesterManaged: true },
    kind: 'load-balancer',
    resource: { type: 'application-load-balancer', id: 'app/my-load-balancer/50dc6c495c0c9188', name: 'my-load-balancer' },
  },
  {
    source: 'ENI export of a real account (NLB)',
    facts: { description: 'ELB net/constructioncapacityapi-prod-nlb/e9184833c2c1b7fc', interfaceType: 'network_load_balancer', requesterId: 'amazon-elb', requesterManaged: true },
    kind: 'load-balancer',
    resource: { type: 'network-load-balancer', id: 'net/constructioncapacityapi-prod-nlb/e9184833c2c1b7fc', name: 'constructioncapacityapi-prod-nlb' },
  },
  {
    source: 'shape: Terraform filters "ELB gwy/<name>/*" with interface-type gateway_load_balancer',
    facts: { description: 'ELB gwy/inspection-gwlb/a7f2c04e1b3d5968', interfaceType: 'gateway_load_balancer', requesterId: 'amazon-elb', requesterManaged: true },
    kind: 'load-balancer',
    resource: { type: 'gateway-load-balancer', id: 'gwy/inspection-gwlb/a7f2c04e1b3d5968', name: 'inspection-gwlb' },
  },
  {
    source: 'shape: cloud-custodian "ELB <name>" (classic), name from the ELB API reference example',
    facts: { description: 'ELB my-loadbalancer', interfaceType: 'interface', requesterId: 'amazon-elb', requesterManaged: true },
    kind: 'load-balancer',
    resource: { type: 'classic-load-balancer', id: 'my-loadbalancer', name: 'my-loadbalancer' },
  },
  {
    source: 'EC2 API reference interfaceType network_load_balancer, description missing',
    facts: { interfaceType: 'network_load_balancer', requesterManaged: true },
    kind: 'load-balancer',
    resource: { type: 'network-load-balancer' },
  },
  {
    source: 'EC2 API reference interfaceType load_balancer',
    facts: { interfaceType: 'load_balancer', requesterManaged: true },
    kind: 'load-balancer',
    resource: { type: 'load-balancer' },
  },
  // Lambda
  {
    source: 'shape: "AWS Lambda VPC ENI-<function>-<uuid>", type lambda, attached to amazon-aws',
    facts: { description: 'AWS Lambda VPC ENI-cost-digest-5a2f3b1c-9d8e-4f7a-b6c5-d4e3f2a1b0c9', interfaceType: 'lambda', requesterManaged: true, attachment: { instanceOwnerId: 'amazon-aws' } },
    kind: 'lambda',
    resource: { type: 'lambda-function', id: 'cost-digest', name: 'cost-digest' },
  },
  {
    source: 'ENI export of a real account: no uuid after the function name',
    facts: { description: 'AWS Lambda VPC ENI-SendSecurityHubSummaryEmail' },
    kind: 'lambda',
    resource: { type: 'lambda-function', id: 'SendSecurityHubSummaryEmail', name: 'SendSecurityHubSummaryEmail' },
  },
  {
    source: 'Terraform export of a real account: the pre-2019 form names no function',
    facts: { description: 'AWS Lambda VPC ENI: e64bbb87-8b61-4bb7-8295-6975c39585a0', interfaceType: 'interface' },
    kind: 'lambda',
    resource: { type: 'lambda-function' },
  },
  {
    source: 'terraform-provider-aws: old Lambda ENIs have requester-id "*:awslambda_*"',
    facts: { description: '', interfaceType: 'interface', requesterId: 'AROAEXAMPLEROLEID1234:awslambda_921', requesterManaged: false },
    kind: 'lambda',
    resource: { type: 'lambda-function' },
  },
  // VPC endpoints
  { source: RM_GUIDE, facts: { description: 'VPC Endpoint Interface: vpce-0f00567fa8477a1e6', interfaceType: 'interface', requesterManaged: true }, kind: 'vpc-endpoint', resource: { type: 'vpc-endpoint', id: 'vpce-0f00567fa8477a1e6' } },
  { source: RM_GUIDE, facts: { description: 'VPC Endpoint Interface vpce-0d8ddce4be80e4474', interfaceType: 'interface', requesterManaged: true }, kind: 'vpc-endpoint', resource: { type: 'vpc-endpoint', id: 'vpce-0d8ddce4be80e4474' } },
  { source: RM_GUIDE, facts: { description: 'VPC Endpoint Interface vpce-078221a1e27d1ea5b', interfaceType: 'vpc_endpoint', requesterManaged: true }, kind: 'vpc-endpoint', resource: { type: 'vpc-endpoint', id: 'vpce-078221a1e27d1ea5b' } },
  {
    source: 'EC2 API reference interfaceType gateway_load_balancer_endpoint',
    facts: { interfaceType: 'gateway_load_balancer_endpoint', requesterManaged: true },
    kind: 'vpc-endpoint',
    resource: { type: 'gateway-load-balancer-endpoint' },
  },
  { source: RM_GUIDE, facts: { description: 'Resource Gateway Interface rgw-0bba03f3d56060135', interfaceType: 'interface', requesterManaged: true }, kind: 'requester-managed', resource: { type: 'resource-gateway', id: 'rgw-0bba03f3d56060135' } },
  // EFS
  {
    source: 'CloudFormation export of a real account',
    facts: { description: 'EFS mount target for fs-0dcdbf56073416b82 (fsmt-0852ce334db888836)', interfaceType: 'interface', requesterManaged: true },
    kind: 'efs',
    resource: { type: 'efs-mount-target', id: 'fsmt-0852ce334db888836', name: 'fs-0dcdbf56073416b82' },
  },
  {
    source: 'shape: EFS API reference, CreateMountTarget ("Mount target fsmt-id for file system fs-id")',
    facts: { description: 'Mount target fsmt-0852ce334db888836 for file system fs-0dcdbf56073416b82', requesterManaged: true },
    kind: 'efs',
    resource: { type: 'efs-mount-target', id: 'fsmt-0852ce334db888836', name: 'fs-0dcdbf56073416b82' },
  },
  {
    source: 'an account audit quoting a mount target ENI without the fsmt part',
    facts: { description: 'EFS mount target for fs-038bf0f49474a6a1d' },
    kind: 'efs',
    resource: { type: 'efs-mount-target', id: 'fs-038bf0f49474a6a1d', name: 'fs-038bf0f49474a6a1d' },
  },
  { source: 'EC2 API reference interfaceType efs', facts: { interfaceType: 'efs', requesterManaged: true }, kind: 'efs', resource: { type: 'efs-mount-target' } },
  // RDS
  {
    source: 'DescribeNetworkInterfaces of an RDS instance: requester and attachment owner amazon-rds',
    facts: { description: 'RDSNetworkInterface', interfaceType: 'interface', requesterId: 'amazon-rds', requesterManaged: true, attachment: { instanceOwnerId: 'amazon-rds' } },
    kind: 'rds',
    resource: { type: 'rds' },
  },
  {
    source: 'CloudFormation export of a real account (RDS Proxy)',
    facts: { description: 'Network interface for DBProxy proxy-1734138353499-riotgames-db-1', requesterManaged: true },
    kind: 'rds',
    resource: { type: 'rds-proxy', id: 'proxy-1734138353499-riotgames-db-1', name: 'proxy-1734138353499-riotgames-db-1' },
  },
  // EKS
  {
    source: 'EKS networking workshop, describe-network-interfaces of a control-plane ENI (2019)',
    facts: { description: 'Amazon EKS networkshop-eksctl', interfaceType: 'interface', requesterId: 'AROAXHTQMN2OZD76U7M4M:AmazonEKS', requesterManaged: false, ownerId: '497378160285', attachment: { instanceOwnerId: '305882430652' }, tags: {} },
    kind: 'eks',
    resource: { type: 'eks-cluster', id: 'networkshop-eksctl', name: 'networkshop-eksctl' },
  },
  {
    source: 'EKS Auto Mode guide, describe-network-interfaces of a control-plane ENI (2025)',
    facts: { description: 'Amazon EKS eks-test-cluster', interfaceType: 'interface', requesterId: '339713109942', requesterManaged: true, ownerId: '424727766526', attachment: { instanceOwnerId: '339713109942' } },
    kind: 'eks',
    resource: { type: 'eks-cluster', id: 'eks-test-cluster', name: 'eks-test-cluster' },
  },
  {
    source: 'aws/amazon-vpc-cni-k8s awsutils.go: a CNI ENI between detach and delete',
    facts: { description: 'aws-K8S-i-0aac5ee7a39c88fc9', interfaceType: 'interface', requesterManaged: false, tags: { 'node.k8s.amazonaws.com/instance_id': 'i-0aac5ee7a39c88fc9', 'cluster.k8s.amazonaws.com/name': 'ironman' } },
    kind: 'eks',
    resource: { type: 'eks-cluster', id: 'ironman', name: 'ironman' },
  },
  {
    source: 'aws/amazon-vpc-cni-k8s awsutils.go: the cluster tag is set only when the CNI knows the cluster',
    facts: { description: 'aws-K8S-i-0aac5ee7a39c88fc9', interfaceType: 'interface', requesterManaged: false, tags: { 'node.k8s.amazonaws.com/instance_id': 'i-0aac5ee7a39c88fc9' } },
    kind: 'eks',
    resource: { type: 'eks-cluster' },
  },
  {
    source: 'describe-network-interfaces of a branch ENI (security groups for pods)',
    facts: {
      description: 'aws-k8s-branch-eni',
      interfaceType: 'branch',
      requesterId: '895095153028',
      requesterManaged: false,
      ownerId: '111111111111',
      tags: { 'vpcresources.k8s.aws/vlan-id': '1', 'vpcresources.k8s.aws/trunk-eni-id': 'eni-03e61f90252a662d1', 'eks:eni:owner': 'eks-vpc-resource-controller', 'kubernetes.io/cluster/ironman': 'owned' },
    },
    kind: 'eks',
    resource: { type: 'eks-cluster', id: 'ironman', name: 'ironman' },
  },
  {
    source: 'aws/amazon-vpc-resource-controller-k8s: a trunk ENI not (or no longer) attached',
    facts: { description: 'aws-k8s-trunk-eni', interfaceType: 'trunk', requesterManaged: false, tags: { 'eks:eni:owner': 'eks-vpc-resource-controller', 'kubernetes.io/cluster/ironman': 'owned' } },
    kind: 'eks',
    resource: { type: 'eks-cluster', id: 'ironman', name: 'ironman' },
  },
  // Transit Gateway
  {
    source: 'describe-network-interfaces table of a real account (us-east-1)',
    facts: { description: 'Network Interface for Transit Gateway Attachment tgw-attach-06bf47fa39e5d1578', interfaceType: 'transit_gateway', requesterManaged: true },
    kind: 'transit-gateway',
    resource: { type: 'transit-gateway-attachment', id: 'tgw-attach-06bf47fa39e5d1578' },
  },
  // Global Accelerator
  {
    source: 'Global Accelerator ENIs for client IP preservation: InterfaceType global_accelerator_managed',
    facts: { interfaceType: 'global_accelerator_managed', requesterManaged: true },
    kind: 'global-accelerator',
    resource: { type: 'global-accelerator' },
  },
  // API Gateway VPC links
  {
    source: 'Terraform export of a real account',
    facts: { description: 'ENI managed by APIGateway', interfaceType: 'api_gateway_managed', requesterManaged: true, tags: { Owner: 'ops.apigateway.amazonaws.com', VpcLinkId: 'ucie4k' } },
    kind: 'api-gateway',
    resource: { type: 'api-gateway-vpc-link', id: 'ucie4k' },
  },
  {
    source: 'Terraform export of a real account: no interface type recorded',
    facts: { description: 'ENI managed by APIGateway', tags: { Owner: 'ops.apigateway.amazonaws.com', VpcLinkId: 'ucie4k' } },
    kind: 'api-gateway',
    resource: { type: 'api-gateway-vpc-link', id: 'ucie4k' },
  },
  // other services
  { source: 'EC2 API reference interfaceType quicksight', facts: { interfaceType: 'quicksight', requesterManaged: true }, kind: 'requester-managed', resource: { type: 'network-interface', id: 'eni-0example' } },
  {
    source: 'cloud-custodian: "AWS created network interface for directory d-…"',
    facts: { description: 'AWS created network interface for directory d-9067135bd1.', interfaceType: 'interface', requesterManaged: true },
    kind: 'requester-managed',
    resource: { type: 'network-interface', id: 'eni-0example' },
  },
  {
    source: 'shape: EC2 User Guide, the requester id is "the alias or AWS account ID" of a service (amazon-aws as on NAT and Lambda attachments)',
    facts: { description: '', interfaceType: 'interface', requesterId: 'amazon-aws' },
    kind: 'requester-managed',
    resource: { type: 'network-interface', id: 'eni-0example' },
  },
  // plain interfaces
  {
    source: 'AWS CLI example, describe-network-interfaces --filters tag:Purpose=Prod',
    facts: { description: 'ProdENI', interfaceType: 'interface', requesterManaged: false, ownerId: '123456789012', tags: { Purpose: 'Prod' } },
    kind: 'interface',
    resource: { type: 'network-interface', id: 'eni-0example' },
  },
  {
    source: 'EC2 User Guide, prefixes example: requester is an IAM user, not managed',
    facts: { description: '', interfaceType: 'interface', requesterId: 'AIDAIV5AJI5LXF5XXDPCO', requesterManaged: false },
    kind: 'interface',
    resource: { type: 'network-interface', id: 'eni-0example' },
  },
]

t.test('every real example is classified as its service', async (t) => {
  for (const row of ROWS) {
    const got = classifyEni({ eniId: 'eni-0example', ...row.facts })
    t.same(got, { kind: row.kind, resource: row.resource }, `${row.facts.description || row.facts.interfaceType || row.facts.requesterId} (${row.source})`)
  }
  const kinds = new Set(ROWS.map((r) => r.kind))
  t.same(
    [...kinds].sort(),
    ['api-gateway', 'efs', 'eks', 'global-accelerator', 'instance', 'interface', 'lambda', 'load-balancer', 'nat-gateway', 'rds', 'requester-managed', 'transit-gateway', 'vpc-endpoint'],
    'the table covers every kind',
  )
})

t.test('an AWS-set interface type wins over a description that says otherwise', async (t) => {
  t.same(classifyEni({ eniId: 'eni-1', interfaceType: 'lambda', description: 'ELB app/web/5bd164072db03311' }), { kind: 'lambda', resource: { type: 'lambda-function' } })
  t.same(classifyEni({ eniId: 'eni-1', interfaceType: 'nat_gateway', description: 'VPC Endpoint Interface vpce-0d8ddce4be80e4474' }), { kind: 'nat-gateway', resource: { type: 'nat-gateway' } })
})

t.test('a description only near a service shape is not taken for it', async (t) => {
  // Descriptions are free text on ENIs people create; a shape has to match whole.
  for (const description of [
    'Interface for NAT Gateway nat-0a8b0e0d28266841f (copy)',
    'ELB app/web/not-hex',
    'ELB app/a/b/c',
    'ELB two words',
    'VPC Endpoint Interface vpce-xyz',
    'EFS mount target for my share',
    'Amazon EKS is great',
    'Network Interface for Transit Gateway Attachment tgw-0abc',
    'AWS Lambda VPC ENI-has a space-5a2f3b1c-9d8e-4f7a-b6c5-d4e3f2a1b0c9',
  ]) {
    t.same(classifyEni({ eniId: 'eni-1', description, interfaceType: 'interface', requesterManaged: false }), { kind: 'interface', resource: { type: 'network-interface', id: 'eni-1' } }, description)
  }
})

t.test('odd interface types find no rule by accident', async (t) => {
  for (const interfaceType of ['constructor', '__proto__', 'toString', 'hasOwnProperty', '']) {
    t.same(classifyEni({ eniId: 'eni-1', interfaceType }), { kind: 'interface', resource: { type: 'network-interface', id: 'eni-1' } }, interfaceType)
  }
})

const KINDS = new Set<string>(['instance', 'nat-gateway', 'load-balancer', 'lambda', 'vpc-endpoint', 'efs', 'rds', 'eks', 'transit-gateway', 'global-accelerator', 'api-gateway', 'requester-managed', 'interface'])

// Strings that reach the rules: the real descriptions and types above, their pieces, and noise.
const known = ROWS.flatMap((r) => [r.facts.description, r.facts.interfaceType, r.facts.requesterId].filter((x): x is string => typeof x === 'string'))
const text = fc.oneof(
  fc.constantFrom(...known),
  fc.tuple(fc.constantFrom(...known), fc.string()).map(([a, b]) => a + b),
  fc.tuple(fc.constantFrom(...known), fc.nat()).map(([a, n]) => a.slice(0, n % (a.length + 1))),
  fc.string(),
  fc.constantFrom('constructor', '__proto__', 'toString', ''),
)
const facts = fc.record(
  {
    eniId: fc.string({ minLength: 1 }),
    interfaceType: text,
    description: text,
    requesterId: text,
    requesterManaged: fc.boolean(),
    ownerId: fc.string(),
    attachment: fc.record({ instanceId: fc.oneof(fc.string(), fc.constant(undefined)), instanceOwnerId: text }, { requiredKeys: [] }),
    tags: fc.dictionary(fc.oneof(fc.constantFrom('cluster.k8s.amazonaws.com/name', 'kubernetes.io/cluster/x', 'eks:eni:owner', 'VpcLinkId', '__proto__', 'constructor'), fc.string()), fc.string()),
  },
  { requiredKeys: ['eniId'] },
)

t.test('classification never throws and always names a known kind', async (t) => {
  fc.assert(
    fc.property(facts, (f) => {
      const { kind, resource } = classifyEni(f)
      return KINDS.has(kind) && typeof resource.type === 'string' && (resource.id === undefined || typeof resource.id === 'string')
    }),
    { numRuns: 5000 },
  )
  t.pass()
})

t.test('an ENI attached to an instance is that instance, whatever else it says', async (t) => {
  fc.assert(
    fc.property(facts, fc.string({ minLength: 1 }), (f, instanceId) => {
      const got = classifyEni({ ...f, attachment: { ...f.attachment, instanceId } })
      return got.kind === 'instance' && got.resource.type === 'instance' && got.resource.id === instanceId && got.resource.name === undefined
    }),
    { numRuns: 2000 },
  )
  t.pass()
})

t.test("the page's copy of the resource words matches the model's", async (t) => {
  // The page is plain browser modules with no build step, so it keeps its own copy.
  const page = readFileSync(new URL('../../src/api/ui/app.js', import.meta.url), 'utf8')
  for (const [type, words] of Object.entries(RESOURCE_WORDS)) {
    t.match(page, new RegExp(`['"]?${type}['"]?: '${words}'`), type)
  }
})
