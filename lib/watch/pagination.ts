/**
 * Helpers that follow a list's `metadata.continue` token until the server has
 * returned every page, for callers with a page function of their own. They
 * page through the library's one paged list (`_list.ts`) but, unlike
 * `DynamicClient.list` and the Reflector, never restart: the pages already
 * handed to the caller cannot be taken back, so a continue token that
 * expires between pages (HTTP 410, `KubernetesApiError.isGone()`) ends the
 * iteration with that error, and the caller decides whether to list again
 * (client-go's `ListPager.EachListItem` documents the same: an "Expired"
 * error may be returned).
 *
 * @module
 */

import { pagesOf } from "./_list.ts";

/** What a page must look like: list metadata and items. */
export interface ListPage<T, U extends { continue?: string | null }> {
  /** List metadata; `continue` names the next page. */
  metadata: U;
  /** This page's items. */
  items: T[];
}

/**
 * Fetches pages until the server stops returning a `continue` token, yielding
 * each page whole.
 *
 * @param pageFunc Fetches one page; receives the continue token (none for the first page).
 * @returns The pages, in order.
 * @throws Whatever `pageFunc` throws, at once and without a retry; a `KubernetesApiError` with `isGone()` on a later page means the token expired and the list must start over (the pages yielded so far are stale).
 *
 * @example
 * ```ts
 * import { readAllPages } from "@denokube/transport/watch";
 * import type { RestClient } from "@denokube/transport/contract";
 *
 * async function countPods(client: RestClient): Promise<number> {
 *   let n = 0;
 *   for await (
 *     const page of readAllPages(async (token) =>
 *       await client.performRequest({
 *         method: "GET",
 *         path: "/api/v1/pods",
 *         querystring: new URLSearchParams({ limit: "100", ...(token ? { continue: token } : {}) }),
 *         expectJson: true,
 *       }) as { items: unknown[]; metadata: { continue?: string } }
 *     )
 *   ) n += page.items.length;
 *   return n;
 * }
 * ```
 */
export async function* readAllPages<
  T,
  U extends { continue?: string | null },
>(
  pageFunc: (token?: string) => Promise<ListPage<T, U>>,
): AsyncGenerator<ListPage<T, U>, void, undefined> {
  yield* pagesOf(pageFunc);
}

/**
 * Fetches pages like {@link readAllPages} and yields every item of every page.
 *
 * @param pageFunc Fetches one page; receives the continue token (none for the first page).
 * @returns The items of all pages, in order.
 * @throws Whatever `pageFunc` throws, without a retry (see {@link readAllPages}).
 *
 * @example
 * ```ts
 * import { readAllItems } from "@denokube/transport/watch";
 * import type { RestClient } from "@denokube/transport/contract";
 *
 * async function podNames(client: RestClient): Promise<string[]> {
 *   const names: string[] = [];
 *   for await (
 *     const pod of readAllItems(async (token) =>
 *       await client.performRequest({
 *         method: "GET",
 *         path: "/api/v1/namespaces/default/pods",
 *         querystring: new URLSearchParams({ limit: "100", ...(token ? { continue: token } : {}) }),
 *         expectJson: true,
 *       }) as { items: { metadata?: { name?: string } }[]; metadata: { continue?: string } }
 *     )
 *   ) names.push(pod.metadata?.name ?? "");
 *   return names;
 * }
 * ```
 */
export async function* readAllItems<T>(
  pageFunc: (
    token?: string,
  ) => Promise<ListPage<T, { continue?: string | null }>>,
): AsyncGenerator<T, void, undefined> {
  for await (const page of readAllPages(pageFunc)) {
    yield* page.items;
  }
}
