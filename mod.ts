/**
 * A Kubernetes transport library for Deno: authenticated requests to the
 * Kubernetes API through one {@link RestClient} contract that generated API
 * layers call for every request, the clients that implement it, and the
 * helpers almost every script uses.
 *
 * The root is small on purpose: the contract (kubernetes_client v0.7.3's
 * names, so generated code works unchanged), the errors users catch, the
 * client factories, and a handful of helpers. Everything else lives in one
 * entry point per area, each with its manual as its module doc:
 *
 * - `@denokube/transport/errors`: every error class, the `Status`, the table of
 *   what each error means
 * - `@denokube/transport/kubeconfig`: kubeconfig loading, contexts,
 *   credentials, exec plugins
 * - `@denokube/transport/transports`: the four transports, `autoDetectClient`,
 *   their options, TLS and the Deno flags each needs
 * - `@denokube/transport/watch`: the Reflector, `listWatch`, backoff, stores,
 *   stream transformers, pagination, WatchList
 * - `@denokube/transport/tunnels`: exec, attach, port-forward (to a pod, a
 *   Service, a Deployment), logs
 * - `@denokube/transport/objects`: objects of any kind, discovery, the REST
 *   mapper, the dynamic client, manifests, apply, wait, scale, leader election
 * - `@denokube/transport/contract` and `@denokube/transport/stream-transformers`:
 *   the modules v0.7.3's generated code imports
 * - `@denokube/transport/testing`: a real control plane (and node) for tests
 *
 * Every non-2xx answer, on every transport, rejects with a
 * {@link KubernetesApiError} that carries the Kubernetes `Status`; a request
 * that got no answer rejects with a {@link TransportError}; every error of the
 * library is a {@link KubernetesClientError}.
 *
 * Deno permissions: those of the transport you pick (see the transports
 * entry point); {@link autoDetectClient} never prompts, it names the flag
 * that is missing.
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
 * @example A client wherever the script runs
 * ```ts
 * import { autoDetectClient } from "@denokube/transport";
 *
 * await using client = await autoDetectClient(); // in a pod, on a laptop, in CI
 * const pods = await client.performRequest({
 *   method: "GET",
 *   path: "/api/v1/namespaces/default/pods",
 *   expectJson: true,
 * });
 * console.log(pods);
 * ```
 *
 * @module
 */

// The contract generated API layers call (kept as in kubernetes_client v0.7.3).
export type {
  ApiKind,
  ClosableRestClient,
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

// The errors users catch, under one base.
export {
  ApplyError,
  AutoDetectError,
  CredentialError,
  KubeConfigError,
  KubectlError,
  KubernetesApiError,
  KubernetesClientError,
  type Status,
  StreamDecodeError,
  TransportError,
  TunnelError,
  WaitError,
} from "./lib/errors/mod.ts";

// The client factories (v0.7.3's root exported KubeConfig, KubeConfigContext
// and the transports).
export { KubeConfig, KubeConfigContext } from "./lib/config/mod.ts";
export {
  autoDetectClient,
  InClusterRestClient,
  KubeConfigRestClient,
  KubectlProxyRestClient,
  KubectlRawRestClient,
} from "./transports/mod.ts";

// Watches (v0.7.3's root exported the Reflector, the stream transformers and
// the pagination helpers).
export {
  JsonLinesDecoder,
  JsonParsingTransformer,
  LineSplitter,
  listWatch,
  readAllItems,
  readAllPages,
  Reflector,
  WatchEventTransformer,
} from "./lib/watch/mod.ts";

// Tunnels.
export { execCommand, portForward, streamLogs } from "./lib/tunnels/mod.ts";

// Objects of any kind.
export {
  apply,
  DynamicClient,
  type KubernetesObject,
  parseManifests,
  waitFor,
} from "./lib/objects/mod.ts";

// The types the root's signatures name, so its page is complete on its own
// (`deno doc --lint mod.ts`); each is also exported by its area entry.
export type {
  AppliedObject,
  AppliedSetParentRef,
  ApplyErrorReason,
  AutoDetectAttempt,
  AutoDetectErrorReason,
  AutoDetectSource,
  FailedRequest,
  KubeConfigErrorReason,
  StatusCause,
  StatusDetails,
  StreamDecodeErrorReason,
  TransportFailure,
  TransportRequest,
  TunnelErrorReason,
  TunnelTarget,
  WaitCondition,
  WaitFailure,
} from "./lib/errors/mod.ts";
export type {
  ClusterConfig,
  ContextConfig,
  CredentialsOptions,
  KubeConfigContextSource,
  NamedExtension,
  RawKubeConfig,
  UserAuthProviderConfig,
  UserConfig,
  UserExecConfig,
} from "./lib/config/mod.ts";
export type { AutoDetectOptions } from "./transports/mod.ts";
export type {
  ApiStatus,
  KindIds,
  KindIdsReq,
  ListOf,
  ListOpts,
  ListPage,
  ListWatch,
  ReflectorEvent,
  ReflectorModifiedEvent,
  ReflectorObjectEvent,
  WatchEventSynced,
  WatchOpts,
} from "./lib/watch/mod.ts";
export type {
  ExecOptions,
  ExecResult,
  ExecStatus,
  PodName,
  PortForward,
  PortForwardOptions,
  StreamLogsOptions,
} from "./lib/tunnels/mod.ts";
export type {
  ApiGroup,
  ApiResource,
  ApiSubresource,
  AppliedSetOptions,
  ApplyObjectOptions,
  ApplyOptions,
  CollectionRef,
  DeleteOptions,
  Discovery,
  ListOptions,
  ObjectList,
  ObjectMeta,
  ObjectRef,
  ParseManifestsOptions,
  PatchOptions,
  PatchType,
  RestMapper,
  RestMapping,
  WaitForOptions,
  WatchOptions,
  WriteOptions,
} from "./lib/objects/mod.ts";
