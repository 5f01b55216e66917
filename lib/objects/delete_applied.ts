// deleteApplied: undoing an apply, in reverse order, optionally waiting
// until every object is gone.

import { partialRefOf } from "./_object_ref.ts";
import { errorText } from "../_internal/error_text.ts";
import type { RestClient } from "../contract.ts";
import { KubernetesApiError } from "../errors/mod.ts";
import { DynamicClient } from "./dynamic_client.ts";
import type { KubernetesObject, ObjectRef } from "./kubernetes_object.ts";
import { describeManifestSource } from "./manifest.ts";
import { UnknownKindError } from "./rest_mapper.ts";
import { deleted, waitFor } from "./wait.ts";
import { type AppliedObject, ApplyError } from "./apply_error.ts";
import { applyOrder } from "./apply_order.ts";
import { pathSegment } from "../_wire/api_path.ts";

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
 * @throws {ApplyError} Naming the object whose deletion failed, or did not
 *   finish in time; or, before anything is deleted, an object whose name or
 *   namespace cannot be a path segment (its cause a `PathSegmentError`).
 *
 * @example
 * ```ts
 * import { apply, deleteApplied, type KubernetesObject } from "@denokube/transport/objects";
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
        ref: partialRefOf(o as KubernetesObject),
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
  // Check every name before deleting anything: `.` or `..` would address
  // the whole collection or the namespace.
  for (const { ref, source } of order) {
    const namespace = ref.namespace ?? options.namespace;
    try {
      pathSegment("name", ref.name);
      if (namespace) pathSegment("namespace", namespace);
    } catch (err) {
      throw new ApplyError(
        { ...ref, namespace },
        `not deleted: ${errorText(err)}`,
        source,
        err,
      );
    }
  }
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
