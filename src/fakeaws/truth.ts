// Ground truth about Config that no AWS action reveals: for each configuration item, when the change it
// records really happened (changeTime) as well as when Config captured it (captureTime).
import type { ConfigChange } from './config-history.ts'
import { eniChanges, instanceChanges } from './config-history.ts'
import { configSettings } from './services/config.ts'
import type { World } from './world.ts'

/** Every configuration item of an ENI or instance (visible or not yet captured); [] if unknown. */
export function configTruth(world: World, resourceId: string): ConfigChange[] {
  world.catchUp()
  const settings = configSettings(world)
  for (const target of world.targets.values()) {
    const eni = target.eniById.get(resourceId)
    if (eni) return eniChanges(eni, settings)
    const instance = target.instanceById.get(resourceId)
    if (instance) return instanceChanges(instance, settings)
  }
  return []
}
