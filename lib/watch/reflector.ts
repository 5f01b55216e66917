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
 * - `Watching`: watch with bookmarks and a server timeout of 5–10 minutes. A
 *   clean end resumes from the last version seen. A 410 (as an HTTP status
 *   or an ERROR event, reason `Expired` or `Gone`) emits `DESYNCED` and goes
 *   back to `Empty`. Anything else — network errors, 5xx, 429, a malformed
 *   line, a stalled connection, 401/403 (also emitted as `ERROR`) — backs off
 *   and retries. It never stops on its own.
 *
 * @module
 */

import type { WatchEvent } from "../contract.ts";
import { type Backoff, ExponentialBackoff } from "./backoff.ts";
import { KubernetesApiError, TransportError } from "../errors/mod.ts";
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
import { MapStore, type ReflectorStore } from "./store.ts";
import { realClock, type ReflectorClock } from "./clock.ts";
import { ObserverQueue } from "./_observer_queue.ts";
import { difference, keyed, keyOf } from "./_diff.ts";

/** Options for a {@link Reflector}. */
export interface ReflectorOptions<T> {
  /** Items per list page. @default {500} */
  pageSize?: number;
  /** Passed to the lister and the watcher. */
  labelSelector?: string;
  /** Passed to the lister and the watcher. */
  fieldSelector?: string;
  /** Only objects it accepts are cached; an object that stops matching is reported DELETED. */
  predicate?: (obj: T & KindIdsReq) => boolean;
  /** The server-side watch timeout per request. @default {a random 300–600 s, like client-go} */
  watchTimeoutSeconds?: () => number;
  /** A watch with no event for this long is considered stalled and reconnected. @default {180000} */
  inactivityTimeoutMs?: number;
  /**
   * The longest wait for one list page, and for a watch's response headers
   * (connecting included). A peer that accepts the connection but never
   * answers would otherwise hold the Reflector forever; past this, the
   * request is aborted with a `TransportError` (`timeout`) and retried
   * after a backoff.
   * @default {60000}
   */
  requestTimeoutMs?: number;
  /**
   * How the initial state is fetched. `"list"`: paged lists, then a watch.
   * `"watch"`: a WatchList stream (`sendInitialEvents=true`,
   * `resourceVersionMatch=NotOlderThan`) whose initial events end with a
   * BOOKMARK annotated `k8s.io/initial-events-end: "true"`; the watcher
   * must pass those two options on. When the server rejects them (400/422,
   * servers before 1.27 or without the WatchList feature) or ignores them
   * (a BOOKMARK without the annotation, a clean end, or no end marker
   * within `requestTimeoutMs`), the Reflector falls back to `"list"` for
   * good. Either way the cache is replaced exactly once the state is
   * complete; a cut or a 410 before then starts over.
   * @default {"list"}
   */
  initialList?: "list" | "watch";
  /** Waits after failures. @default {client-go's: 800 ms → 30 s, ×2, jitter, reset after 2 min} */
  backoff?: Backoff;
  /** Time source. @default {realClock} */
  clock?: ReflectorClock;
  /** Object storage. @default {a MapStore} */
  store?: ReflectorStore<T & KindIdsReq>;
  /**
   * Events buffered per observer. An observer that falls this far behind
   * gets `DESYNCED` followed by a fresh snapshot of the cache (ADDED for each
   * object, then `SYNCED`) instead of the missed events, so a slow observer
   * costs at most this many events of memory. A sync (a list's difference
   * and its `SYNCED`) counts as one: the initial state, however large,
   * cannot overflow an observer.
   * @default {10000}
   */
  observerBufferSize?: number;
}

const isGoneStatus = (
  s: { code?: number | null; reason?: string | null },
): boolean => s.code === 410 || s.reason === "Expired" || s.reason === "Gone";

/** A failure the loop should report to observers as an ERROR event (401/403). */
const isReportable = (err: unknown): err is KubernetesApiError =>
  err instanceof KubernetesApiError &&
  (err.isForbidden() || err.isUnauthorized());

/**
 * Keeps an exact cache of a collection with list+watch.
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
 *     if (evt.type === "SYNCED") console.log([...reflector.listCached()].length, "objects");
 *   }
 *   await running;
 * }
 * ```
 */
export class Reflector<T extends KindIds, S extends ApiStatus = ApiStatus> {
  readonly #lister: (opts: ListOpts) => Promise<ListOf<T>>;
  readonly #watcher: (
    opts: WatchOpts,
  ) => Promise<ReadableStream<WatchEvent<T, S>>>;
  readonly #pageSize: number;
  readonly #selectors: { labelSelector?: string; fieldSelector?: string };
  readonly #predicate: ((obj: T & KindIdsReq) => boolean) | undefined;
  readonly #watchTimeout: () => number;
  readonly #inactivityMs: number;
  readonly #requestTimeoutMs: number;
  readonly #backoff: Backoff;
  readonly #clock: ReflectorClock;
  readonly #store: ReflectorStore<T & KindIdsReq>;
  readonly #bufferSize: number;
  readonly #observers = new Set<ObserverQueue<T, S>>();
  readonly #stopper = new AbortController();
  #syncedVersion: string | undefined;
  #watchList: boolean;
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
    this.#lister = lister;
    this.#watcher = watcher;
    this.#pageSize = options.pageSize ?? 500;
    this.#selectors = {
      ...(options.labelSelector
        ? { labelSelector: options.labelSelector }
        : {}),
      ...(options.fieldSelector
        ? { fieldSelector: options.fieldSelector }
        : {}),
    };
    this.#predicate = options.predicate;
    this.#watchTimeout = options.watchTimeoutSeconds ??
      (() => 300 + Math.floor(Math.random() * 301));
    this.#inactivityMs = options.inactivityTimeoutMs ?? 180_000;
    this.#requestTimeoutMs = options.requestTimeoutMs ?? 60_000;
    this.#backoff = options.backoff ?? new ExponentialBackoff();
    this.#clock = options.clock ?? realClock;
    this.#store = options.store ?? new MapStore();
    this.#bufferSize = options.observerBufferSize ?? 10_000;
    this.#watchList = options.initialList === "watch";
  }

  /** Whether the next initial state comes from a WatchList stream (false once the server refused or ignored it). */
  get usesWatchList(): boolean {
    return this.#watchList;
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
    return this.#store.get(`${namespace ?? ""}/${name}`);
  }

  /**
   * Every cached object.
   *
   * @returns The objects, in no particular order.
   */
  listCached(): Iterable<T & KindIdsReq> {
    return this.#store.values();
  }

  /**
   * Whether the cache is a complete picture right now.
   *
   * @returns True between a SYNCED and the next DESYNCED.
   */
  isSynced(): boolean {
    return this.#syncedVersion !== undefined;
  }

  /** The loop's current state (for diagnostics). */
  get state(): ReflectorState {
    return this.#state;
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
        this.#state = await this.step(this.#state, signal);
      }
    } finally {
      this.#state = { kind: "Stopped" };
      for (const obs of this.#observers) obs.finish();
    }
  }

  /** Stops {@link run}. Safe to call more than once. */
  stop(): void {
    this.#stopper.abort(new DOMException("Reflector stopped", "AbortError"));
  }

  /**
   * One transition of the state machine. Exposed for tests; {@link run}
   * calls it in a loop.
   *
   * @param state The current state.
   * @param signal Aborts the step.
   * @returns The next state.
   */
  async step(
    state: ReflectorState,
    signal: AbortSignal,
  ): Promise<ReflectorState> {
    switch (state.kind) {
      case "Empty":
        return this.#watchList
          ? await this.#watch(undefined, signal)
          : await this.#list(signal);
      case "Watching":
        return await this.#watch(state.resourceVersion, signal);
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

  #failed(
    err: unknown,
    next: { kind: "Empty" } | { kind: "Watching"; resourceVersion: string },
  ): ReflectorState {
    if (isReportable(err)) {
      this.#emit({ type: "ERROR", object: err.status as unknown as S });
    }
    return {
      kind: "Backoff",
      delayMs: this.#backoff.next(this.#clock.now()),
      next,
    };
  }

  async #list(signal: AbortSignal): Promise<ReflectorState> {
    const fresh = new Map<string, T & KindIdsReq>();
    let token: string | undefined;
    let version: string | undefined | null;
    try {
      for (;;) {
        let page: ListOf<T>;
        const pageCtl = new AbortController();
        const answered = this.#deadline("list", pageCtl, signal);
        try {
          page = await this.#lister({
            abortSignal: AbortSignal.any([signal, pageCtl.signal]),
            limit: this.#pageSize,
            ...(token ? { continue: token } : {}),
            ...this.#selectors,
          });
        } catch (err) {
          if (token && err instanceof KubernetesApiError && err.isGone()) {
            // The continue token expired mid-list: start the list over.
            fresh.clear();
            token = undefined;
            continue;
          }
          throw err;
        } finally {
          answered();
        }
        for (const item of page.items) {
          const obj = keyed(item);
          if (this.#predicate && !this.#predicate(obj)) continue;
          fresh.set(keyOf(obj), obj);
        }
        version = page.metadata.resourceVersion;
        token = page.metadata.continue || undefined;
        if (!token) break;
      }
    } catch (err) {
      if (signal.aborted) return { kind: "Stopped" };
      return this.#failed(err, { kind: "Empty" });
    }
    if (!version) {
      return this.#failed(
        new Error("the list response has no metadata.resourceVersion"),
        { kind: "Empty" },
      );
    }
    this.#replace(fresh, version);
    return { kind: "Watching", resourceVersion: version };
  }

  /** Replaces the cache with a fresh list, emitting exactly the difference. */
  #replace(fresh: Map<string, T & KindIdsReq>, version: string): void {
    const current = new Map<string, T & KindIdsReq>();
    for (const obj of this.#store.values()) current.set(keyOf(obj), obj);
    const batch = difference<T, S>(current, fresh);
    this.#store.replace(fresh);
    this.#syncedVersion = version;
    batch.push({
      type: "SYNCED",
      object: { metadata: { resourceVersion: version } },
    });
    for (const obs of this.#observers) obs.push(batch);
  }

  #desync(): ReflectorState {
    this.#syncedVersion = undefined;
    this.#emit({ type: "DESYNCED", object: { metadata: {} } });
    return { kind: "Empty" };
  }

  /**
   * Watches from `fromVersion`, or — without one — a WatchList stream whose
   * initial events fill a fresh map until the end marker replaces the cache.
   */
  async #watch(
    fromVersion: string | undefined,
    outer: AbortSignal,
  ): Promise<ReflectorState> {
    const ctl = new AbortController();
    const signal = AbortSignal.any([outer, ctl.signal]);
    const started = this.#clock.now();
    let version = fromVersion ?? "";
    let initial: Map<string, T & KindIdsReq> | undefined = fromVersion ===
        undefined
      ? new Map()
      : undefined;
    let markerDue: (() => void) | undefined;
    let events = 0;
    let reader: ReadableStreamDefaultReader<WatchEvent<T, S>> | undefined;
    // One deadline for the whole watch, re-armed from the last event's time:
    // an event costs one clock read, not a timer.
    const watchdog = { lastEvent: started, stalled: undefined as unknown };
    this.#watchdog(watchdog, ctl, signal, () => reader);
    try {
      const answered = this.#deadline("watch", ctl, signal);
      let stream: ReadableStream<WatchEvent<T, S>>;
      try {
        stream = await this.#watcher({
          abortSignal: signal,
          ...(initial
            ? { sendInitialEvents: true, resourceVersionMatch: "NotOlderThan" }
            : { resourceVersion: version }),
          timeoutSeconds: this.#watchTimeout(),
          allowWatchBookmarks: true,
          ...this.#selectors,
        });
      } finally {
        answered();
      }
      if (initial) markerDue = this.#deadline("initial events", ctl, signal);
      watchdog.lastEvent = this.#clock.now();
      reader = stream.getReader();
      for (;;) {
        const result = await reader.read();
        if (watchdog.stalled) throw watchdog.stalled;
        if (result.done) break;
        watchdog.lastEvent = this.#clock.now();
        const evt = result.value;
        events++;
        if (initial) {
          if (evt.type === "ADDED" || evt.type === "MODIFIED") {
            const obj = keyed(evt.object);
            if (!this.#predicate || this.#predicate(obj)) {
              initial.set(keyOf(obj), obj);
            } else initial.delete(keyOf(obj));
            continue;
          }
          if (evt.type === "DELETED") {
            initial.delete(keyOf(keyed(evt.object)));
            continue;
          }
          if (evt.type === "BOOKMARK") {
            if (
              evt.object.metadata.annotations?.["k8s.io/initial-events-end"] !==
                "true"
            ) {
              return this.#watchListIgnored();
            }
            markerDue?.();
            version = evt.object.metadata.resourceVersion;
            this.#replace(initial, version);
            initial = undefined;
            continue;
          }
          // An ERROR before the state is complete: start over (at once after a 410).
          if (evt.type === "ERROR") {
            if (isGoneStatus(evt.object)) return { kind: "Empty" };
            this.#emit(evt);
          }
          return this.#failed(new Error("watch ERROR event"), {
            kind: "Empty",
          });
        }
        if (evt.type === "ERROR") {
          if (isGoneStatus(evt.object)) return this.#desync();
          // Observers hear about it; the loop backs off and resumes.
          this.#emit(evt);
          return {
            kind: "Backoff",
            delayMs: this.#backoff.next(this.#clock.now()),
            next: { kind: "Watching", resourceVersion: version },
          };
        }
        if (evt.type === "BOOKMARK") {
          version = evt.object.metadata.resourceVersion;
          this.#syncedVersion = version;
          this.#emit(evt);
          continue;
        }
        version = this.#apply(evt) ?? version;
      }
    } catch (err) {
      if (outer.aborted) return { kind: "Stopped" };
      if (initial) {
        if (
          err instanceof KubernetesApiError &&
          (err.code === 400 || err.code === 422)
        ) {
          return this.#watchListIgnored();
        }
        if (err instanceof TransportError && ctl.signal.reason === err) {
          return this.#watchListIgnored(); // no end marker in time
        }
        // A cut or a failure before the state was complete: start over.
        return this.#failed(err, { kind: "Empty" });
      }
      if (err instanceof KubernetesApiError && err.isGone()) {
        return this.#desync();
      }
      return this.#failed(err, { kind: "Watching", resourceVersion: version });
    } finally {
      markerDue?.();
      ctl.abort();
      await reader?.cancel().catch(() => {});
    }
    // A clean end before the end marker: the server ignored sendInitialEvents.
    if (initial) return this.#watchListIgnored();
    if (events === 0 && this.#clock.now() - started < 1000) {
      // A watch that ends at once with nothing would spin: treat it as a failure (client-go does too).
      return this.#failed(new Error("very short watch"), {
        kind: "Watching",
        resourceVersion: version,
      });
    }
    return { kind: "Watching", resourceVersion: version };
  }

  /** The server refused or ignored WatchList: list from now on, at once. */
  #watchListIgnored(): ReflectorState {
    this.#watchList = false;
    return { kind: "Empty" };
  }

  /**
   * Aborts the watch (`ctl`) once no event has come for the inactivity
   * timeout: sleeps until the last event's time plus the timeout, and
   * sleeps again for the rest when an event came meanwhile. Ends when
   * `signal` aborts (the watch is over). A stalled watch's read is also
   * cancelled, so a stream that ignores its abort signal cannot hold the
   * loop.
   */
  #watchdog(
    watchdog: { lastEvent: number; stalled: unknown },
    ctl: AbortController,
    signal: AbortSignal,
    reader: () => ReadableStreamDefaultReader<unknown> | undefined,
  ): void {
    const run = async () => {
      let wait = this.#inactivityMs;
      for (;;) {
        await this.#clock.sleep(wait, signal);
        const idle = this.#clock.now() - watchdog.lastEvent;
        if (idle < this.#inactivityMs) {
          wait = this.#inactivityMs - idle;
          continue;
        }
        watchdog.stalled = new Error(
          `no watch event for ${this.#inactivityMs} ms: the connection looks stalled`,
        );
        ctl.abort(watchdog.stalled);
        await reader()?.cancel(watchdog.stalled).catch(() => {});
        return;
      }
    };
    run().catch(() => {}); // the watch ended first
  }

  /**
   * Starts the `requestTimeoutMs` deadline of one request: past it, `ctl`
   * aborts the request with a timeout TransportError (every transport
   * rejects with its signal's reason). Returns the function that cancels
   * the deadline once the answer is there.
   */
  #deadline(
    what: string,
    ctl: AbortController,
    signal: AbortSignal,
  ): () => void {
    const timer = new AbortController();
    this.#clock.sleep(
      this.#requestTimeoutMs,
      AbortSignal.any([signal, timer.signal]),
    ).then(() =>
      ctl.abort(
        new TransportError(
          `Reflector: the ${what} request got no answer within ${this.#requestTimeoutMs} ms`,
          { kind: "timeout" },
        ),
      ), () => {}); // cancelled: the answer came, or the Reflector stopped
    return () => timer.abort();
  }

  /** Applies one object event to the cache; returns its resourceVersion. */
  #apply(
    evt: { type: "ADDED" | "MODIFIED" | "DELETED"; object: T },
  ): string | undefined {
    const obj = keyed(evt.object);
    const key = keyOf(obj);
    const known = this.#store.get(key);
    const matches = evt.type !== "DELETED" &&
      (!this.#predicate || this.#predicate(obj));
    if (!matches) {
      if (known) {
        this.#store.delete(key);
        this.#emit({
          type: "DELETED",
          object: evt.type === "DELETED" ? obj : known,
        });
      }
    } else if (known) {
      this.#store.update(key, obj);
      this.#emit({ type: "MODIFIED", object: obj, previous: known });
    } else {
      this.#store.add(key, obj);
      this.#emit({ type: "ADDED", object: obj });
    }
    if (this.#syncedVersion !== undefined) {
      this.#syncedVersion = obj.metadata.resourceVersion;
    }
    return obj.metadata.resourceVersion;
  }

  #emit(evt: ReflectorEvent<T, S>): void {
    for (const obs of this.#observers) obs.push(evt);
  }

  /**
   * Every event from now on, starting with a snapshot: ADDED for each cached
   * object, then SYNCED if the cache is synced. Replaying the events an
   * observer receives always rebuilds the cache exactly. Several observers may
   * run at once; see {@link ReflectorOptions.observerBufferSize} for one that
   * falls behind. Finishes when the Reflector stops.
   *
   * @returns The events.
   */
  async *observeAll(): AsyncGenerator<ReflectorEvent<T, S>, void, undefined> {
    const queue = new ObserverQueue<T, S>(this.#bufferSize);
    // What this observer has been told, to catch it up exactly after an overflow.
    const told = new Map<string, T & KindIdsReq>();
    const track = (evt: ReflectorEvent<T, S>) => {
      if (evt.type === "ADDED" || evt.type === "MODIFIED") {
        told.set(keyOf(evt.object), evt.object);
      } else if (evt.type === "DELETED") told.delete(keyOf(evt.object));
      return evt;
    };
    // Snapshot and registration in one synchronous step: no event falls between them.
    const snapshot = this.#snapshot();
    if (this.#state.kind !== "Stopped") this.#observers.add(queue);
    else queue.done = true;
    try {
      for (const evt of snapshot) yield track(evt);
      for (;;) {
        if (queue.overflowed) {
          queue.overflowed = false;
          yield { type: "DESYNCED", object: { metadata: {} } };
          const current = new Map<string, T & KindIdsReq>();
          for (const obj of this.#store.values()) current.set(keyOf(obj), obj);
          for (const evt of difference<T, S>(told, current)) yield track(evt);
          if (this.#syncedVersion !== undefined) {
            yield {
              type: "SYNCED",
              object: { metadata: { resourceVersion: this.#syncedVersion } },
            };
          }
          continue;
        }
        const evt = queue.events.shift();
        if (Array.isArray(evt)) {
          for (const e of evt) yield track(e);
          continue;
        }
        if (evt) {
          yield track(evt as ReflectorEvent<T, S>);
          continue;
        }
        if (queue.done) return;
        await new Promise<void>((resolve) => queue.wake = resolve);
        queue.wake = undefined;
      }
    } finally {
      this.#observers.delete(queue);
    }
  }

  #snapshot(): ReflectorEvent<T, S>[] {
    const events: ReflectorEvent<T, S>[] = [];
    for (const obj of this.#store.values()) {
      events.push({ type: "ADDED", object: obj });
    }
    if (this.#syncedVersion !== undefined) {
      events.push({
        type: "SYNCED",
        object: { metadata: { resourceVersion: this.#syncedVersion } },
      });
    }
    return events;
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
