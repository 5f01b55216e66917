/**
 * A Kubernetes transport library for Deno: authenticated requests to the
 * Kubernetes API through one {@link RestClient} contract that generated API
 * layers call for every request, the clients that implement it, and what
 * consumers build on it (watches and a Reflector, tunnels, objects of any
 * kind, apply, waiting, logs, port-forward).
 *
 * Every non-2xx answer, on every transport, rejects with a
 * {@link KubernetesApiError} that carries the Kubernetes `Status`; a request
 * that got no answer rejects with a {@link TransportError}.
 *
 * This entry point exports what applications use. Lower-level pieces
 * (credential plumbing, error builders, protocol constants) stay importable
 * from their subpaths (`./credentials`, `./errors`, `./exec-credential`, …).
 *
 * @example Handling a missing object
 * ```ts
 * import { KubernetesApiError, type RestClient } from "@denokube/transport";
 *
 * async function podExists(client: RestClient, ns: string, name: string): Promise<boolean> {
 *   try {
 *     await client.performRequest({
 *       method: "GET",
 *       path: `/api/v1/namespaces/${ns}/pods/${name}`,
 *       expectJson: true,
 *     });
 *     return true;
 *   } catch (err) {
 *     if (err instanceof KubernetesApiError && err.isNotFound()) return false;
 *     throw err;
 *   }
 * }
 * ```
 *
 * @module
 */

// The contract generated API layers call (kept as in kubernetes_client v0.7.3).
export type {
  ApiKind,
  ClosableRestClient, // added by #21: what every factory returns
  HttpMethods,
  JSONArray,
  JSONObject,
  JSONPrimitive,
  JSONValue,
  KubernetesTunnel,
  RequestOptions,
  RestClient,
  TunnelChannel,
  TunnelChannelOptions,
  WatchEvent,
  WatchEventBookmark,
  WatchEventError,
  WatchEventObject,
} from "./lib/contract.ts";
export {
  type ListPage,
  readAllItems,
  readAllPages,
} from "./lib/watch/pagination.ts";

// Errors: one per layer, under one base.
export {
  // added by #21: each class's `reason` union
  type ApplyErrorReason,
  type AutoDetectErrorReason,
  CredentialError,
  type FailedRequest,
  KubeConfigError,
  type KubeConfigErrorReason,
  type KubeConfigLocation,
  KubectlError,
  KubernetesApiError,
  KubernetesClientError, // added by #21: the base of every error class
  type ManifestErrorReason,
  PathSegmentError,
  type PathSegmentErrorReason,
  type PathSegmentField,
  ReflectorError, // added by #21: what a Reflector's onError is given
  type ReflectorErrorReason, // added by #21
  type Status,
  type StatusCause,
  type StatusDetails,
  StreamDecodeError,
  type StreamDecodeErrorReason,
  TransportError,
  type TransportErrorOptions,
  type TransportFailure,
  type TransportRequest,
  type UnknownKindErrorReason,
} from "./lib/errors/mod.ts";

// Configuration: kubeconfig files, contexts.
export {
  type ClusterConfig,
  type ContextConfig,
  type CredentialsOptions,
  ExecAuthExtensionName,
  KubeConfig,
  KubeConfigContext,
  type KubeConfigContextSource,
  type KubeConfigOrigins,
  mergeKubeConfigs,
  type NamedExtension,
  type RawKubeConfig,
  type UserAuthProviderConfig,
  type UserConfig,
  type UserExecConfig,
} from "./lib/config/mod.ts";
export {
  currentContext,
  type KubeConfigFilesOptions,
  type KubeContextInfo,
  listContexts,
  setContextNamespace,
  useContext,
} from "./lib/config/kubeconfig_contexts.ts";

// Clients: the transports (on one request base), and the one that picks
// among them.
export {
  KubeConfigRestClient,
  type KubeConfigRestClientOptions,
  type RateLimitOptions,
  type RetryOptions,
} from "./transports/kubeconfig.ts";
export {
  KubectlRawRestClient,
  type KubectlRawRestClientOptions,
} from "./transports/kubectl_raw.ts";
export {
  type KubectlProxyOptions,
  KubectlProxyRestClient,
} from "./transports/kubectl_proxy.ts";
export {
  type InClusterOptions,
  InClusterRestClient,
} from "./transports/in_cluster.ts";
export {
  type AutoDetectAttempt,
  autoDetectClient,
  AutoDetectError,
  type AutoDetectOptions,
  type AutoDetectSource,
} from "./transports/auto_detect.ts";

// Watches: stream decoding, the Reflector, its backoff.
export {
  JsonLinesDecoder,
  JsonParsingTransformer,
  LineSplitter,
  WatchEventTransformer,
} from "./lib/watch/stream_transformers.ts";
export {
  type ApiStatus,
  type KindIds,
  type KindIdsReq,
  type ListOf,
  type ListOpts,
  MapStore,
  Reflector,
  type ReflectorClock,
  type ReflectorEvent,
  type ReflectorModifiedEvent,
  type ReflectorObjectEvent,
  type ReflectorOptions,
  type ReflectorState,
  type ReflectorStore,
  type WatchEventSynced,
  WatchListSupport,
  type WatchListVerdict,
  type WatchOpts,
} from "./lib/watch/mod.ts";
export { type ListWatch, listWatch } from "./lib/watch/list_watch.ts";
export {
  type Backoff,
  ExponentialBackoff,
  type ExponentialBackoffOptions,
} from "./lib/watch/backoff.ts";

// Tunnels: exec, attach, port-forward.
export {
  type AttachOptions,
  execCommand,
  type ExecOptions,
  type ExecResult,
  type ExecSession,
  type ExecStatus,
  exitCodeOf,
  openAttach,
  openExec,
} from "./lib/tunnels/exec.ts";
export {
  type PortForward,
  portForward,
  type PortForwardOptions,
} from "./lib/tunnels/port_forward.ts";
export {
  type DeploymentForwardOptions,
  portForwardDeployment,
  portForwardService,
  type ServiceForwardOptions,
  type WorkloadForwardOptions,
  type WorkloadPortForward,
} from "./lib/tunnels/port_forward_service.ts";
export {
  TunnelError,
  type TunnelErrorReason,
  type TunnelTarget,
} from "./lib/tunnels/tunnel_error.ts";
export {
  type PodName,
  streamLogs,
  type StreamLogsOptions,
} from "./lib/tunnels/logs.ts";
export {
  LogError,
  type LogErrorReason,
  type LogTarget,
} from "./lib/tunnels/log_error.ts";

// Objects of any kind: discovery, mapping, the dynamic client, manifests,
// apply, waiting, scale.
export {
  type KubernetesObject,
  type ObjectMeta,
  type ObjectRef,
  refOf,
} from "./lib/objects/kubernetes_object.ts";
export {
  type ApiGroup,
  type ApiResource,
  type ApiSubresource,
  Discovery,
  DiscoveryError,
  type DiscoveryOptions,
} from "./lib/objects/discovery.ts";
export {
  resourcePath,
  type ResourcePathOptions,
  RestMapper,
  type RestMapperOptions,
  type RestMapping,
  UnknownKindError,
} from "./lib/objects/rest_mapper.ts";
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
} from "./lib/objects/dynamic_client.ts";
export {
  ManifestError,
  type ManifestSource,
  manifestSource,
  parseManifests,
  type ParseManifestsOptions,
  serializeManifests,
  type SerializeManifestsOptions,
} from "./lib/objects/manifest.ts";
export {
  type AppliedObject,
  apply,
  ApplyError,
  type ApplyOptions,
  deleteApplied,
  type DeleteAppliedOptions,
  type DeletedObject,
} from "./lib/objects/apply.ts";
export { waitFor, type WaitForOptions } from "./lib/objects/wait.ts";
export {
  type WaitCondition,
  WaitError,
  type WaitFailure,
} from "./lib/objects/wait_error.ts";
export {
  crdEstablished,
  deleted,
  deploymentAvailable,
  deploymentRolledOut,
  hasCondition,
  podReady,
  podRunning,
  podSucceeded,
} from "./lib/objects/conditions.ts";
export { getScale, restart, type Scale, scale } from "./lib/objects/scale.ts";
