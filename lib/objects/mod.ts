/**
 * Helpers for deploy tools and operators, generic over plain JSON objects
 * (typed per-kind classes are the generated API layer's job), on every
 * {@link RestClient}: discovery and REST mapping, a dynamic client, manifests,
 * server-side apply in dependency order, waiting for conditions, scale and
 * restart, leader election.
 *
 * Helpers for deploy tools and operators, generic over plain JSON objects (typed
 * per-kind classes are the generated API layer's job), on every `RestClient`:
 *
 * ```ts
 * import {
 *   apply,
 *   deleteApplied,
 *   deploymentAvailable,
 *   parseManifests,
 *   restart,
 *   scale,
 *   waitFor,
 * } from "@denokube/transport/objects";
 * import type { RestClient } from "@denokube/transport";
 *
 * declare const client: RestClient;
 *
 * const objects = parseManifests(await Deno.readTextFile("app.yaml"), {
 *   source: "app.yaml",
 * });
 * const applied = await apply(client, objects, {
 *   fieldManager: "my-tool",
 *   namespace: "shop",
 * });
 * const web = {
 *   apiVersion: "apps/v1",
 *   kind: "Deployment",
 *   name: "web",
 *   namespace: "shop",
 * };
 * await waitFor(client, web, deploymentAvailable(), { timeoutMs: 120_000 });
 * await scale(client, web, 3);
 * await restart(client, web); // kubectl rollout restart
 * await deleteApplied(client, applied, { wait: true });
 * ```
 *
 * - `Discovery`, `RestMapper` —
 *   aggregated discovery (`apidiscovery.k8s.io/v2`, Kubernetes ≥ 1.26: two
 *   requests) or legacy (`/api`, `/apis`, then only the group-versions asked
 *   about); cached 5 minutes (`ttlMs`); a miss refreshes once (a CRD just
 *   created); `mapping(apiVersion, kind)` → resource, scope, verbs,
 *   subresources; `preferredVersion(group)`; `resourcePath()`; Deno flags: the
 *   transport's
 * - `DynamicClient` — `get`, `list` (every
 *   page, label/field selectors, one full list on an expired continue token;
 *   each item carries `apiVersion` and `kind`, set from the list as client-go
 *   does, so `refOf(item)` works),
 *   `create`, `replace`, `patch` (`merge`, `json`, `strategic`, `apply` with
 *   `fieldManager`/`force`), `apply`, `delete` (`propagationPolicy`,
 *   `gracePeriodSeconds`, `dryRun`), `watch` — by
 *   `apiVersion`/`kind`/name/namespace; the namespace defaults to the
 *   client's, then `default`; Deno flags: the transport's
 * - `parseManifests`, `serializeManifests`  —
 *   multi-document YAML, or JSON objects one after another (`jq -c` output),
 *   `List` kinds unpacked; each object remembers its document
 *   (`manifestSource`); scalars read as kubectl reads them (`0644` is 420,
 *   `yes` is true, dates stay strings); per-document bounds on length (3 MiB),
 *   aliases (1000) and expanded size (32 Mi) against alias bombs; `<<` merge
 *   keys as kubectl merges them; writes YAML (YAML 1.1 look-alikes quoted) or
 *   a JSON `List`; Deno flags: none (`--allow-read=FILE` to read the file
 *   yourself)
 * - `apply`, `deleteApplied`  — server-side apply in
 *   dependency order: Namespaces and CRDs, then (each CRD Established,
 *   discovery refreshed) Helm's install order, custom resources last; every
 *   object checked before any write; `dryRun`; returns what was applied;
 *   `deleteApplied` deletes in reverse, ignores what is gone, waits if asked.
 *   Before Kubernetes 1.21 server-side apply needs `protocol` spelled out in
 *   ports; Deno flags: the transport's
 * - applied sets (`apply`'s `appliedSet`), `listAppliedSet`,
 *   `deleteAppliedSet` — kubectl's ApplySet (KEP-3659, `kubectl apply --prune
 *   --applyset=configmap/NAME`): a Secret or ConfigMap parent (created when
 *   missing), or a custom resource whose CRD is labelled
 *   `applyset.kubernetes.io/is-parent-type` (cluster-scoped or namespaced;
 *   it must exist, as kubectl requires) carries the id
 *   label kubectl computes (`appliedSetId`) and the `tooling`,
 *   `contains-group-kinds` and `additional-namespaces` annotations; each
 *   member is labelled `applyset.kubernetes.io/part-of`; after the apply,
 *   members that left the manifest are deleted (`Background`) and the parent
 *   shrinks to the new set. A set may span namespaces (kubectl's `-n` cannot;
 *   kubectl with a cluster-scoped custom resource parent can).
 *   Each tool refuses to change the other's parent (`AppliedSetError`
 *   `ForeignTooling`; kubectl: "managed by tooling … instead of …"); reading
 *   works either way:
 *
 * ```ts
 * import { apply, deleteAppliedSet, listAppliedSet, type KubernetesObject } from "@denokube/transport/objects";
 * import type { RestClient } from "@denokube/transport";
 *
 * declare const client: RestClient;
 * declare const objects: KubernetesObject[];
 *
 * const parent = { kind: "ConfigMap", name: "shop", namespace: "shop" } as const;
 * await apply(client, objects, { appliedSet: { parent } }); // prunes what left
 * for (const m of await listAppliedSet(client, parent)) {
 *   console.log(`${m.ref.kind} ${m.ref.name}: ${m.status}`);
 * }
 * await deleteAppliedSet(client, parent, { wait: true });
 * ```
 *
 * - `waitFor` and conditions  — list, then watch from
 *   the list's resourceVersion (the Reflector's policy: a 410 relists and a
 *   very short watch resumes after a backoff); `podRunning`, `podReady`,
 *   `podSucceeded` (fail fast on image pull errors, CrashLoopBackOff with the
 *   last termination message, Unschedulable with the scheduler's message, a
 *   failed pod), `deploymentAvailable`, `deploymentRolledOut`,
 *   `crdEstablished`, `deleted`, `hasCondition(type)`, or any predicate; Deno
 *   flags: the transport's
 * - `waitForNone` — until no object of a collection matches a selector
 *   (`kubectl wait --for=delete -l app=web`, such as the pods of a workload
 *   scaled to zero), on the same list/watch loop; a Timeout names what is
 *   left; Deno flags: the transport's
 * - `setImage`, `setEnv`, `waitForRollout` — `kubectl set image`,
 *   `kubectl set env` (`NAME=value`, `NAME-`) and `kubectl rollout status`:
 *   one strategic merge patch of the named containers (or `"*"`), then,
 *   when asked, a wait with kubectl's rules per kind; Deno flags: the
 *   transport's
 * - `scale`, `getScale`, `restart` — the `scale`
 *   subresource; `restart` sets the pod template's
 *   `kubectl.kubernetes.io/restartedAt`, as `kubectl rollout restart` does
 *   (refuses paused Deployments and kinds without a pod template); Deno flags:
 *   the transport's
 * - `LeaderElector` — leader election on a
 *   `coordination.k8s.io/v1` Lease with client-go's semantics: lease duration,
 *   renew deadline, retry period, release on stop, callbacks for
 *   started/stopped leading and a new leader; Deno flags: the transport's
 *
 * Every helper accepts a `RestClient` or a `DynamicClient`; calls with the same
 * transport share one discovery cache.
 *
 * Deno permissions: the transport's; `parseManifests` reads no file (pass the
 * text), so reading a manifest needs `--allow-read` on it.
 *
 * ## Importing from outside this repository
 *
 * Scripts without this repository's `deno.json` can import the library by file or
 * URL
 * (`import { parseManifests } from "file:///path/to/lib/objects/manifest.ts"`):
 * YAML comes from js-yaml through its full specifier in `lib/_internal/yaml.ts`,
 * not through an import-map alias. `test/unit/importable_test.ts` runs such a
 * script from a temp directory.
 *
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
export { apply, type ApplyOptions, applyOrder } from "./apply.ts";
export {
  deleteApplied,
  type DeleteAppliedOptions,
  type DeletedObject,
} from "./delete_applied.ts";
export {
  APPLIED_SET_TOOLING,
  appliedSetId,
  type AppliedSetMember,
  type AppliedSetOptions,
  type AppliedSetParentRef,
  type AppliedSetReadOptions,
  deleteAppliedSet,
  listAppliedSet,
} from "./applyset.ts";
export {
  waitFor,
  waitForNone,
  type WaitForNoneOptions,
  type WaitForOptions,
} from "./wait.ts";
export {
  assertPodCanRun,
  crdEstablished,
  daemonSetRolledOut,
  deleted,
  deploymentAvailable,
  deploymentRolledOut,
  exists,
  hasCondition,
  podReady,
  podRunning,
  podSucceeded,
  statefulSetRolledOut,
} from "./conditions.ts";
export { getScale, restart, type Scale, scale } from "./scale.ts";
export {
  rolloutCondition,
  setEnv,
  type SetEnvOptions,
  setImage,
  type SetImageOptions,
  waitForRollout,
  type WaitForRolloutOptions,
} from "./rollout.ts";
export {
  type ContainerUsage,
  type MetricsOptions,
  nodeMetrics,
  type NodeUsage,
  podMetrics,
  type PodMetricsOptions,
  type PodUsage,
} from "./metrics.ts";
export { parseQuantity } from "./quantity.ts";
export {
  type LeaderElectionOptions,
  type LeaderElectionRecord,
  LeaderElector,
} from "./leader_election.ts";
export {
  type AppliedObject,
  AppliedSetError,
  type AppliedSetErrorReason,
  ApplyError,
  type ApplyErrorReason,
  DiscoveryError,
  ManifestError,
  type ManifestErrorReason,
  type ManifestSource,
  MetricsError,
  type MetricsErrorReason,
  UnknownKindError,
  type UnknownKindErrorReason,
  type WaitCondition,
  WaitError,
  type WaitFailure,
} from "../errors/mod.ts";
