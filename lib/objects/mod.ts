/**
 * @module
 */

export {
  type KubernetesObject,
  type ObjectMeta,
  type ObjectRef,
  refOf,
} from "./kubernetes_object.ts";
export {
  type ApiGroup,
  type ApiResource,
  type ApiSubresource,
  Discovery,
  type DiscoveryOptions,
} from "./discovery.ts";
export {
  resourcePath,
  type ResourcePathOptions,
  RestMapper,
  type RestMapperOptions,
  type RestMapping,
} from "./rest_mapper.ts";
export {
  type ApplyObjectOptions,
  type CollectionRef,
  type DeleteOptions,
  DynamicClient,
  type DynamicClientOptions,
  type ListOptions,
  type ObjectList,
  type PatchOptions,
  type PatchType,
  type WatchOptions,
  type WriteOptions,
} from "./dynamic_client.ts";
export {
  manifestSource,
  parseManifests,
  type ParseManifestsOptions,
  serializeManifests,
  type SerializeManifestsOptions,
} from "./manifest.ts";
export { apply, applyOrder, type ApplyOptions } from "./apply.ts";
export {
  deleteApplied,
  type DeleteAppliedOptions,
  type DeletedObject,
} from "./delete_applied.ts";
export { waitFor, type WaitForOptions } from "./wait.ts";
export {
  crdEstablished,
  deleted,
  deploymentAvailable,
  deploymentRolledOut,
  hasCondition,
  podReady,
  podRunning,
  podSucceeded,
} from "./conditions.ts";
export { getScale, restart, type Scale, scale } from "./scale.ts";
export {
  type LeaderElectionOptions,
  type LeaderElectionRecord,
  LeaderElector,
} from "./leader_election.ts";
export {
  type AppliedObject,
  ApplyError,
  type ApplyErrorReason,
  DiscoveryError,
  ManifestError,
  type ManifestErrorReason,
  type ManifestSource,
  UnknownKindError,
  type UnknownKindErrorReason,
  type WaitCondition,
  WaitError,
  type WaitFailure,
} from "../errors/mod.ts";
