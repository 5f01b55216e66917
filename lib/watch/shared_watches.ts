/**
 * Shared watches: every consumer of the same collection, selectors,
 * metadata-only mode and transform on one client shares one list/watch and
 * one indexed cache (client-go's shared informer factory), so ten
 * controllers watching Pods cost one watch connection and one copy of each
 * Pod, not ten.
 *
 * `SharedWatches.for(client).reflector(path, options)` hands out a
 * {@link SharedReflector}: the first for a key starts a {@link Reflector}
 * over `listWatch(client, path, { metadataOnly })` with an
 * {@link IndexedStore}; later ones join it. Each consumer's `observeAll()`
 * is the exact stream a Reflector of its own would give — ADDED for every
 * cached object, SYNCED if the cache is synced, then every event — so a
 * late consumer gets the current snapshot first. When the last consumer
 * releases its handle (`release()`, its `signal`, or `await using`), the
 * watch stops and nothing it started is left running; the next consumer
 * starts a fresh one.
 *
 * What is shared is decided by the key: the path, `labelSelector`,
 * `fieldSelector`, `metadataOnly`, `compact` and the `transform` function's
 * identity (pass the same function, such as `dropManagedFields`, to share).
 * With `compact: true` the shared cache holds bytes (see the Reflector's
 * `compact` option): `getCached`, `listCached` and the store's lookups
 * build a fresh object per call. The
 * other Reflector options (timeouts, page size, backoff, clock,
 * `initialList`, buffer size) are the first consumer's; `onError` is told
 * to every consumer's hook. There is no per-consumer `predicate` or
 * `store`: filter what you read, or use an index.
 *
 * The path is a collection's API path: the watch layer needs no discovery.
 * From `apiVersion`/`kind` and a namespace, the objects entry builds it
 * through discovery and the one path builder:
 * `await DynamicClient.for(client).collectionPathOf({ apiVersion: "v1", kind: "Pod", namespace: "shop" })`
 * is `/api/v1/namespaces/shop/pods` (a CRD's plural, a cluster-scoped kind
 * and a bad namespace handled as everywhere else).
 *
 * @example Two consumers, one watch
 * ```ts
 * import { SharedWatches } from "@denokube/transport/watch";
 * import type { RestClient } from "@denokube/transport/contract";
 *
 * async function webPods(client: RestClient, signal: AbortSignal): Promise<void> {
 *   const shared = SharedWatches.for(client);
 *   await using pods = shared.reflector("/api/v1/pods", { metadataOnly: true, signal });
 *   await using again = shared.reflector("/api/v1/pods", { metadataOnly: true, signal });
 *   for await (const evt of again.observeAll()) {
 *     if (evt.type === "SYNCED") break;
 *   }
 *   console.log(pods.store.byLabel("app", "web").length, "web pods");
 * }
 * ```
 *
 * @module
 */

import type { JSONObject, RestClient } from "../contract.ts";
import type { ReflectorError } from "../errors/reflector_error.ts";
import type { ReflectorOptions } from "./options.ts";
import type {
  ApiStatus,
  KindIds,
  KindIdsReq,
  ReflectorEvent,
} from "./types.ts";
import { Reflector } from "./reflector.ts";
import { IndexedStore } from "./indexed_store.ts";
import { listWatch } from "./list_watch.ts";

/** Options for {@link SharedWatches.reflector}. */
export interface SharedReflectorOptions<T>
  extends Omit<ReflectorOptions<T>, "store" | "predicate"> {
  /**
   * Ask for PartialObjectMetadata (see `listWatch`); part of the key.
   * @default {false}
   */
  metadataOnly?: boolean;
  /**
   * Releases this handle when it aborts.
   * @default {none: call `release()`}
   */
  signal?: AbortSignal;
}

/** One running shared Reflector and who holds it. */
interface Entry {
  readonly reflector: Reflector<KindIds>;
  readonly store: IndexedStore<KindIdsReq>;
  readonly stop: AbortController;
  readonly running: Promise<void>;
  readonly onError: Set<(err: ReflectorError) => void>;
  holders: number;
}

const perClient = new WeakMap<RestClient, SharedWatches>();
const transformIds = new WeakMap<object, number>();
let nextTransformId = 1;

/** The shared watches of one client; one per client, from {@link SharedWatches.for}. */
export class SharedWatches {
  readonly #client: RestClient;
  readonly #entries = new Map<string, Entry>();

  private constructor(client: RestClient) {
    this.#client = client;
  }

  /**
   * The shared watches of `client` (made on first use, kept while the
   * client lives).
   *
   * @param client Any transport.
   * @returns Its shared watches.
   */
  static for(client: RestClient): SharedWatches {
    let shared = perClient.get(client);
    if (!shared) perClient.set(client, shared = new SharedWatches(client));
    return shared;
  }

  /** How many shared watches are running. */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * A handle on the shared Reflector for `path` and these options, started
   * if none runs for that key.
   *
   * @param path The collection's API path, such as `/api/v1/pods` (from a kind: `DynamicClient.collectionPathOf` in the objects entry).
   * @param options Selectors, `metadataOnly`, `compact`, `transform` (the key), the
   *   first consumer's Reflector options, and a `signal` that releases
   *   this handle.
   * @returns The handle; release it when done.
   */
  reflector<T extends KindIds = JSONObject>(
    path: string,
    options: SharedReflectorOptions<T> = {},
  ): SharedReflector<T> {
    const key = this.#keyOf(path, options);
    let entry = this.#entries.get(key);
    if (!entry) {
      entry = this.#start(
        path,
        options as unknown as SharedReflectorOptions<KindIds>,
      );
      this.#entries.set(key, entry);
    }
    entry.holders++;
    const started = entry;
    if (options.onError) started.onError.add(options.onError);
    return new SharedReflector<T>(started, options.signal, async () => {
      if (options.onError) started.onError.delete(options.onError);
      if (--started.holders > 0) return;
      if (this.#entries.get(key) === started) this.#entries.delete(key);
      started.stop.abort();
      await started.running;
    });
  }

  #keyOf(
    path: string,
    o: {
      labelSelector?: string;
      fieldSelector?: string;
      metadataOnly?: boolean;
      compact?: boolean;
      transform?: object;
    },
  ): string {
    let transform = 0;
    if (o.transform) {
      transform = transformIds.get(o.transform) ?? 0;
      if (!transform) {
        transformIds.set(o.transform, transform = nextTransformId++);
      }
    }
    return JSON.stringify([
      path,
      o.labelSelector ?? "",
      o.fieldSelector ?? "",
      o.metadataOnly === true,
      o.compact === true,
      transform,
    ]);
  }

  #start(path: string, options: SharedReflectorOptions<KindIds>): Entry {
    const { lister, watcher } = listWatch<KindIds, ApiStatus>(
      this.#client,
      path,
      { metadataOnly: options.metadataOnly },
    );
    const store = new IndexedStore<KindIdsReq>();
    const onError = new Set<(err: ReflectorError) => void>();
    const { signal: _, metadataOnly: __, ...reflectorOptions } = options;
    const reflector = new Reflector<KindIds>(lister, watcher, {
      ...reflectorOptions,
      store,
      onError: (err) => {
        for (const hook of onError) hook(err);
      },
    });
    const stop = new AbortController();
    return {
      reflector,
      store,
      stop,
      running: reflector.run(stop.signal),
      onError,
      holders: 0,
    };
  }
}

/**
 * One consumer's handle on a shared Reflector: its cache and indexes, its
 * own event stream, and `release()`.
 */
export class SharedReflector<T extends KindIds = JSONObject> {
  readonly #entry: {
    readonly reflector: Reflector<KindIds>;
    readonly store: IndexedStore<KindIdsReq>;
  };
  readonly #released = new AbortController();
  readonly #release: () => Promise<void>;
  #releasing: Promise<void> | undefined;

  /**
   * Made by {@link SharedWatches.reflector}, which counts its holders.
   *
   * @param entry The shared Reflector and its store.
   * @param signal Releases this handle when it aborts.
   * @param release Lets go of the shared Reflector (called once).
   */
  constructor(
    entry: {
      readonly reflector: Reflector<KindIds>;
      readonly store: IndexedStore<KindIdsReq>;
    },
    signal: AbortSignal | undefined,
    release: () => Promise<void>,
  ) {
    this.#entry = entry;
    this.#release = release;
    if (signal?.aborted) void this.release();
    else {signal?.addEventListener("abort", () => void this.release(), {
        once: true,
        signal: this.#released.signal,
      });}
  }

  /** The shared cache, with its namespace, label and registered indexes. */
  get store(): IndexedStore<T & KindIdsReq> {
    return this.#entry.store as unknown as IndexedStore<T & KindIdsReq>;
  }

  /**
   * The cached object, if any.
   * @param namespace Its namespace (empty for cluster-scoped objects).
   * @param name Its name.
   * @returns The object.
   */
  getCached(
    namespace: string | null | undefined,
    name: string,
  ): (T & KindIdsReq) | undefined {
    return this.store.get(`${namespace ?? ""}/${name}`);
  }

  /**
   * Every cached object.
   * @returns A new array, in no particular order.
   */
  listCached(): (T & KindIdsReq)[] {
    return [...this.store.values()];
  }

  /**
   * Whether the shared cache is a complete picture right now.
   * @returns True between a SYNCED and the next DESYNCED.
   */
  isSynced(): boolean {
    return this.#entry.reflector.isSynced();
  }

  /**
   * This consumer's events: ADDED for each cached object, SYNCED if synced,
   * then every event, as `Reflector.observeAll` gives. Ends when this
   * handle is released.
   *
   * @returns The events.
   */
  observeAll(): AsyncGenerator<ReflectorEvent<T>, void, undefined> {
    return this.#entry.reflector.observeAll(
      this.#released.signal,
    ) as AsyncGenerator<ReflectorEvent<T>, void, undefined>;
  }

  /**
   * Lets go of the shared watch: this handle's streams end; the last
   * handle's release stops the watch. Safe to call more than once.
   *
   * @returns Once this handle is let go of, and — for the last one — once
   *   the watch has stopped and nothing it started is running.
   */
  release(): Promise<void> {
    if (!this.#releasing) {
      this.#released.abort();
      this.#releasing = this.#release();
    }
    return this.#releasing;
  }

  /** `await using`: {@link release}. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.release();
  }
}
