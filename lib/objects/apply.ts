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
 * Applying (and waiting for CRDs) is here; `apply_order.ts` holds the order,
 * `apply_error.ts` the error, `delete_applied.ts` the undo.
 *
 * @module
 */

import { partialRefOf } from "./_object_ref.ts";
import { errorText } from "../_internal/error_text.ts";
import type { RestClient } from "../contract.ts";
import { DynamicClient } from "./dynamic_client.ts";
import type { KubernetesObject, ObjectMeta } from "./kubernetes_object.ts";
import { describeManifestSource } from "./manifest.ts";
import { UnknownKindError } from "./rest_mapper.ts";
import { crdEstablished, waitFor } from "./wait.ts";
import { type AppliedObject, ApplyError } from "./apply_error.ts";
import { applyOrder, isCrd, isNamespace } from "./apply_order.ts";
import { pathSegment } from "../_wire/api_path.ts";
import { applyHint } from "./_apply_hint.ts";
import {
  type AppliedSetOptions,
  beginAppliedSet,
  finishAppliedSet,
} from "./applyset.ts";

export { type AppliedObject, ApplyError } from "./apply_error.ts";
export { applyOrder } from "./apply_order.ts";
export {
  deleteApplied,
  type DeleteAppliedOptions,
  type DeletedObject,
} from "./delete_applied.ts";

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
  /**
   * Apply as an applied set (kubectl's `--prune --applyset=`): label every
   * object as a member of the set the parent records, and after the apply
   * delete the members that left the manifest. See `applyset.ts`.
   * @default {no set: nothing labelled, nothing pruned}
   */
  appliedSet?: AppliedSetOptions;
  /** Cancels the apply between objects and during waits. */
  signal?: AbortSignal;
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
 * Server-side applies objects in dependency order and returns what was
 * applied, in that order. Every object is checked (name, namespace: present,
 * and usable as a path segment, not `.` or `..`, without `/` or `%`) before
 * anything is written; the first failure stops the apply with an
 * {@link ApplyError} naming the object and, for objects from
 * `parseManifests`, the document it came from; its `applied` lists what
 * was applied before, for `deleteApplied` to undo.
 *
 * @param client Any transport, or a {@link DynamicClient} to share its discovery.
 * @param objects The objects, such as `parseManifests(text)`.
 * @param options Field manager, force, namespace, dry run.
 * @returns What was applied, in order.
 * @throws {ApplyError} Naming the object that failed, with the cause (a
 *   `PathSegmentError` for a name or namespace that cannot be a path segment).
 *   A refusal whose server message does not say what to do names the field
 *   and the fix first: on servers before 1.21 a Service port without
 *   `protocol` fails with HTTP 500, and the error starts
 *   `spec.ports[0].protocol: set protocol: TCP; servers before 1.21 require it for server-side apply`.
 * @throws {AppliedSetError} With `appliedSet`: a parent of another tool or
 *   another set, an object of another set (before anything is written), or
 *   a failed prune or parent update (after the apply).
 * @throws {PathSegmentError} When the namespace to apply to (`options.namespace`, else the client's) cannot be a path segment.
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
  pathSegment("namespace", defaultNs, "apply");
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
    try {
      pathSegment("name", name);
      if (ns) pathSegment("namespace", ns);
    } catch (err) {
      throw new ApplyError(partialRefOf(obj), errorText(err), source, err);
    }
    if (options.namespace && ns && ns !== options.namespace) {
      throw new ApplyError(
        partialRefOf(obj),
        `the object's namespace ${
          JSON.stringify(ns)
        } does not match the namespace ${
          JSON.stringify(options.namespace)
        } to apply to`,
        source,
      );
    }
  }
  const set = options.appliedSet &&
    await beginAppliedSet(dyn, objects, defaultNs, options.appliedSet, options);
  const applied: AppliedObject[] = [];
  try {
    await applyInOrder(
      dyn,
      set?.objects ?? objects,
      defaultNs,
      options,
      applied,
    );
  } catch (err) {
    if (err instanceof ApplyError) err.applied = applied;
    throw err;
  }
  if (set) await finishAppliedSet(dyn, set, applied, options);
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
          ref: partialRefOf(obj),
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
  let ref = partialRefOf(obj);
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
    // A refusal whose message does not say what to do gets the field and
    // the fix first (servers before 1.21 and a port without `protocol`).
    const hint = applyHint(err);
    throw new ApplyError(
      ref,
      hint ? `${hint} (${errorText(err)})` : errorText(err),
      source,
      err,
    );
  }
}

function sourceField(obj: KubernetesObject): { source?: string } {
  const source = describeManifestSource(obj);
  return source ? { source } : {};
}
