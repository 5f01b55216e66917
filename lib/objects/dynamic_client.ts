/**
 * A client for any kind, over plain JSON objects: get, list (every page,
 * with selectors), create, replace, patch (merge, JSON, strategic,
 * server-side apply), delete (propagation, grace period) and watch, by
 * `apiVersion`/`kind`/name/namespace. Paths come from a {@link RestMapper}
 * (discovery), so custom resources work the moment their CRD is served.
 * Works on every {@link RestClient}.
 *
 * Permissions: whatever the transport needs; nothing more.
 *
 * The client is here; `dynamic_client_types.ts` holds its options and
 * results, internal `_list_collection.ts` the paging list.
 *
 * @module
 */

import { partialRefOf } from "./_object_ref.ts";
import type { RestClient, WatchEvent } from "../contract.ts";
import type { Status } from "../errors/mod.ts";
import type { KubernetesObject, ObjectRef } from "./kubernetes_object.ts";
import { listWatch } from "../watch/list_watch.ts";
import { listCollection } from "./_list_collection.ts";
import {
  type ApplyObjectOptions,
  type CollectionRef,
  type DeleteOptions,
  type DynamicClientOptions,
  type ListOptions,
  type ObjectList,
  PATCH_CONTENT_TYPES,
  type PatchOptions,
  type WatchOptions,
  type WriteOptions,
} from "./dynamic_client_types.ts";
import { resourcePath, RestMapper, type RestMapping } from "./rest_mapper.ts";
import { pathSegment } from "../_wire/api_path.ts";

export * from "./dynamic_client_types.ts";

/**
 * Reads and writes any kind by `apiVersion`/`kind`/name/namespace.
 *
 * @example Read, change and watch a ConfigMap
 * ```ts
 * import { DynamicClient } from "@denokube/transport/objects";
 * import type { RestClient } from "@denokube/transport/contract";
 *
 * async function bump(client: RestClient): Promise<void> {
 *   const dyn = new DynamicClient(client);
 *   const ref = { apiVersion: "v1", kind: "ConfigMap", name: "settings", namespace: "web" };
 *   await dyn.apply({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "settings", namespace: "web" }, data: { mode: "fast" } });
 *   await dyn.patch(ref, { data: { mode: "slow" } });
 *   const list = await dyn.list({ apiVersion: "v1", kind: "ConfigMap", namespace: "web" }, { labelSelector: "app=web" });
 *   console.log(list.items.length, (await dyn.get(ref)).data);
 * }
 * ```
 */
export class DynamicClient {
  /** The transport. */
  readonly client: RestClient;
  /** The mapper that turns kinds into paths. */
  readonly mapper: RestMapper;
  /** The default field manager. */
  readonly fieldManager: string;

  /**
   * Does no I/O: discovery happens on the first request.
   *
   * @param client Any transport.
   * @param options A shared mapper, discovery options, the default field manager.
   */
  constructor(client: RestClient, options: DynamicClientOptions = {}) {
    this.client = client;
    this.mapper = options.mapper ?? new RestMapper(client, options);
    this.fieldManager = options.fieldManager ?? "denokube";
  }

  /**
   * Where objects of a kind live (discovery, cached).
   *
   * @param apiVersion Such as `apps/v1`.
   * @param kind Such as `Deployment`.
   * @returns The mapping.
   * @throws {UnknownKindError} When the kind is not served in that `apiVersion`.
   */
  mapping(apiVersion: string, kind: string): Promise<RestMapping> {
    return this.mapper.mapping(apiVersion, kind);
  }

  /**
   * The namespace a request about a kind goes to: the one given, else the
   * client's default, else `default`; none for cluster-scoped kinds.
   *
   * @param mapping The kind.
   * @param namespace The namespace given, if any.
   * @returns The namespace, or `undefined` for cluster-scoped kinds.
   */
  namespaceFor(mapping: RestMapping, namespace?: string): string | undefined {
    if (!mapping.namespaced) return undefined;
    return namespace || this.client.defaultNamespace || "default";
  }

  /**
   * The API path of an object (or a subresource of it).
   *
   * @param ref The object.
   * @param subresource Such as `status` or `scale`.
   * @returns The path.
   * @throws {PathSegmentError} When the name is empty, `.` or `..`, or
   *   contains `/` or `%` (checked before discovery), or so is the
   *   namespace of a namespaced kind.
   * @throws {UnknownKindError} When the kind is not served.
   */
  async pathOf(ref: ObjectRef, subresource?: string): Promise<string> {
    // Before discovery: a bad name fails without a request.
    pathSegment("name", ref.name, `${ref.kind} (${ref.apiVersion})`);
    const m = await this.mapping(ref.apiVersion, ref.kind);
    return resourcePath(m, {
      namespace: this.namespaceFor(m, ref.namespace),
      name: ref.name,
      subresource,
    });
  }

  /**
   * The API path of a collection, from its kind and namespace: what the
   * watch layer (`listWatch`, `SharedWatches.reflector`) takes.
   *
   * @param ref The collection.
   * @returns The path, such as `/api/v1/namespaces/shop/pods`.
   * @throws {PathSegmentError} When the namespace of a namespaced kind is
   *   `.` or `..`, or contains `/` or `%`.
   * @throws {UnknownKindError} When the kind is not served.
   *
   * @example Share a watch of one namespace's pods
   * ```ts
   * import { DynamicClient } from "@denokube/transport/objects";
   * import { SharedWatches } from "@denokube/transport/watch";
   * import type { RestClient } from "@denokube/transport/contract";
   *
   * async function pods(client: RestClient, signal: AbortSignal): Promise<number> {
   *   const path = await DynamicClient.for(client).collectionPathOf({ apiVersion: "v1", kind: "Pod", namespace: "shop" });
   *   await using pods = SharedWatches.for(client).reflector(path, { labelSelector: "app=web", signal });
   *   for await (const evt of pods.observeAll()) if (evt.type === "SYNCED") break;
   *   return pods.listCached().length;
   * }
   * ```
   */
  async collectionPathOf(ref: CollectionRef): Promise<string> {
    const m = await this.mapping(ref.apiVersion, ref.kind);
    return resourcePath(m, {
      namespace: ref.allNamespaces
        ? undefined
        : this.namespaceFor(m, ref.namespace),
    });
  }

  /**
   * Reads one object (or a subresource of it, such as `scale`).
   *
   * @param ref The object.
   * @param options A subresource, a signal.
   * @returns The object as the server has it.
   * @throws {KubernetesApiError} `isNotFound()` when it does not exist.
   * @throws {PathSegmentError} When the name or namespace cannot be one path segment (empty name, `.`, `..`, `/`, `%`); nothing is sent.
   * @throws {UnknownKindError} When the kind is not served.
   */
  async get<T = KubernetesObject>(
    ref: ObjectRef,
    options: { subresource?: string; signal?: AbortSignal } = {},
  ): Promise<T> {
    return await this.client.performRequest({
      method: "GET",
      path: await this.pathOf(ref, options.subresource),
      abortSignal: options.signal,
      expectJson: true,
    }) as T;
  }

  /**
   * Lists a collection, following `continue` tokens through every page. A
   * continue token that expires (410) between pages falls back, once, to a
   * full list without `limit`, as client-go's pager does; should that
   * expire too, the server's 410 is thrown (at most four requests, never a
   * loop).
   *
   * @param ref The collection.
   * @param options Selectors, page size, `metadataOnly`, a signal.
   * @returns Every object, and the snapshot's `resourceVersion`; with
   *   `metadataOnly`, a `PartialObjectMetadataList` of `PartialObjectMetadata`.
   * @throws {KubernetesApiError} When the server refuses (403, a bad selector's 400), or `isGone()` when the continue token expired again during the full list.
   * @throws {PathSegmentError} When the name or namespace cannot be one path segment (empty name, `.`, `..`, `/`, `%`); nothing is sent.
   * @throws {UnknownKindError} When the kind is not served.
   */
  async list<T = KubernetesObject>(
    ref: CollectionRef,
    options: ListOptions = {},
  ): Promise<ObjectList<T>> {
    return await listCollection<T>(
      this.client,
      await this.collectionPathOf(ref),
      ref,
      options,
    );
  }

  /**
   * Creates an object (`metadata.generateName` works).
   *
   * @param obj The object; its namespace defaults like {@link namespaceFor}.
   * @param options Dry run, field manager, a signal.
   * @returns The object as created.
   * @throws {KubernetesApiError} `isAlreadyExists()`, `isInvalid()`, ….
   * @throws {PathSegmentError} When the name or namespace cannot be one path segment (empty name, `.`, `..`, `/`, `%`); nothing is sent.
   * @throws {UnknownKindError} When the kind is not served.
   */
  async create<T = KubernetesObject>(
    obj: KubernetesObject,
    options: WriteOptions = {},
  ): Promise<T> {
    const m = await this.mapping(obj.apiVersion, obj.kind);
    const path = resourcePath(m, {
      namespace: this.namespaceFor(m, obj.metadata?.namespace),
    });
    return await this.client.performRequest({
      method: "POST",
      path,
      querystring: this.#writeQuery(options),
      bodyJson: obj,
      abortSignal: options.signal,
      expectJson: true,
    }) as T;
  }

  /**
   * Replaces an object (PUT). With `metadata.resourceVersion` set, a
   * concurrent change fails with 409 instead of being overwritten.
   *
   * @param obj The whole object, with `metadata.name`.
   * @param options Dry run, field manager, subresource, a signal.
   * @returns The object as stored.
   * @throws {KubernetesApiError} `isConflict()` on a stale resourceVersion, `isNotFound()`.
   * @throws {PathSegmentError} When the name or namespace cannot be one path segment (empty name, `.`, `..`, `/`, `%`); nothing is sent.
   * @throws {TypeError} When the object has no name.
   */
  async replace<T = KubernetesObject>(
    obj: KubernetesObject,
    options: WriteOptions = {},
  ): Promise<T> {
    return await this.client.performRequest({
      method: "PUT",
      path: await this.pathOf(refOfNamed(obj), options.subresource),
      querystring: this.#writeQuery(options),
      bodyJson: obj,
      abortSignal: options.signal,
      expectJson: true,
    }) as T;
  }

  /**
   * Patches an object.
   *
   * @param ref The object.
   * @param patch The patch: an object for `merge`, `strategic` and `apply`; a list of operations for `json`.
   * @param options Patch type, field manager, force (apply), dry run, subresource, a signal.
   * @returns The object as patched.
   * @throws {KubernetesApiError} `isConflict()` when apply meets another manager's field without `force`; HTTP 415 for `strategic` on a custom resource.
   * @throws {PathSegmentError} When the name or namespace cannot be one path segment (empty name, `.`, `..`, `/`, `%`); nothing is sent.
   */
  async patch<T = KubernetesObject>(
    ref: ObjectRef,
    patch: KubernetesObject | Record<string, unknown> | unknown[],
    options: PatchOptions = {},
  ): Promise<T> {
    const type = options.type ?? "merge";
    const q = this.#writeQuery(options);
    if (type === "apply" && options.force) q.set("force", "true");
    return await this.client.performRequest({
      method: "PATCH",
      path: await this.pathOf(ref, options.subresource),
      querystring: q,
      contentType: PATCH_CONTENT_TYPES[type],
      bodyJson: patch as KubernetesObject,
      abortSignal: options.signal,
      expectJson: true,
    }) as T;
  }

  /**
   * Server-side apply: creates the object or updates the fields this field
   * manager owns, as `kubectl apply --server-side` does.
   *
   * @param obj The desired object, with `metadata.name`.
   * @param options Field manager, force, dry run, a signal.
   * @returns The object as applied.
   * @throws {KubernetesApiError} `isConflict()` when another manager owns a field and `force` is not set.
   * @throws {PathSegmentError} When the name or namespace cannot be one path segment (empty name, `.`, `..`, `/`, `%`); nothing is sent.
   */
  apply<T = KubernetesObject>(
    obj: KubernetesObject,
    options: ApplyObjectOptions = {},
  ): Promise<T> {
    return this.patch<T>(refOfNamed(obj), obj, { ...options, type: "apply" });
  }

  /**
   * Deletes an object. Deletion may finish later (finalizers, a pod's
   * grace period, foreground propagation): wait with `waitFor(..., deleted())`.
   *
   * @param ref The object.
   * @param options Propagation, grace period, dry run, a signal.
   * @returns The server's answer: the object (being deleted) or a `Status`.
   * @throws {KubernetesApiError} `isNotFound()` when it does not exist.
   * @throws {PathSegmentError} When the name or namespace cannot be one path segment (empty name, `.`, `..`, `/`, `%`); nothing is sent.
   */
  async delete(
    ref: ObjectRef,
    options: DeleteOptions = {},
  ): Promise<KubernetesObject | Status> {
    const q = new URLSearchParams();
    if (options.propagationPolicy) {
      q.set("propagationPolicy", options.propagationPolicy);
    }
    if (options.gracePeriodSeconds !== undefined) {
      q.set("gracePeriodSeconds", String(options.gracePeriodSeconds));
    }
    if (options.dryRun) q.set("dryRun", "All");
    return await this.client.performRequest({
      method: "DELETE",
      path: await this.pathOf(ref),
      querystring: q,
      abortSignal: options.signal,
      expectJson: true,
    }) as KubernetesObject | Status;
  }

  /**
   * Watches a collection. Without `resourceVersion`, the server first sends
   * an ADDED event for every existing object; to miss nothing, list first
   * and watch from the list's version (or use `waitFor`).
   *
   * @param ref The collection.
   * @param options Version, selectors, bookmarks, server timeout, `metadataOnly`, a signal.
   * @returns The events; ERROR events carry a `Status` (410 Expired: list again).
   * @throws {KubernetesApiError} When the server refuses the watch.
   * @throws {PathSegmentError} When the name or namespace cannot be one path segment (empty name, `.`, `..`, `/`, `%`); nothing is sent.
   */
  async watch<T = KubernetesObject>(
    ref: CollectionRef,
    options: WatchOptions = {},
  ): Promise<ReadableStream<WatchEvent<T, Status>>> {
    const { watcher } = listWatch<T, Status>(
      this.client,
      await this.collectionPathOf(ref),
      { metadataOnly: options.metadataOnly },
    );
    return await watcher({
      resourceVersion: options.resourceVersion,
      labelSelector: options.labelSelector,
      fieldSelector: options.fieldSelector,
      allowWatchBookmarks: options.allowWatchBookmarks ?? true,
      timeoutSeconds: options.timeoutSeconds,
      abortSignal: options.signal,
    });
  }

  /**
   * The dynamic client for a transport: `client` itself when it already is
   * one, otherwise one made once per transport and kept while the
   * transport lives, so helpers called with the same transport share one
   * discovery cache.
   *
   * @param client A transport or a dynamic client.
   * @returns The dynamic client.
   */
  static for(client: RestClient | DynamicClient): DynamicClient {
    if (client instanceof DynamicClient) return client;
    let dyn = shared.get(client);
    if (!dyn) {
      dyn = new DynamicClient(client);
      shared.set(client, dyn);
    }
    return dyn;
  }

  #writeQuery(options: WriteOptions): URLSearchParams {
    const q = new URLSearchParams();
    q.set("fieldManager", options.fieldManager ?? this.fieldManager);
    if (options.dryRun) q.set("dryRun", "All");
    return q;
  }
}

const shared = new WeakMap<RestClient, DynamicClient>();

function refOfNamed(obj: KubernetesObject): ObjectRef {
  const name = obj.metadata?.name;
  if (typeof name !== "string" || name === "") {
    throw new TypeError(
      `${obj.kind} (${obj.apiVersion}): metadata.name is missing`,
    );
  }
  return partialRefOf(obj);
}
