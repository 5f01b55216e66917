/**
 * `kubectl apply --server-side` for code: server-side apply of a set of
 * objects in dependency order — Namespaces and CustomResourceDefinitions
 * first, then (once every CRD is Established and discovery refreshed) the
 * rest in Helm's install order, custom resources last — and
 * `deleteApplied`, which deletes what was applied in reverse order and can
 * wait until it is gone.
 *
 * Permissions: whatever the transport needs; nothing more.
 *
 * @module
 */

import type { RestClient } from "../contract.ts";
import { KubernetesApiError } from "../errors/mod.ts";
import { DynamicClient } from "./dynamic_client.ts";
import {
  describeRef,
  type KubernetesObject,
  type ObjectMeta,
  type ObjectRef,
} from "./kubernetes_object.ts";
import { describeManifestSource } from "./manifest.ts";
import { UnknownKindError } from "./rest_mapper.ts";
import { crdEstablished, deleted, waitFor } from "./wait.ts";

/** One object of an {@link apply} that failed, and why. */
export class ApplyError extends Error {
  /** The object, as far as it could be named. */
  readonly ref: Partial<ObjectRef>;
  /** Where it came from (`deploy.yaml document[2] (line 14)`), for objects from `parseManifests`. */
  readonly source: string | undefined;
  /** What was applied before the failure, in order: hand it to `deleteApplied` to undo. */
  applied: AppliedObject[] = [];

  /**
   * Builds the error, naming the object and where it came from.
   *
   * @param ref The object.
   * @param detail What went wrong.
   * @param source Where it came from.
   * @param cause The underlying error (a `KubernetesApiError`, a `WaitError`, …).
   */
  constructor(
    ref: Partial<ObjectRef>,
    detail: string,
    source?: string,
    cause?: unknown,
  ) {
    const what = describeRef({
      apiVersion: ref.apiVersion ?? "?",
      kind: ref.kind ?? "?",
      name: ref.name,
      namespace: ref.namespace,
    });
    super(
      `apply ${what}${source ? ` from ${source}` : ""}: ${detail}`,
      cause === undefined ? undefined : { cause },
    );
    this.name = "ApplyError";
    this.ref = ref;
    this.source = source;
  }
}

/** Options for {@link apply}. */
export interface ApplyOptions {
  /** Who owns the applied fields. @default {"denokube"} */
  fieldManager?: string;
  /** Take over fields another manager owns instead of failing with 409 Conflict. @default {false} */
  force?: boolean;
  /**
   * The namespace of namespaced objects that name none. An object naming
   * a different one is an error, as with `kubectl apply -n`.
   * @default {the client's `defaultNamespace`, else `default`}
   */
  namespace?: string;
  /**
   * Validate everything on the server, writing nothing (`dryRun=All`).
   * Custom resources whose CRD is in the same batch cannot be checked (the
   * CRD is not created) and are returned with `skipped`.
   * @default {false}
   */
  dryRun?: boolean;
  /** How long to wait for each CRD to be Established. @default {60000} */
  crdTimeoutMs?: number;
  /** Cancels the apply between objects and during waits. */
  signal?: AbortSignal;
}

/** One applied object. */
export interface AppliedObject {
  /** The object, with the namespace it went to (none for cluster-scoped kinds). */
  ref: ObjectRef;
  /** The server's answer: the object as applied (absent when `skipped`). */
  object?: KubernetesObject;
  /** Why a dry run could not check it. */
  skipped?: string;
  /** Where it came from, for objects from `parseManifests`. */
  source?: string;
}

/**
 * The kinds Helm installs first, in its order; anything else after them,
 * in the order given. Namespaces and CRDs are applied in a phase of their own.
 */
const installOrder = [
  "Namespace",
  "NetworkPolicy",
  "ResourceQuota",
  "LimitRange",
  "PodSecurityPolicy",
  "PodDisruptionBudget",
  "ServiceAccount",
  "Secret",
  "ConfigMap",
  "StorageClass",
  "PersistentVolume",
  "PersistentVolumeClaim",
  "CustomResourceDefinition",
  "ClusterRole",
  "ClusterRoleBinding",
  "Role",
  "RoleBinding",
  "Service",
  "DaemonSet",
  "Pod",
  "ReplicationController",
  "ReplicaSet",
  "Deployment",
  "HorizontalPodAutoscaler",
  "StatefulSet",
  "Job",
  "CronJob",
  "IngressClass",
  "Ingress",
  "APIService",
];
const rankOf = new Map(installOrder.map((k, i) => [k, i]));

function isCrd(obj: KubernetesObject): boolean {
  return obj.kind === "CustomResourceDefinition" &&
    obj.apiVersion.startsWith("apiextensions.k8s.io/");
}

function isNamespace(obj: KubernetesObject): boolean {
  return obj.kind === "Namespace" && obj.apiVersion === "v1";
}

/** Fields the server sets: a fetched object applies again without them. */
const serverFields = [
  "managedFields",
  "resourceVersion",
  "uid",
  "creationTimestamp",
  "generation",
  "selfLink",
];

/**
 * The objects in the order {@link apply} applies them: Namespaces, CRDs,
 * then Helm's install order, then everything else; stable otherwise.
 *
 * @param objects The objects.
 * @returns A new array, sorted.
 */
export function applyOrder<T extends KubernetesObject>(objects: T[]): T[] {
  const rank = (o: T) =>
    isNamespace(o)
      ? -2
      : isCrd(o)
      ? -1
      : rankOf.get(o.kind) ?? installOrder.length;
  return objects.map((o, i) => ({ o, i })).sort((a, b) =>
    rank(a.o) - rank(b.o) || a.i - b.i
  ).map((x) => x.o);
}

/**
 * Server-side applies objects in dependency order and returns what was
 * applied, in that order. Every object is checked (name, namespace) before
 * anything is written; the first failure stops the apply with an
 * {@link ApplyError} naming the object and, for objects from
 * `parseManifests`, the document it came from; its `applied` lists what
 * was applied before, for `deleteApplied` to undo.
 *
 * @param client Any transport, or a {@link DynamicClient} to share its discovery.
 * @param objects The objects, such as `parseManifests(text)`.
 * @param options Field manager, force, namespace, dry run.
 * @returns What was applied, in order.
 * @throws {ApplyError} Naming the object that failed, with the cause.
 *
 * @example Apply a manifest file
 * ```ts
 * import { apply, parseManifests } from "@denokube/transport";
 * import type { RestClient } from "@denokube/transport/contract";
 *
 * async function deploy(client: RestClient, file: string): Promise<void> {
 *   const objects = parseManifests(await Deno.readTextFile(file), { source: file });
 *   const applied = await apply(client, objects, { fieldManager: "my-tool", namespace: "web" });
 *   for (const a of applied) console.log(`${a.ref.kind} ${a.ref.name} applied`);
 * }
 * ```
 */
export async function apply(
  client: RestClient | DynamicClient,
  objects: KubernetesObject[],
  options: ApplyOptions = {},
): Promise<AppliedObject[]> {
  const dyn = DynamicClient.for(client);
  const defaultNs = options.namespace || dyn.client.defaultNamespace ||
    "default";
  // Check everything before writing anything.
  for (const obj of objects) {
    const source = describeManifestSource(obj);
    const name = obj.metadata?.name;
    if (typeof name !== "string" || name === "") {
      throw new ApplyError(
        { apiVersion: obj.apiVersion, kind: obj.kind },
        obj.metadata?.generateName
          ? "metadata.name is missing (server-side apply cannot use generateName)"
          : "metadata.name is missing",
        source,
      );
    }
    const ns = obj.metadata?.namespace;
    if (options.namespace && ns && ns !== options.namespace) {
      throw new ApplyError(
        refOfObj(obj),
        `the object's namespace ${
          JSON.stringify(ns)
        } does not match the namespace ${
          JSON.stringify(options.namespace)
        } to apply to`,
        source,
      );
    }
  }
  const applied: AppliedObject[] = [];
  try {
    await applyInOrder(dyn, objects, defaultNs, options, applied);
  } catch (err) {
    if (err instanceof ApplyError) err.applied = applied;
    throw err;
  }
  return applied;
}

async function applyInOrder(
  dyn: DynamicClient,
  objects: KubernetesObject[],
  defaultNs: string,
  options: ApplyOptions,
  applied: AppliedObject[],
): Promise<void> {
  const ordered = applyOrder(objects);
  const first = ordered.filter((o) => isNamespace(o) || isCrd(o));
  const rest = ordered.filter((o) => !isNamespace(o) && !isCrd(o));
  const newKinds = new Set<string>();
  for (const obj of first) {
    applied.push(await applyOne(dyn, obj, defaultNs, options));
    if (isCrd(obj)) {
      const spec = obj.spec as { group?: string; names?: { kind?: string } };
      newKinds.add(`${spec?.group}/${spec?.names?.kind}`);
    }
  }
  const crds = applied.filter((a) => a.ref.kind === "CustomResourceDefinition");
  if (crds.length && !options.dryRun) {
    for (const a of crds) {
      try {
        await waitFor(dyn, a.ref, crdEstablished(), {
          timeoutMs: options.crdTimeoutMs ?? 60_000,
          signal: options.signal,
        });
      } catch (err) {
        throw new ApplyError(
          a.ref,
          `the CRD did not become Established: ${errorText(err)}`,
          a.source,
          err,
        );
      }
    }
    dyn.mapper.discovery.refresh();
  }
  for (const obj of rest) {
    try {
      applied.push(await applyOne(dyn, obj, defaultNs, options));
    } catch (err) {
      const group = obj.apiVersion.includes("/")
        ? obj.apiVersion.slice(0, obj.apiVersion.indexOf("/"))
        : "";
      if (
        options.dryRun && err instanceof ApplyError &&
        err.cause instanceof UnknownKindError &&
        newKinds.has(`${group}/${obj.kind}`)
      ) {
        applied.push({
          ref: refOfObj(obj),
          skipped:
            "its CRD is in the same batch and a dry run does not create it",
          ...sourceField(obj),
        });
        continue;
      }
      throw err;
    }
  }
}

async function applyOne(
  dyn: DynamicClient,
  obj: KubernetesObject,
  defaultNs: string,
  options: ApplyOptions,
): Promise<AppliedObject> {
  options.signal?.throwIfAborted();
  const source = describeManifestSource(obj);
  let ref = refOfObj(obj);
  try {
    const mapping = await dyn.mapping(obj.apiVersion, obj.kind);
    const namespace = mapping.namespaced
      ? obj.metadata?.namespace || defaultNs
      : undefined;
    ref = { ...ref, ...(namespace ? { namespace } : {}) };
    if (!namespace) delete ref.namespace;
    const metadata: ObjectMeta = { ...obj.metadata };
    for (const f of serverFields) delete metadata[f];
    if (namespace) metadata.namespace = namespace;
    else delete metadata.namespace;
    const object = await dyn.apply({ ...obj, metadata }, {
      fieldManager: options.fieldManager,
      force: options.force,
      dryRun: options.dryRun,
      signal: options.signal,
    });
    return { ref, object, ...(source ? { source } : {}) };
  } catch (err) {
    if (options.signal?.aborted) throw options.signal.reason;
    throw new ApplyError(ref, errorText(err), source, err);
  }
}

function refOfObj(obj: KubernetesObject): ObjectRef {
  const ns = obj.metadata?.namespace;
  return {
    apiVersion: obj.apiVersion,
    kind: obj.kind,
    name: obj.metadata?.name ?? "",
    ...(ns ? { namespace: ns } : {}),
  };
}

function sourceField(obj: KubernetesObject): { source?: string } {
  const source = describeManifestSource(obj);
  return source ? { source } : {};
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Options for {@link deleteApplied}. */
export interface DeleteAppliedOptions {
  /**
   * What happens to dependents: `Background` (the server's default for
   * most kinds), `Foreground` (the object goes only after them) or `Orphan`.
   * @default {the server's default}
   */
  propagationPolicy?: "Background" | "Foreground" | "Orphan";
  /** Seconds pods get to stop. @default {each pod's own} */
  gracePeriodSeconds?: number;
  /** Wait until every object is gone (finalizers, namespaces emptied). @default {false} */
  wait?: boolean;
  /** How long to wait for all of them, with `wait`. @default {300000} */
  timeoutMs?: number;
  /** The namespace for namespaced objects that name none (as given to `apply`). @default {the client's `defaultNamespace`, else `default`} */
  namespace?: string;
  /** Cancels the deletes and the wait. */
  signal?: AbortSignal;
}

/** One object {@link deleteApplied} handled. */
export interface DeletedObject {
  /** The object. */
  ref: ObjectRef;
  /** `false` when it was already gone. */
  existed: boolean;
}

/**
 * Deletes what {@link apply} applied (or any objects), in reverse order —
 * custom resources before their CRDs, Namespaces last — ignoring objects
 * already gone, then, if asked, waits until every one has disappeared.
 *
 * @param client Any transport, or a {@link DynamicClient}.
 * @param objects What `apply` returned, or objects.
 * @param options Propagation, grace period, wait and its deadline.
 * @returns Each object, in the order deleted, and whether it existed.
 * @throws {ApplyError} Naming the object whose deletion failed, or did not finish in time.
 *
 * @example
 * ```ts
 * import { apply, deleteApplied, type KubernetesObject } from "@denokube/transport";
 * import type { RestClient } from "@denokube/transport/contract";
 *
 * async function roundTrip(client: RestClient, objects: KubernetesObject[]): Promise<void> {
 *   const applied = await apply(client, objects);
 *   await deleteApplied(client, applied, { wait: true, timeoutMs: 120_000 });
 * }
 * ```
 */
export async function deleteApplied(
  client: RestClient | DynamicClient,
  objects: (AppliedObject | KubernetesObject)[],
  options: DeleteAppliedOptions = {},
): Promise<DeletedObject[]> {
  const dyn = DynamicClient.for(client);
  const refs = objects.map((o) =>
    "ref" in o && typeof o.ref === "object" && o.ref !== null &&
      !("apiVersion" in o)
      ? { ref: o.ref as ObjectRef, source: (o as AppliedObject).source }
      : {
        ref: refOfObj(o as KubernetesObject),
        source: describeManifestSource(o as KubernetesObject),
      }
  );
  // Reverse of apply's order: sort as apply would, then walk backwards.
  const order = applyOrder(
    refs.map((r, i) => ({
      apiVersion: r.ref.apiVersion,
      kind: r.ref.kind,
      metadata: { name: String(i) },
    })),
  ).map((o) => refs[Number(o.metadata!.name)]).reverse();
  const out: DeletedObject[] = [];
  for (const { ref, source } of order) {
    options.signal?.throwIfAborted();
    const target = { ...ref, namespace: ref.namespace ?? options.namespace };
    try {
      await dyn.delete(target, {
        propagationPolicy: options.propagationPolicy,
        gracePeriodSeconds: options.gracePeriodSeconds,
        signal: options.signal,
      });
      out.push({ ref: target, existed: true });
    } catch (err) {
      if (err instanceof KubernetesApiError && err.isNotFound()) {
        out.push({ ref: target, existed: false });
        continue;
      }
      if (err instanceof UnknownKindError) {
        // Its CRD (deleted just before) took its kind, and the objects, with it.
        out.push({ ref: target, existed: false });
        continue;
      }
      if (options.signal?.aborted) throw options.signal.reason;
      throw new ApplyError(
        target,
        `delete failed: ${errorText(err)}`,
        source,
        err,
      );
    }
  }
  if (options.wait) {
    const deadline = Date.now() + (options.timeoutMs ?? 300_000);
    await Promise.all(
      out.filter((d) => d.existed).map(async (d) => {
        try {
          await waitFor(dyn, d.ref, deleted(), {
            timeoutMs: Math.max(1, deadline - Date.now()),
            signal: options.signal,
          });
        } catch (err) {
          // Gone with its CRD: the kind (or its collection) is no longer served.
          if (err instanceof UnknownKindError) return;
          if (err instanceof KubernetesApiError && err.isNotFound()) return;
          if (options.signal?.aborted) throw options.signal.reason;
          throw new ApplyError(
            d.ref,
            `not deleted: ${errorText(err)}`,
            undefined,
            err,
          );
        }
      }),
    );
  }
  return out;
}
