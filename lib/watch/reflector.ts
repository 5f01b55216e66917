/**
 * A list/watch Reflector that keeps an exact cache of one collection
 * through disconnects, expired resource versions and errors, and streams
 * its changes to any number of observers.
 *
 * It is an explicit state machine — `Empty` (must list), `Watching` (from a
 * resourceVersion), `Backoff` (waiting after a failure) — advanced by one
 * step function:
 *
 * - `Empty`: list page by page (`limit`, following `continue`; a 410 on a
 *   continue token restarts the list), replace the cache with the exact
 *   difference as events, emit `SYNCED`, then watch from the list's version.
 *   Or, where the server supports it, one WatchList stream whose initial
 *   events replace the cache the same way at their end marker and which
 *   goes on as the watch (see `initialList` in `options.ts`: by default the
 *   first Reflector on a client asks the server once, and the answer is
 *   remembered for every Reflector on that client).
 * - `Watching`: watch with bookmarks and a server timeout of 5–10 minutes. A
 *   clean end resumes from the last version seen. A 410 (as an HTTP status
 *   or an ERROR event, reason `Expired` or `Gone`) emits `DESYNCED` and goes
 *   back to `Empty` after a backoff (client-go waits between relists too).
 *   A watch that ends within a second with no event is backed off like a
 *   failure (client-go's "very short watch"). Anything else — network
 *   errors, 5xx, 429, a malformed line, a stalled connection, 401/403 (also
 *   emitted as `ERROR`) — backs off and retries, and reaches the `onError`
 *   hook first. It never stops on its own.
 *
 * The list and the retry policy are the library's only ones: `_list.ts`
 * also serves `DynamicClient.list` and `readAllPages`, `_retry_policy.ts`
 * holds client-go's rules, and `waitFor` runs a Reflector.
 *
 * With `compact: true` (see `options.ts`) the cache keeps each object as
 * its JSON text and builds it on access; with `listWatch()`'s lister and
 * watcher it reads their answers as bytes and scans each object instead of
 * parsing it. Everything above is the same in both modes.
 *
 * The pieces: `_list.ts` (the paged list), `_watch.ts` (one watch request),
 * `_initial_events.ts` (WatchList's initial state), `_cache.ts` (the store
 * and the events its changes become), `_arrival.ts` (an object from the
 * server taken in: key, predicate, transform), `_entry_form.ts` (objects
 * kept as they are, or packed: `_packed.ts`), `_raw.ts` (the raw list and
 * watch of a compact Reflector), `_fan_out.ts` (observers),
 * `_deadline.ts` (answer deadlines and stall detection).
 *
 * @module
 */

import type { WatchEvent } from "../contract.ts";
import { type Backoff, ExponentialBackoff } from "./backoff.ts";
import type {
  ApiStatus,
  KindIds,
  KindIdsReq,
  ListOf,
  ListOpts,
  ReflectorEvent,
  ReflectorState,
  WatchOpts,
} from "./types.ts";
import type { ReflectorOptions } from "./options.ts";
import { MapStore } from "./store.ts";
import { realClock, type ReflectorClock } from "./clock.ts";
import { Cache } from "./_cache.ts";
import { FanOut } from "./_fan_out.ts";
import { listAll, type ListSettings, withKind } from "./_list.ts";
import { type EntryForm, packedForm, plainForm } from "./_entry_form.ts";
import { type Arrival, Intake } from "./_arrival.ts";
import { rawOf, rawPage } from "./_raw.ts";
import { IndexedStore } from "./indexed_store.ts";
import { packedFaceOf } from "./_store_seam.ts";
import type { ReflectorStore } from "./store.ts";
import { yieldToTimers } from "../_internal/delay.ts";
import { openReflectorSeam } from "./_reflector_seam.ts";
import {
  ReflectorError,
  type ReflectorErrorReason,
} from "../errors/reflector_error.ts";
import {
  isReportable,
  type RetryState,
  type WatchContext,
  type WatchListFailure,
  watchOnce,
} from "./_watch.ts";
import { WatchListSupport } from "./watch_list_support.ts";
import { watchListSupportOf } from "./_attached_support.ts";

export type { ReflectorOptions } from "./options.ts";

/**
 * Keeps an exact cache of a collection with list+watch.
 *
 * The initial state, and every relist after a 410, comes from a WatchList
 * stream when the server supports it, else from paged lists. With the
 * default `initialList: "auto"` and a watcher from `listWatch()`, the first
 * Reflector on a client asks the server once; the answer is kept in the
 * client's {@link WatchListSupport} record, so later (re)lists through that
 * client use WatchList from the start, or never ask an old server again (one
 * refused request per client). Whichever way, the cache is replaced exactly
 * once the state is complete.
 *
 * @example
 * ```ts
 * import { listWatch, Reflector } from "@denokube/transport";
 * import type { RestClient } from "@denokube/transport/contract";
 *
 * async function watchConfigMaps(client: RestClient, signal: AbortSignal): Promise<void> {
 *   const { lister, watcher } = listWatch(client, "/api/v1/namespaces/default/configmaps");
 *   const reflector = new Reflector(lister, watcher);
 *   const running = reflector.run(signal);
 *   for await (const evt of reflector.observeAll()) {
 *     if (evt.type === "SYNCED") console.log(reflector.cachedCount, "objects");
 *   }
 *   await running;
 * }
 * ```
 */
export class Reflector<T extends KindIds, S extends ApiStatus = ApiStatus> {
  // Cache entries are the objects, or Packed bytes under `compact`: typed
  // `unknown` here, read through the cache's form.
  readonly #list: ListSettings<Arrival<unknown>>;
  readonly #watch: WatchContext<T, S, unknown>;
  readonly #backoff: Backoff;
  readonly #onError: ((err: ReflectorError) => void) | undefined;
  readonly #clock: ReflectorClock;
  readonly #fanOut: FanOut<T, S>;
  readonly #cache: Cache<T, S, unknown>;
  readonly #stopper = new AbortController();
  /** Where WatchList answers are recorded; none: the watcher may not pass the options on. */
  readonly #support: WatchListSupport | undefined;
  readonly #initialList: "list" | "watch" | "auto";
  /** The next initial state is listed, whatever the server supports (after a 401/403 to WatchList). */
  #listNext = false;
  #running = false;
  #state: ReflectorState = { kind: "Empty" };

  /**
   * Builds the reflector; nothing runs until {@link Reflector.run}.
   *
   * @param lister Lists the collection (one page per call).
   * @param watcher Watches the collection, as a stream of watch events.
   * @param options Paging, selectors, timeouts, backoff, clock, store, observer buffer.
   */
  constructor(
    lister: (opts: ListOpts) => Promise<ListOf<T>>,
    watcher: (opts: WatchOpts) => Promise<ReadableStream<WatchEvent<T, S>>>,
    options: ReflectorOptions<T> = {},
  ) {
    const selectors = {
      ...(options.labelSelector
        ? { labelSelector: options.labelSelector }
        : {}),
      ...(options.fieldSelector
        ? { fieldSelector: options.fieldSelector }
        : {}),
    };
    const clock = options.clock ?? realClock;
    const requestTimeoutMs = options.requestTimeoutMs ?? 60_000;
    this.#clock = clock;
    this.#backoff = options.backoff ?? new ExponentialBackoff();
    this.#onError = options.onError;
    this.#fanOut = new FanOut(options.observerBufferSize ?? 10_000);
    const compact = options.compact === true;
    const store = storeFor(options.store, compact);
    const intake = new Intake<T, unknown>(
      (compact ? packedForm : plainForm) as EntryForm<T & KindIdsReq, unknown>,
      options.predicate,
      options.transform,
      options.store instanceof IndexedStore,
    );
    this.#cache = new Cache(store, intake, this.#fanOut);
    // A compact Reflector reads bytes where listWatch() attached them; a
    // lister and watcher of one's own give parsed objects, packed here.
    const raw = compact ? rawOf(lister, watcher) : undefined;
    this.#list = {
      lister: raw
        ? async (opts) => rawPage(await raw.list(opts), intake)
        : async (opts) => {
          const page = await lister(opts);
          return {
            metadata: page.metadata,
            items: (page.items ?? []).map((item) =>
              intake.object(withKind(item, page))
            ),
          };
        },
      pageSize: options.pageSize ?? 500,
      selectors,
      clock,
      requestTimeoutMs,
    };
    this.#watch = {
      watcher,
      raw: raw?.watch,
      selectors,
      clock,
      requestTimeoutMs,
      inactivityMs: options.inactivityTimeoutMs ?? 180_000,
      watchTimeout: options.watchTimeoutSeconds ??
        (() => 300 + Math.floor(Math.random() * 301)),
      cache: this.#cache,
      failed: (err, next, stage) => this.#failed(err, next, stage),
      onError: (err, stage) => this.#tell(err, stage),
      backOff: (next) => this.#backOff(next),
      desync: () => this.#desync(),
      watchListAccepted: () => this.#support?.accepted(),
      watchListFailed: (how, err) => this.#watchListFailed(how, err),
    };
    this.#initialList = options.initialList ?? "auto";
    this.#support = options.watchListSupport ?? watchListSupportOf(watcher) ??
      (this.#initialList === "watch" ? new WatchListSupport() : undefined);
  }

  /**
   * Whether the next initial state (or relist) comes from a WatchList
   * stream: under `"watch"` or `"auto"` (see
   * {@link ReflectorOptions.initialList}) until the server refuses or
   * ignores WatchList.
   */
  get usesWatchList(): boolean {
    return this.#initialList !== "list" && this.#support !== undefined &&
      this.#support.verdict !== "unsupported";
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
    const entry = this.#cache.store.get(`${namespace ?? ""}/${name}`);
    return entry === undefined ? undefined : this.#cache.form.view(entry);
  }

  /**
   * How many objects the cache holds (client-go's `len(store.List())`,
   * kube-rs's `store.state().len()`), without building any: under
   * {@link ReflectorOptions.compact}, where `listCached()` builds every
   * object, this is the cheap way to count them.
   *
   * @example
   * ```ts
   * import type { Reflector } from "@denokube/transport";
   *
   * async function countWhenSynced(reflector: Reflector<never>): Promise<number> {
   *   for await (const evt of reflector.observeAll()) {
   *     if (evt.type === "SYNCED") return reflector.cachedCount;
   *   }
   *   return reflector.cachedCount;
   * }
   * ```
   */
  get cachedCount(): number {
    return this.#cache.store.size;
  }

  /**
   * Every cached object.
   *
   * @returns The objects, in no particular order: a new array, so it can be
   *   mapped and filtered and stays as it is while the cache changes.
   */
  listCached(): (T & KindIdsReq)[] {
    const { form } = this.#cache;
    const out: (T & KindIdsReq)[] = [];
    for (const entry of this.#cache.store.values()) out.push(form.view(entry));
    return out;
  }

  /**
   * Whether the cache is a complete picture right now.
   *
   * @returns True between a SYNCED and the next DESYNCED.
   */
  isSynced(): boolean {
    return this.#cache.syncedVersion !== undefined;
  }

  /**
   * Runs list+watch until `abortSignal` aborts or {@link stop} is called.
   * Returns once everything it started — requests, streams, timers — has
   * ended; observers' iterators then finish.
   *
   * @param abortSignal Stops the loop.
   * @throws {Error} When called twice.
   */
  async run(abortSignal?: AbortSignal): Promise<void> {
    if (this.#running) throw new Error("Reflector.run() was already called");
    this.#running = true;
    const signal = abortSignal
      ? AbortSignal.any([abortSignal, this.#stopper.signal])
      : this.#stopper.signal;
    try {
      while (!signal.aborted) {
        this.#state = await this.#step(this.#state, signal);
        // A lister or watcher that answers at once (an in-process fake)
        // would otherwise keep this loop on microtasks, starving every timer.
        await yieldToTimers();
      }
    } finally {
      this.#state = { kind: "Stopped" };
      this.#fanOut.finish();
    }
  }

  /** Stops {@link run}. Safe to call more than once. */
  stop(): void {
    this.#stopper.abort(new DOMException("Reflector stopped", "AbortError"));
  }

  // Tests step the machine one transition at a time through this seam; it
  // is no part of the class's public surface.
  static {
    openReflectorSeam({
      step: (r, state, signal) =>
        (r as Reflector<KindIds>).#step(state, signal),
      state: (r) => (r as Reflector<KindIds>).#state,
    });
  }

  /** One transition of the state machine; {@link run} calls it in a loop. */
  async #step(
    state: ReflectorState,
    signal: AbortSignal,
  ): Promise<ReflectorState> {
    switch (state.kind) {
      case "Empty": {
        const viaWatchList = this.usesWatchList && !this.#listNext;
        this.#listNext = false;
        return viaWatchList
          ? await watchOnce(this.#watch, undefined, signal)
          : await this.#relist(signal);
      }
      case "Watching":
        return await watchOnce(this.#watch, state.resourceVersion, signal);
      case "Backoff":
        try {
          await this.#clock.sleep(state.delayMs, signal);
        } catch {
          return { kind: "Stopped" };
        }
        return state.next;
      case "Stopped":
        return state;
    }
  }

  async #relist(signal: AbortSignal): Promise<ReflectorState> {
    try {
      const { items, resourceVersion } = await listAll(this.#list, signal);
      if (!resourceVersion) {
        throw new Error("the list response has no metadata.resourceVersion");
      }
      const fresh = new Map<string, unknown>();
      for (const arrival of items) {
        if (arrival.admits()) fresh.set(arrival.key, arrival.kept());
      }
      this.#cache.replace(fresh, resourceVersion);
      return { kind: "Watching", resourceVersion };
    } catch (err) {
      if (signal.aborted) return { kind: "Stopped" };
      return this.#failed(err, { kind: "Empty" }, "InitialListFailed");
    }
  }

  #failed(
    err: unknown,
    next: RetryState,
    stage: ReflectorErrorReason,
  ): ReflectorState {
    this.#tell(err, stage);
    this.#report(err);
    return this.#backOff(next);
  }

  /** Tells the `onError` hook of a failure, named by its stage. */
  #tell(err: unknown, stage: ReflectorErrorReason): void {
    this.#onError?.(new ReflectorError(stage, err));
  }

  /** Tells observers of a 401/403, as an ERROR event. */
  #report(err: unknown): void {
    if (isReportable(err)) {
      this.#fanOut.emit({ type: "ERROR", object: err.status as unknown as S });
    }
  }

  #backOff(next: RetryState): ReflectorState {
    return {
      kind: "Backoff",
      delayMs: this.#backoff.next(this.#clock.now()),
      next,
    };
  }

  /**
   * The server refused or ignored WatchList: it is recorded as unsupported
   * and the Reflector lists at once. No end marker in time from a server
   * known to support WatchList is a failure like any other instead (a large
   * state, a slow link): back off and ask again. A 401/403 says nothing of
   * the server, but the user may be allowed to list and not to watch: it is
   * reported, and this one initial state is listed, as `"list"` would.
   */
  #watchListFailed(how: WatchListFailure, err: unknown): ReflectorState {
    if (how === "no end marker" && this.#support?.verdict === "supported") {
      return this.#failed(err, { kind: "Empty" }, "WatchFailed");
    }
    if (how === "unauthorized") {
      this.#tell(err, "WatchStartFailed");
      this.#report(err);
      this.#listNext = true;
      return { kind: "Empty" };
    }
    this.#support?.refused();
    return { kind: "Empty" };
  }

  /**
   * A 410: the cache no longer reflects the server. The relist waits a
   * backoff first, as client-go's does (`wait.BackoffUntil` waits after
   * every `ListAndWatch` that returns, a watch that ended with "Expired"
   * included): a server that expires every watch gets a list every 0.8–1.6 s
   * at most, growing to 30 s, not one per round trip.
   */
  #desync(): ReflectorState {
    this.#cache.desync();
    return this.#backOff({ kind: "Empty" });
  }

  /**
   * Every event from now on, starting with a snapshot: ADDED for each cached
   * object, then SYNCED if the cache is synced. Replaying the events an
   * observer receives always rebuilds the cache exactly. Several observers may
   * run at once; see {@link ReflectorOptions.observerBufferSize} for one that
   * falls behind. Finishes when the Reflector stops, or when `signal`
   * aborts (a pending `next()` then resolves at once, done).
   *
   * @param signal Ends this observer only.
   * @returns The events.
   */
  observeAll(
    signal?: AbortSignal,
  ): AsyncGenerator<ReflectorEvent<T, S>, void, undefined> {
    return this.#fanOut.observe(this.#cache, signal);
  }

  /**
   * Runs `cb` with {@link observeAll}'s iterator (v0.7.3 helper).
   * @param cb Consumes the events.
   * @returns What `cb` returns.
   */
  goObserveAll<U>(
    cb: (iter: AsyncIterableIterator<ReflectorEvent<T, S>>) => Promise<U>,
  ): Promise<U> {
    return cb(this.observeAll());
  }
}

/**
 * Where a Reflector keeps its entries: the store given (or a MapStore), or
 * for a compact one the packed face of an IndexedStore (or a MapStore).
 */
function storeFor<T>(
  store: ReflectorStore<T> | undefined,
  compact: boolean,
): ReflectorStore<unknown> {
  if (!compact) return (store ?? new MapStore<T>()) as ReflectorStore<unknown>;
  if (store === undefined) return new MapStore<unknown>();
  if (store instanceof IndexedStore) return packedFaceOf(store);
  throw new TypeError(
    "Reflector: compact keeps objects as bytes in its own store or an IndexedStore; expected no store of your own (or compact: false)",
  );
}
