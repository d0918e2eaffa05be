// What an ENI belongs to, from the facts both an EC2 snapshot and an AWS Config item state about it.
// One classifier for both sources, so that one ENI is one holder whichever source saw it.
//
// Rules, in order (the first that speaks wins):
// 1. An attachment to an instance makes it the instance's, whatever else it says: an abuse desk asks
//    about the instance, and the ENIs that EKS's CNI and trunking attach to nodes carry pod addresses
//    of that node.
// 2. The interface type, when it names a service. AWS sets it and nobody can change it.
// 3. The description (and for EKS and API Gateway, tags), when it has the exact shape a service writes.
//    A description is free text on an ENI someone created by hand, so every shape is anchored at both
//    ends and ids are checked for their form; a near miss falls through rather than half-matching.
// 4. Requester-managed (or created by a service alias such as `amazon-elb`): some AWS service's.
// 5. Otherwise a plain interface.
// The type tells which service; the description (rule 3) still supplies the ids when the type decided.
//
// Where each shape comes from:
// [types]  EC2 API reference, NetworkInterface.interfaceType, valid values: api_gateway_managed |
//          aws_codestar_connections_managed | branch | ec2_instance_connect_endpoint | efa | efa-only | efs |
//          evs | gateway_load_balancer | gateway_load_balancer_endpoint | global_accelerator_managed |
//          interface | iot_rules_managed | lambda | load_balancer | nat_gateway | network_load_balancer |
//          quicksight | transit_gateway | trunk | vpc_endpoint
//          (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_NetworkInterface.html). The SDK's
//          model (@aws-sdk/client-ec2 NetworkInterfaceType) spells the NAT gateway `natGateway`; the wire
//          and the reference say `nat_gateway`. Both are accepted.
// [rm]     EC2 User Guide, "Requester-managed network interfaces"
//          (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/requester-managed-eni.html): example
//          output with "VPC Endpoint Interface vpce-…", "VPC Endpoint Interface: vpce-…" (both with type
//          `interface` or `vpc_endpoint`) and "Resource Gateway Interface rgw-…".
// [c7n]    cloud-custodian c7n/utils.py get_eni_resource_type: the description prefixes "ELB app/",
//          "ELB net/", "ELB gwy/", "ELB ", "Interface for NAT Gateway", "AWS Lambda VPC ENI",
//          "EFS mount target for", "RDSNetworkInterface", "Network interface for DBProxy",
//          "Network Interface for Transit Gateway Attachment", "VPC Endpoint Interface",
//          "aws-k8s-branch-eni", "ENI managed by APIGateway".
// The rule-specific sources are beside each rule.

/** What holds an address. Stored holdings and the page use these strings: add, never rename. */
export type HolderKind =
  | 'instance'
  | 'nat-gateway'
  | 'load-balancer'
  | 'lambda'
  | 'vpc-endpoint'
  | 'efs'
  | 'rds'
  | 'eks'
  | 'transit-gateway'
  | 'global-accelerator'
  | 'api-gateway'
  | 'requester-managed'
  | 'interface'

/** The resource an ENI is part of, as specific as the facts allow. */
export type ResourceType =
  | 'instance'
  | 'nat-gateway'
  | 'classic-load-balancer'
  | 'application-load-balancer'
  | 'network-load-balancer'
  | 'gateway-load-balancer'
  /** A load balancer whose type says so but whose description does not say which kind. */
  | 'load-balancer'
  | 'lambda-function'
  | 'vpc-endpoint'
  | 'gateway-load-balancer-endpoint'
  | 'efs-mount-target'
  | 'rds'
  | 'rds-proxy'
  | 'eks-cluster'
  | 'transit-gateway-attachment'
  | 'global-accelerator'
  | 'api-gateway-vpc-link'
  | 'resource-gateway'
  /** The ENI itself: nothing says what it belongs to. */
  | 'network-interface'

/** The source-neutral facts about an ENI that classification reads (both EC2 and Config state all of them). */
export interface EniFacts {
  readonly eniId: string
  readonly interfaceType?: string | undefined
  readonly description?: string | undefined
  readonly requesterId?: string | undefined
  readonly requesterManaged?: boolean | undefined
  readonly ownerId?: string | undefined
  readonly attachment?: { readonly instanceId?: string | undefined; readonly instanceOwnerId?: string | undefined } | undefined
  readonly tags?: Readonly<Record<string, string>> | undefined
}

/**
 * `id` is what AWS identifies the resource by (for load balancers the `app/name/hash` tail of the
 * ARN); `name` is what a person calls it. Resources identified by their name (a Lambda function, an
 * EKS cluster, a classic load balancer) carry it as both.
 */
export interface Resource {
  readonly type: ResourceType
  readonly id?: string
  readonly name?: string
}

export interface EniClass {
  readonly kind: HolderKind
  readonly resource: Resource
}

export function classifyEni(facts: EniFacts): EniClass {
  const instanceId = facts.attachment?.instanceId
  if (instanceId) return { kind: 'instance', resource: { type: 'instance', id: instanceId } }
  const d = typeof facts.description === 'string' ? facts.description : ''
  const type = typeof facts.interfaceType === 'string' ? facts.interfaceType : ''
  for (const rule of RULES) {
    const found = rule(facts, d, type)
    if (found) return found
  }
  if (facts.requesterManaged === true || MANAGED_TYPES.has(type) || SERVICE_REQUESTER.test(facts.requesterId ?? '')) {
    return { kind: 'requester-managed', resource: { type: 'network-interface', id: facts.eniId } }
  }
  return { kind: 'interface', resource: { type: 'network-interface', id: facts.eniId } }
}

type Rule = (facts: EniFacts, description: string, interfaceType: string) => EniClass | undefined

// Service aliases stand where an account id would ("amazon-elb", "amazon-rds", "amazon-aws"): [rm]
// calls the requester id "the alias or AWS account ID of the principal or service".
const SERVICE_REQUESTER = /^amazon-[a-z0-9-]+$/

// Types AWS gives only to ENIs a service manages, for services with no kind of their own ([types]).
const MANAGED_TYPES = new Set(['quicksight', 'iot_rules_managed', 'aws_codestar_connections_managed', 'ec2_instance_connect_endpoint', 'evs'])

const hex = '[0-9a-f]+'

// NAT gateway: "Interface for NAT Gateway nat-0a8b0e0d28266841f" with type nat_gateway ([c7n]; real
// DescribeNetworkInterfaces output and Terraform imports of real accounts show both). The gateway's id
// is only in the description.
const NAT = new RegExp(`^Interface for NAT Gateway (nat-${hex})$`)
const natGateway: Rule = (_f, d, type) => {
  const m = NAT.exec(d)
  if (!m && type !== 'nat_gateway' && type !== 'natGateway') return undefined
  return { kind: 'nat-gateway', resource: m ? { type: 'nat-gateway', id: m[1]! } : { type: 'nat-gateway' } }
}

// Load balancers ([c7n]): "ELB app/<name>/<id>", "ELB net/<name>/<id>", "ELB gwy/<name>/<id>" (the tail
// of the ELBv2 ARN, e.g. app/my-load-balancer/50dc6c495c0c9188 in the ELB API reference), and
// "ELB <name>" for a classic load balancer. Names are at most 32 letters, digits and hyphens (ELB API
// reference, CreateLoadBalancer Name). An ALB's ENI has type `interface` and requester `amazon-elb`;
// an NLB's `network_load_balancer`, a GWLB's `gateway_load_balancer` ([types]).
const ELBV2 = /^ELB ((app|net|gwy)\/([A-Za-z0-9-]{1,32})\/([0-9a-f]+))$/
const ELB_CLASSIC = /^ELB ([A-Za-z0-9-]{1,32})$/
const ELBV2_TYPE = { app: 'application-load-balancer', net: 'network-load-balancer', gwy: 'gateway-load-balancer' } as const
const LB_TYPES: ReadonlyMap<string, ResourceType> = new Map([
  ['network_load_balancer', 'network-load-balancer'],
  ['gateway_load_balancer', 'gateway-load-balancer'],
  ['load_balancer', 'load-balancer'],
])
const loadBalancer: Rule = (f, d, type) => {
  const v2 = ELBV2.exec(d)
  if (v2) return { kind: 'load-balancer', resource: { type: ELBV2_TYPE[v2[2] as keyof typeof ELBV2_TYPE], id: v2[1]!, name: v2[3]! } }
  const classic = ELB_CLASSIC.exec(d)
  if (classic) return { kind: 'load-balancer', resource: { type: 'classic-load-balancer', id: classic[1]!, name: classic[1]! } }
  const byType = LB_TYPES.get(type)
  if (byType) return { kind: 'load-balancer', resource: { type: byType } }
  if (f.requesterId === 'amazon-elb') return { kind: 'load-balancer', resource: { type: 'load-balancer' } }
  return undefined
}

// Lambda: since 2019 (shared "Hyperplane" ENIs) "AWS Lambda VPC ENI-<function>-<uuid>", type `lambda`;
// before, "AWS Lambda VPC ENI: <uuid>" with type `interface` and a requester "<role id>:awslambda_<n>"
// (terraform-provider-aws finds Lambda's leftover ENIs by `description = "AWS Lambda VPC ENI*"`, and
// its older releases by "AWS Lambda VPC ENI: *" and requester-id "*:awslambda_*"). The old form names
// no function. Function names are letters, digits, hyphens and underscores, at most 64 (Lambda API
// reference, CreateFunction FunctionName).
const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'
const LAMBDA_NAMED = new RegExp(`^AWS Lambda VPC ENI-([A-Za-z0-9_-]{1,64}?)(?:-${UUID})?$`)
const LAMBDA_OLD = new RegExp(`^AWS Lambda VPC ENI: ?(?:${UUID})?$`)
const ONLY_UUID = new RegExp(`^${UUID}$`)
const LAMBDA_REQUESTER = /:awslambda_/
const lambda: Rule = (f, d, type) => {
  const named = LAMBDA_NAMED.exec(d)
  if (named && !ONLY_UUID.test(named[1]!)) return { kind: 'lambda', resource: { type: 'lambda-function', id: named[1]!, name: named[1]! } }
  if (named || LAMBDA_OLD.test(d) || type === 'lambda' || LAMBDA_REQUESTER.test(f.requesterId ?? '')) {
    return { kind: 'lambda', resource: { type: 'lambda-function' } }
  }
  return undefined
}

// VPC endpoints ([rm]): "VPC Endpoint Interface vpce-…" and "VPC Endpoint Interface: vpce-…", type
// `vpc_endpoint` or `interface`. Gateway Load Balancer endpoints have their own type ([types]).
const VPCE = new RegExp(`^VPC Endpoint Interface:? (vpce-${hex})$`)
const vpcEndpoint: Rule = (_f, d, type) => {
  const m = VPCE.exec(d)
  const gwlbe = type === 'gateway_load_balancer_endpoint'
  if (!m && !gwlbe && type !== 'vpc_endpoint') return undefined
  const resourceType: ResourceType = gwlbe ? 'gateway-load-balancer-endpoint' : 'vpc-endpoint'
  return { kind: 'vpc-endpoint', resource: m ? { type: resourceType, id: m[1]! } : { type: resourceType } }
}

// EFS mount targets: "EFS mount target for fs-… (fsmt-…)" as seen on real accounts ([c7n]; CloudTrail's
// CreateNetworkInterface by elasticfilesystem.amazonaws.com), and "Mount target fsmt-… for file system
// fs-…" as the EFS API reference (CreateMountTarget) documents it. Type `efs` ([types]).
const EFS_SEEN = new RegExp(`^EFS mount target for (fs-${hex})(?: \\((fsmt-${hex})\\))?$`)
const EFS_DOCUMENTED = new RegExp(`^Mount target (fsmt-${hex}) for file system (fs-${hex})$`)
const efs: Rule = (_f, d, type) => {
  const seen = EFS_SEEN.exec(d)
  if (seen) return { kind: 'efs', resource: { type: 'efs-mount-target', id: seen[2] ?? seen[1]!, name: seen[1]! } }
  const documented = EFS_DOCUMENTED.exec(d)
  if (documented) return { kind: 'efs', resource: { type: 'efs-mount-target', id: documented[1]!, name: documented[2]! } }
  if (type === 'efs') return { kind: 'efs', resource: { type: 'efs-mount-target' } }
  return undefined
}

// RDS: "RDSNetworkInterface" with requester and attachment owner `amazon-rds` (DescribeNetworkInterfaces
// output of RDS instances); RDS Proxy: "Network interface for DBProxy <proxy name>" ([c7n]). Neither
// names the DB instance.
const RDS_PROXY = /^Network interface for DBProxy ([A-Za-z][A-Za-z0-9-]{0,62})$/
const rds: Rule = (f, d) => {
  const proxy = RDS_PROXY.exec(d)
  if (proxy) return { kind: 'rds', resource: { type: 'rds-proxy', id: proxy[1]!, name: proxy[1]! } }
  if (d === 'RDSNetworkInterface' || f.requesterId === 'amazon-rds' || f.attachment?.instanceOwnerId === 'amazon-rds') {
    return { kind: 'rds', resource: { type: 'rds' } }
  }
  return undefined
}

// EKS, three kinds of ENI:
// - control plane: "Amazon EKS <cluster>", type `interface`, attached to an instance in an AWS account
//   (InstanceOwnerId set, no InstanceId), requester "<role id>:AmazonEKS" or an AWS account (EKS
//   workshop outputs of describe-network-interfaces). Cluster names: a letter or digit, then letters,
//   digits, hyphens and underscores, at most 100 (EKS API reference, CreateCluster name).
// - VPC CNI: "aws-K8S-<instance id>", tags node.k8s.amazonaws.com/instance_id and, when the CNI knows
//   it, cluster.k8s.amazonaws.com/name (aws/amazon-vpc-cni-k8s, pkg/awsutils/awsutils.go). Attached,
//   rule 1 makes it the node's; this rule sees it between detach and delete, or warm.
// - security groups for pods: "aws-k8s-branch-eni" (type `branch`) and "aws-k8s-trunk-eni" (type
//   `trunk`), tags kubernetes.io/cluster/<cluster>=owned, eks:eni:owner=eks-vpc-resource-controller,
//   vpcresources.k8s.aws/trunk-eni-id (aws/amazon-vpc-resource-controller-k8s, pkg/config/type.go and
//   pkg/aws/ec2/api/helper.go). Branch ENIs are never attached: they hold a pod's address themselves.
const EKS_CONTROL_PLANE = /^Amazon EKS ([A-Za-z0-9][A-Za-z0-9_-]{0,99})$/
const EKS_CNI = new RegExp(`^aws-K8S-i-${hex}$`)
const EKS_POD_ENI = /^aws-k8s-(branch|trunk)-eni$/
const CNI_CLUSTER_TAG = 'cluster.k8s.amazonaws.com/name'
const OWNED_CLUSTER_TAG = /^kubernetes\.io\/cluster\/(.+)$/
const eks: Rule = (f, d, type) => {
  const cp = EKS_CONTROL_PLANE.exec(d)
  if (cp) return { kind: 'eks', resource: { type: 'eks-cluster', id: cp[1]!, name: cp[1]! } }
  const tags = f.tags ?? {}
  const byTag = tags['eks:eni:owner'] === 'eks-vpc-resource-controller' || tags[CNI_CLUSTER_TAG] !== undefined
  if (!EKS_CNI.test(d) && !EKS_POD_ENI.test(d) && type !== 'branch' && !byTag) return undefined
  const cluster = tags[CNI_CLUSTER_TAG] || ownedCluster(tags)
  return { kind: 'eks', resource: cluster ? { type: 'eks-cluster', id: cluster, name: cluster } : { type: 'eks-cluster' } }
}
function ownedCluster(tags: Readonly<Record<string, string>>): string | undefined {
  for (const [k, v] of Object.entries(tags)) {
    const m = OWNED_CLUSTER_TAG.exec(k)
    if (m && v === 'owned') return m[1]
  }
  return undefined
}

// Transit Gateway VPC attachments: "Network Interface for Transit Gateway Attachment tgw-attach-…", type
// `transit_gateway` ([c7n]; the AWS Transit Gateway workshop points at these descriptions).
const TGW = new RegExp(`^Network Interface for Transit Gateway Attachment (tgw-attach-${hex})$`)
const transitGateway: Rule = (_f, d, type) => {
  const m = TGW.exec(d)
  if (!m && type !== 'transit_gateway') return undefined
  return { kind: 'transit-gateway', resource: m ? { type: 'transit-gateway-attachment', id: m[1]! } : { type: 'transit-gateway-attachment' } }
}

// Global Accelerator creates one ENI per endpoint subnet for client IP preservation (Global Accelerator
// developer guide) with type `global_accelerator_managed` ([types]). Its description was not found in
// any published output, so only the type is read.
const globalAccelerator: Rule = (_f, _d, type) =>
  type === 'global_accelerator_managed' ? { kind: 'global-accelerator', resource: { type: 'global-accelerator' } } : undefined

// API Gateway VPC links: "ENI managed by APIGateway", type `api_gateway_managed`, tags VpcLinkId=<id> and
// Owner=ops.apigateway.amazonaws.com ([c7n]; Terraform exports of real accounts).
const apiGateway: Rule = (f, d, type) => {
  if (d !== 'ENI managed by APIGateway' && type !== 'api_gateway_managed') return undefined
  const link = f.tags?.VpcLinkId
  return { kind: 'api-gateway', resource: link ? { type: 'api-gateway-vpc-link', id: link } : { type: 'api-gateway-vpc-link' } }
}

// VPC Lattice resource gateways ([rm]: "Resource Gateway Interface rgw-…", type `interface`).
const RGW = new RegExp(`^Resource Gateway Interface (rgw-${hex})$`)
const resourceGateway: Rule = (_f, d) => {
  const m = RGW.exec(d)
  return m ? { kind: 'requester-managed', resource: { type: 'resource-gateway', id: m[1]! } } : undefined
}

// Each rule accepts its service's type or its description. The type-only acceptances never overlap
// (one type each), and the descriptions never overlap, so only a type contradicting the description
// depends on this order; then the type wins, as the rules that read a type come first for their types.
// A Map, not an object: an interface type of "constructor" must not find Object's.
const BY_TYPE: ReadonlyMap<string, Rule> = new Map([
  ['nat_gateway', natGateway],
  ['natGateway', natGateway],
  ['network_load_balancer', loadBalancer],
  ['gateway_load_balancer', loadBalancer],
  ['load_balancer', loadBalancer],
  ['lambda', lambda],
  ['vpc_endpoint', vpcEndpoint],
  ['gateway_load_balancer_endpoint', vpcEndpoint],
  ['efs', efs],
  ['branch', eks],
  ['transit_gateway', transitGateway],
  ['global_accelerator_managed', globalAccelerator],
  ['api_gateway_managed', apiGateway],
])
const BY_DESCRIPTION: readonly Rule[] = [natGateway, loadBalancer, lambda, vpcEndpoint, efs, rds, eks, transitGateway, apiGateway, resourceGateway]
const RULES: readonly Rule[] = [(f, d, type) => BY_TYPE.get(type)?.(f, d, type), ...BY_DESCRIPTION]

/** Each resource type in words, for people reading an answer (the page keeps a copy: it has no build step). */
export const RESOURCE_WORDS: Readonly<Record<ResourceType, string>> = {
  instance: 'instance',
  'nat-gateway': 'NAT gateway',
  'classic-load-balancer': 'classic load balancer',
  'application-load-balancer': 'application load balancer',
  'network-load-balancer': 'network load balancer',
  'gateway-load-balancer': 'gateway load balancer',
  'load-balancer': 'load balancer',
  'lambda-function': 'Lambda function',
  'vpc-endpoint': 'VPC endpoint',
  'gateway-load-balancer-endpoint': 'Gateway Load Balancer endpoint',
  'efs-mount-target': 'EFS mount target',
  rds: 'RDS',
  'rds-proxy': 'RDS proxy',
  'eks-cluster': 'EKS cluster',
  'transit-gateway-attachment': 'Transit Gateway attachment',
  'global-accelerator': 'Global Accelerator',
  'api-gateway-vpc-link': 'API Gateway VPC link',
  'resource-gateway': 'resource gateway',
  'network-interface': 'network interface',
}
