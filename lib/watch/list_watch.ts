/**
 * List and watch functions for a {@link Reflector} built on any
 * {@link RestClient}, for code without generated API classes.
 *
 * @module
 */

import type { JSONObject, RestClient, WatchEvent } from "../contract.ts";
import type { ListOf, ListOpts, WatchOpts } from "./types.ts";
import { WatchEventTransformer } from "./stream_transformers.ts";
import { WatchListSupport } from "./watch_list_support.ts";
import { attachWatchListSupport } from "./_attached_support.ts";

/** A lister and a watcher for one collection. */
export interface ListWatch<T, S> {
  /** Lists one page. */
  lister: (opts: ListOpts) => Promise<ListOf<T>>;
  /** Opens a watch. */
  watcher: (opts: WatchOpts) => Promise<ReadableStream<WatchEvent<T, S>>>;
}

function query(opts: ListOpts & WatchOpts, watch: boolean): URLSearchParams {
  const q = new URLSearchParams();
  if (watch) q.set("watch", "true");
  for (
    const key of [
      "resourceVersion",
      "limit",
      "continue",
      "labelSelector",
      "fieldSelector",
      "timeoutSeconds",
      "allowWatchBookmarks",
      "sendInitialEvents",
      "resourceVersionMatch",
    ] as const
  ) {
    const value = opts[key];
    if (value !== undefined && value !== "") q.set(key, String(value));
  }
  return q;
}

/**
 * List and watch functions for the collection at `path`, such as
 * `/api/v1/namespaces/default/configmaps`. Objects are passed through
 * unvalidated (cast to `T`).
 *
 * @param client Any transport.
 * @param path The collection's API path.
 * @returns The lister and watcher.
 *
 * @example
 * ```ts
 * import { listWatch, Reflector } from "@denokube/transport";
 * import type { RestClient } from "@denokube/transport/contract";
 *
 * function configMaps(client: RestClient) {
 *   const { lister, watcher } = listWatch(client, "/api/v1/namespaces/default/configmaps");
 *   return new Reflector(lister, watcher);
 * }
 * ```
 */
export function listWatch<T = JSONObject, S = JSONObject>(
  client: RestClient,
  path: string,
): ListWatch<T, S> {
  const watcher: ListWatch<T, S>["watcher"] = async (opts) => {
    const stream = await client.performRequest({
      method: "GET",
      path,
      querystring: query(opts, true),
      abortSignal: opts.abortSignal,
      expectStream: true,
      expectJson: true,
    });
    return stream.pipeThrough(
      new WatchEventTransformer<T, S>((o) => o as T, (o) => o as S),
    );
  };
  // This watcher passes the WatchList options on: a Reflector's default
  // `initialList: "auto"` may use WatchList, remembering the answer per client.
  attachWatchListSupport(watcher, WatchListSupport.for(client));
  return {
    watcher,
    lister: async (opts) =>
      await client.performRequest({
        method: "GET",
        path,
        querystring: query(opts, false),
        abortSignal: opts.abortSignal,
        expectJson: true,
      }) as unknown as ListOf<T>,
  };
}
