// DynamicClient.list: every page of a collection at one resourceVersion,
// through the library's one paged list (lib/watch/_list.ts).

import type { RestClient } from "../contract.ts";
import type { KubernetesObject } from "./kubernetes_object.ts";
import { listWatch } from "../watch/list_watch.ts";
import { realClock } from "../watch/clock.ts";
import { listAll } from "../watch/_list.ts";
import type {
  CollectionRef,
  ListOptions,
  ObjectList,
} from "./dynamic_client_types.ts";

/**
 * Lists a collection, following `continue` tokens through every page. A
 * continue token that expires (410) between pages falls back, once, to a
 * full list without `limit` (client-go's pager); a second expiry is thrown.
 *
 * @param client The transport.
 * @param path The collection's API path.
 * @param ref The collection (for the list's `apiVersion` and `kind`).
 * @param options Selectors, page size, a signal.
 * @returns Every object, and the snapshot's `resourceVersion`.
 * @throws {KubernetesApiError} When the server refuses (403, a bad selector's 400), or `isGone()` when the continue token expired again during the full list.
 */
export async function listCollection<T = KubernetesObject>(
  client: RestClient,
  path: string,
  ref: CollectionRef,
  options: ListOptions,
): Promise<ObjectList<T>> {
  const { lister } = listWatch<T>(client, path, {
    metadataOnly: options.metadataOnly,
  });
  const { items, resourceVersion } = await listAll<T>({
    lister,
    pageSize: options.limit ?? 500,
    selectors: {
      ...(options.labelSelector
        ? { labelSelector: options.labelSelector }
        : {}),
      ...(options.fieldSelector
        ? { fieldSelector: options.fieldSelector }
        : {}),
    },
    clock: realClock,
  }, options.signal ?? new AbortController().signal);
  return {
    ...(options.metadataOnly
      ? { apiVersion: "meta.k8s.io/v1", kind: "PartialObjectMetadataList" }
      : { apiVersion: ref.apiVersion, kind: `${ref.kind}List` }),
    metadata: resourceVersion === undefined ? {} : { resourceVersion },
    items,
  };
}
