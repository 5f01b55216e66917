/**
 * List and watch functions for a {@link Reflector} built on any
 * {@link RestClient}, for code without generated API classes.
 *
 * ## Metadata-only lists and watches
 *
 * With `{ metadataOnly: true }` the lister and watcher ask the server for
 * `PartialObjectMetadataList` and `PartialObjectMetadata` (client-go's
 * metadata informers, kube-rs's `metadata_watcher`): each object arrives as
 * `{ kind: "PartialObjectMetadata", apiVersion: "meta.k8s.io/v1", metadata }`
 * — name, namespace, uid, resourceVersion, labels, annotations, owners,
 * finalizers, managedFields — and nothing of `spec`, `data` or `status`,
 * a fraction of the bytes to send, parse and cache.
 *
 * The `Accept` header names plain `application/json` as the second choice,
 * so a server that cannot serve the partial form answers with full objects
 * instead of 406; those (and anything a transport that sends no `Accept`
 * header, such as `kubectl get --raw`, gets) are cut down to the same
 * shape, so a caller never sees the difference. A server that answers 406
 * all the same is asked once more with plain JSON, and every later request
 * of that lister and watcher asks for plain JSON. kube-apiserver 1.20.2
 * serves the partial forms for built-in kinds, custom resources and the
 * aggregator's APIServices alike; an aggregated API server not built on
 * `k8s.io/apiserver` may answer either way, and the aggregator passes its
 * answer on unchanged: both end in the same metadata-only objects.
 *
 * ## Compact Reflectors
 *
 * The lister and watcher carry raw variants — the same requests, answered
 * as bytes (no `expectJson`) — which a Reflector with `compact: true`
 * reads instead, scanning each object rather than parsing it. A server's
 * own PartialObjectMetadata (as kube-apiserver writes it: `kind`,
 * `apiVersion`, then `metadata`) is kept as sent; anything else is cut
 * down as above. A lister or watcher wrapped in a function of one's own
 * has no raw variant: a compact Reflector then packs the parsed objects
 * (slower).
 *
 * @module
 */

import type { JSONObject, RestClient, WatchEvent } from "../contract.ts";
import type { ListOf, ListOpts, WatchOpts } from "./types.ts";
import { WatchEventTransformer } from "./stream_transformers.ts";
import { WatchListSupport } from "./watch_list_support.ts";
import { attachWatchListSupport } from "./_attached_support.ts";
import { attachRaw } from "./_raw.ts";
import {
  listToMetadataOnly,
  METADATA_LIST_ACCEPT,
  METADATA_WATCH_ACCEPT,
  toMetadataOnly,
} from "./_metadata_only.ts";
import { KubernetesApiError } from "../errors/mod.ts";

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
 * @param path The collection's API path (from a kind: `DynamicClient.collectionPathOf` in the objects entry).
 * @param options `metadataOnly`: ask for `PartialObjectMetadata` instead
 *   of whole objects (see the module doc); objects are `{ kind,
 *   apiVersion, metadata }` only. Default false: whole objects, as the
 *   server stores them.
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
  options: { metadataOnly?: boolean } = {},
): ListWatch<T, S> {
  // Metadata-only: cleared once the server answers 406 to the partial form.
  let partial = options.metadataOnly === true;
  /** Asks with the partial form's Accept header, and once more with plain JSON after a 406. */
  const negotiated = async <R>(
    accept: string,
    request: (accept: string | undefined) => Promise<R>,
  ): Promise<R> => {
    if (!partial) return await request(undefined);
    try {
      return await request(accept);
    } catch (err) {
      if (!(err instanceof KubernetesApiError) || err.code !== 406) throw err;
      partial = false;
      return await request(undefined);
    }
  };
  const asObject = options.metadataOnly
    ? (o: JSONObject) => toMetadataOnly(o) as T
    : (o: JSONObject) => o as T;
  /** The request of a list (`watch` false) or a watch; `parsed`: as JSON. */
  const request = (
    opts: ListOpts & WatchOpts,
    watch: boolean,
    parsed: boolean,
    accept: string | undefined,
  ) => ({
    method: "GET" as const,
    path,
    querystring: query(opts, watch),
    abortSignal: opts.abortSignal,
    ...(watch ? { expectStream: true as const } : {}),
    ...(parsed ? { expectJson: true as const } : {}),
    ...(accept ? { accept } : {}),
  });
  const watcher: ListWatch<T, S>["watcher"] = async (opts) => {
    const stream = await negotiated(
      METADATA_WATCH_ACCEPT,
      (accept) =>
        client.performRequest({
          ...request(opts, true, true, accept),
          expectStream: true,
          expectJson: true,
        }),
    );
    return stream.pipeThrough(
      new WatchEventTransformer<T, S>(asObject, (o) => o as S),
    );
  };
  const lister: ListWatch<T, S>["lister"] = async (opts) => {
    const list = await negotiated(
      METADATA_LIST_ACCEPT,
      (accept) =>
        client.performRequest({
          ...request(opts, false, true, accept),
          expectJson: true,
        }),
    );
    return (options.metadataOnly
      ? listToMetadataOnly(list as JSONObject)
      : list) as unknown as ListOf<T>;
  };
  // This watcher passes the WatchList options on: a Reflector's default
  // `initialList: "auto"` may use WatchList, remembering the answer per client.
  attachWatchListSupport(watcher, WatchListSupport.for(client));
  // The same requests, answered as bytes: what a compact Reflector reads.
  const cutDown = options.metadataOnly === true;
  attachRaw(lister, watcher, {
    list: async (opts) => ({
      path,
      body: await negotiated(
        METADATA_LIST_ACCEPT,
        (accept) => client.performRequest(request(opts, false, false, accept)),
      ),
      partial: cutDown,
    }),
    watch: async (opts) => ({
      body: await negotiated(
        METADATA_WATCH_ACCEPT,
        (accept) =>
          client.performRequest({
            ...request(opts, true, false, accept),
            expectStream: true,
          }),
      ),
      partial: cutDown,
    }),
  });
  return { watcher, lister };
}
