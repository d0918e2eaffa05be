// What held an address, in the words an analyst looks it up by. Shared by the verdict, the incident
// note and the terminal's table, so that each names a holder the same way.
import { RESOURCE_WORDS } from '../model/eni-class.ts'
import type { Holder } from '../model/holding.ts'

/**
 * What held it, as the analyst will look it up: "i-0b2 (web-prod-3)", "NAT gateway nat-0a8…",
 * "application load balancer web (app/web/5bd1…)". Holdings stored before holders had a resource
 * fall back to the instance, the name, or the kind.
 */
export function holderWords(holder: Holder): string {
  const r = holder.resource
  if (!r) {
    if (holder.instanceId) return holder.name ? `${holder.instanceId} (${holder.name})` : holder.instanceId
    return holder.name ?? `${holder.kind} ${holder.eniId}`
  }
  if (r.type === 'instance') {
    const id = r.id ?? holder.instanceId ?? `instance ENI ${holder.eniId}`
    const name = r.name ?? holder.name
    return name ? `${id} (${name})` : id
  }
  if (r.type === 'network-interface') return `${holder.kind === 'requester-managed' ? 'AWS-managed network interface' : 'network interface'} ${r.id ?? holder.eniId}`
  const words = RESOURCE_WORDS[r.type] ?? r.type
  if (r.name && r.id && r.name !== r.id) return `${words} ${r.name} (${r.id})`
  const called = r.name ?? r.id
  return called ? `${words} ${called}` : `${words} ENI ${holder.eniId}`
}
