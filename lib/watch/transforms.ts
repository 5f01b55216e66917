/**
 * Transforms: what a Reflector does to each object before it is cached and
 * delivered (client-go's `SetTransform`, kube-rs's `modify()`), so a cache
 * holds only what its user reads.
 *
 * A transform runs exactly once per object the server sends (list items,
 * watch events, WatchList's initial events, DELETED objects included) after
 * the `predicate` has admitted it: the predicate sees the server's object,
 * so it may read fields the transform drops. Everything downstream sees the
 * transformed object only:
 *
 * - the store holds it, `getCached`/`listCached` and indexes read it;
 * - MODIFIED's `previous` is the transformed object the cache held before
 *   (never the server's earlier object);
 * - a relist (after a 410 or a DESYNCED observer's catch-up) compares the
 *   transformed objects the cache holds with the freshly transformed ones
 *   by `metadata.resourceVersion`: an object whose version did not change
 *   is not reported, even if the transform would now give another result.
 *
 * In a compact Reflector (`compact: true`) `dropManagedFields` is done on
 * the object's bytes, without parsing it; any other transform parses the
 * object, and its result is serialized again to be kept.
 *
 * So a transform must keep `metadata.name`, `metadata.namespace` and
 * `metadata.resourceVersion` (the cache's key and version; a transform that
 * changes them fails that list or watch with a `TypeError` naming the
 * object, reported to `onError`), must be synchronous, and should be pure:
 * it may change and return the object it is given (nothing else holds it).
 *
 * @module
 */

import type { KindIds } from "./types.ts";

/** What a Reflector applies to each object before it is cached and delivered. */
export type ObjectTransform<T> = (obj: T) => T;

/**
 * Drops `metadata.managedFields`, which server-side apply writes into every
 * object and which is often half of its size, and which few readers need.
 * It replaces the object's `metadata` with a copy without the field and
 * returns the object.
 *
 * @param obj An object the server sent.
 * @returns The same object without `metadata.managedFields`.
 *
 * @example A cache of Pods without managedFields
 * ```ts
 * import { dropManagedFields, listWatch, Reflector } from "@denokube/transport/watch";
 * import type { RestClient } from "@denokube/transport/contract";
 *
 * function pods(client: RestClient): Reflector<{ metadata?: { name?: string } }> {
 *   const { lister, watcher } = listWatch(client, "/api/v1/pods");
 *   return new Reflector(lister, watcher, { transform: dropManagedFields });
 * }
 * ```
 */
export function dropManagedFields<T extends KindIds>(obj: T): T {
  const metadata = obj.metadata as { managedFields?: unknown } | null;
  if (metadata && "managedFields" in metadata) {
    // A copy without the field, not `delete`: V8 turns an object a property
    // was deleted from into a dictionary, which holds more than it saves
    // (test/bench/reflector_bench.ts: 3.85 KiB a Pod with delete, 3.13 with
    // the copy, 3.62 with managedFields kept).
    const { managedFields: _, ...rest } = metadata;
    (obj as { metadata: unknown }).metadata = rest;
  }
  return obj;
}
