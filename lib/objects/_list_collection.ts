// DynamicClient.list: every page of a collection at one resourceVersion,
// restarting when a continue token expires.

import type { RestClient } from "../contract.ts";
import { KubernetesApiError } from "../errors/mod.ts";
import type { KubernetesObject } from "./kubernetes_object.ts";
import { listWatch } from "../watch/list_watch.ts";
import { readAllPages } from "../watch/pagination.ts";
import type { ListOf } from "../watch/mod.ts";
import type {
  CollectionRef,
  ListOptions,
  ObjectList,
} from "./dynamic_client_types.ts";

/**
 * Lists a collection, following `continue` tokens through every page. A
 * continue token that expired (410) restarts the list, up to 3 times.
 *
 * @param client The transport.
 * @param path The collection's API path.
 * @param ref The collection (for the list's `apiVersion` and `kind`).
 * @param options Selectors, page size, a signal.
 * @returns Every object, and the snapshot's `resourceVersion`.
 * @throws {KubernetesApiError} When the server refuses (403, a bad selector's 400).
 */
export async function listCollection<T = KubernetesObject>(
  client: RestClient,
  path: string,
  ref: CollectionRef,
  options: ListOptions,
): Promise<ObjectList<T>> {
  const { lister } = listWatch<T>(client, path);
  for (let attempt = 0;; attempt++) {
    const items: T[] = [];
    let resourceVersion: string | undefined;
    try {
      for await (
        const page of readAllPages((token) =>
          lister({
            limit: options.limit ?? 500,
            continue: token,
            labelSelector: options.labelSelector,
            fieldSelector: options.fieldSelector,
            abortSignal: options.signal,
          }) as Promise<ListOf<T> & { metadata: { continue?: string } }>
        )
      ) {
        resourceVersion ??= page.metadata.resourceVersion ?? undefined;
        items.push(...(page.items ?? []));
      }
    } catch (err) {
      if (
        err instanceof KubernetesApiError && err.isGone() && attempt < 3
      ) continue;
      throw err;
    }
    return {
      apiVersion: ref.apiVersion,
      kind: `${ref.kind}List`,
      metadata: resourceVersion === undefined ? {} : { resourceVersion },
      items,
    };
  }
}
