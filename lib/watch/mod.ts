/**
 * Watching collections: the {@link Reflector} (an exact cache of one
 * collection through disconnects, expired resource versions and errors, with
 * any number of observers), {@link listWatch} (its list and watch functions for
 * any client), backoff, stores, the stream transformers and pagination. Use the
 * Reflector for a cache or a controller loop; `readAllPages` for a one-off
 * paginated read. Deno permissions: the transport's.
 *
 * `expectStream` + `expectJson` decodes a watch at the byte level (`\n` or `\r\n`,
 * chunk boundaries anywhere — inside a line or a multi-byte character — a last
 * line without newline, lines of many megabytes) with `JsonLinesDecoder`;
 * `WatchEventTransformer(objValidator, errValidator)` (kept from v0.7.3, like
 * `JsonParsingTransformer`, deprecated, and `LineSplitter`) validates each event. A malformed
 * line errors the stream with a `StreamDecodeError` that quotes only a short
 * prefix; its `cause` is the parser's error class without the parser's message,
 * which would quote text anywhere in the line.
 *
 * ```ts
 * import { listWatch, Reflector } from "@denokube/transport/watch";
 * import type { RestClient } from "@denokube/transport";
 *
 * declare const client: RestClient;
 * declare const signal: AbortSignal;
 *
 * const { lister, watcher } = listWatch(
 *   client,
 *   "/api/v1/namespaces/default/configmaps",
 * );
 * const reflector = new Reflector(lister, watcher, { labelSelector: "app=web" });
 * reflector.run(signal); // until signal aborts
 * for await (const evt of reflector.observeAll()) {
 *   // ADDED, MODIFIED (with `previous`), DELETED, BOOKMARK, SYNCED, DESYNCED, ERROR
 * }
 * ```
 *
 * `new Reflector(lister, watcher, options?)` takes the v0.7.3 function shapes
 * (generated `getXList`/`watchXList` methods fit as they are;
 * `listWatch(client,
 * path)` makes them for any `RestClient`) and keeps
 * `run(signal)`, `getCached(namespace, name)`, `listCached()`, `cachedCount`
 * (counts without building objects), `isSynced()`, `observeAll()` and
 * `goObserveAll()`. It is an explicit state machine (`Empty`,
 * `Watching`, `Backoff`; see `lib/watch/`):
 *
 * - Listed items get the list's `apiVersion` and `kind` when they carry
 *   neither (the apiserver leaves them out of a typed list's items;
 *   client-go's unstructured decoding sets them), so the initial state reads
 *   like watch events.
 * - The list is paginated (`pageSize`, default 500, following `continue`); a 410
 *   on a continue token falls back once to a full list without `limit`
 *   (client-go's pager), a second one fails the list (backed off, then listed
 *   again). The same paged list and retry policy (`lib/watch/_list.ts`,
 *   `_retry_policy.ts`) serve `waitFor`, `DynamicClient.list` and `readAllPages`
 *   (which never retries: it throws the 410). The watch starts at the list's
 *   resourceVersion with bookmarks and a server `timeoutSeconds` drawn from 5–10
 *   minutes; a clean end resumes from the last version seen, bookmarks included.
 * - A 410 (HTTP status or ERROR event, reason `Expired` or `Gone`) emits
 *   `DESYNCED`, relists after a backoff (client-go waits between relists), emits
 *   exactly the difference between the old cache and the new list (ADDED /
 *   MODIFIED / DELETED), then `SYNCED`.
 * - Everything else (resets, 5xx, 429, timeouts, malformed lines, a watch that
 *   ends within a second with no event — client-go's "very short watch") backs off
 *   — client-go's 800 ms → 30 s, ×2, up to +100% jitter, reset after 2 minutes
 *   without failure; `backoff` is injectable — and retries. 401/403 also reach
 *   observers as `ERROR` events, and `onError` is told of every failure as a
 *   `ReflectorError` naming its stage in `reason` (`InitialListFailed`,
 *   `WatchStartFailed`, `WatchEventError`, `WatchFailed`; the failure is its
 *   `cause`) (client-go's `WatchErrorHandler`; `waitFor` gives up through it on
 *   what waiting cannot cure). It never stops on its own. A watch with no event
 *   for `inactivityTimeoutMs` (default 3 min) is considered stalled and
 *   reconnected.
 * - Each list page, and each watch until its response headers arrive, has a
 *   deadline (`requestTimeoutMs`, default 60 s, connecting included): a peer that
 *   accepts the connection and never answers is aborted as a `TransportError`
 *   (`timeout`) and retried after a backoff.
 * - `run(signal)` (or `stop()`, safe to call twice) returns once every request,
 *   stream and timer it started has ended; observers' iterators then finish.
 * - Observers get a snapshot (ADDED per cached object, then `SYNCED`) and then
 *   live events; replaying what an observer receives always rebuilds the cache
 *   exactly. Each observer buffers at most `observerBufferSize` events (default
 *   10,000); one that falls further behind gets `DESYNCED` and the exact
 *   difference between what it was told and the cache instead of the missed
 *   events, so a slow consumer cannot grow memory without bound.
 * - `labelSelector` / `fieldSelector` go to both list and watch; `predicate`
 *   filters on the client (an object that stops matching is reported DELETED).
 * - Clock, backoff, store (`add/update/delete/replace`) are injectable; the unit
 *   tests drive the state machine with a fake clock.
 *
 * - A sync reaches observers as one batch (the difference, then `SYNCED`) that
 *   takes one slot of the buffer, so an initial state of any size — 10,000 objects
 *   included — cannot overflow an observer.
 * - Stall detection is one deadline per watch, re-armed from the last event's
 *   time; an event costs a clock read, not a timer.
 *
 * Streamed bodies (watches, logs, `kubectl` stdout) are read with a BYOB reader
 * into one reused buffer and split into lines in place; only the partial line at
 * the end of a read is copied. (Deno's default body reader allocates 64 KiB per
 * read, and the apiserver sends one small chunk per event.) `KubeConfigRestClient`
 * reads watches and followed logs from a connection of its own (see the transports entry point, "What
 * `KubeConfigRestClient` understands"), so one read carries every event that has
 * arrived instead of one.
 *
 * **WatchList.** A WatchList stream (`sendInitialEvents=true`,
 * `resourceVersionMatch=NotOlderThan`, `allowWatchBookmarks=true`, no
 * resourceVersion: a consistent read) delivers the initial state as events: the
 * events up to the BOOKMARK annotated `k8s.io/initial-events-end: "true"` fill a
 * fresh map that replaces the cache exactly (difference, then `SYNCED`), and the
 * same watch goes on — no list, so no large list response held on the apiserver.
 * `initialList` chooses:
 *
 * - `"auto"` (the default): WatchList when the watcher is known to pass the
 *   options on (made by `listWatch()`, or a `watchListSupport` record given) and
 *   the server has not refused or ignored it before; a plain list otherwise. What
 *   the server answered is kept in a `WatchListSupport` record, one per client
 *   (`WatchListSupport.for(client)`, which `listWatch()` attaches to its watcher),
 *   shared by every Reflector on that client. The first Reflector asks: a 1.27+
 *   server with the WatchList feature answers with the stream, and every initial
 *   state and relist through that client uses WatchList from then on; an older
 *   server answers 422 at once, and every list through that client is a plain list
 *   from then on — one refused request per client, never another. Trying first
 *   (rather than listing first and probing at a later relist) puts WatchList where
 *   it matters most: the first, largest sync, when many clients restart.
 * - `"watch"`: WatchList with any watcher (it must pass the options on), with the
 *   same fallback and record.
 * - `"list"`: paged lists, then a watch.
 *
 * Which servers stream depends on the `WatchList` gate's default
 * (`kube_features.go`): off 1.27–1.31 (alpha), on in 1.32 (beta), off again in
 * 1.33, on from 1.34 — so `"auto"` streams on 1.32 and 1.34+ and lists on 1.33 and
 * everything before 1.32, unless the cluster sets the gate. A server refuses with
 * 422 Invalid (1.19–1.26 forbid `resourceVersionMatch` on a watch — our 1.20
 * apiserver answers exactly that; 1.27+ without the `WatchList` feature forbid
 * `sendInitialEvents`) or 400. A server that ignores the options (a BOOKMARK
 * without the annotation, a clean end before it, or no marker within
 * `requestTimeoutMs` from a server not yet known to support WatchList) is recorded
 * the same way; the first sync on such a server waits for that, once per client.
 * Either way the Reflector lists at once, and the events of the refused or ignored
 * stream never reach observers. A cut, a 410 or any other failure before the
 * marker leaves the cache untouched, concludes nothing about the server, and
 * starts over after a backoff (a server that keeps failing cannot make the loop
 * spin); a 401/403 is reported and that initial state is listed (a user may be
 * allowed to list and not to watch); aborting returns at once. A 410 later relists
 * the same way, with WatchList or a list as recorded. `usesWatchList` tells which
 * the next sync uses. Servers need etcd ≥ 3.4.31 / 3.5.13 for WatchList (progress
 * notifications). Checked against: a loopback peer (`test/_watch_list_peer.ts`)
 * written from the apiserver's `validateWatchOptions` and the API reference for
 * `sendInitialEvents` (KEP-3157), in four modes — 1.27+ with WatchList, 1.19–1.26,
 * 1.27+ with the gate off, and a server that drops unknown parameters — with a
 * 410, a cut and a stall in the middle of the initial events
 * (`test/unit/watch/watch_list_test.ts`); and the real 1.20.2 apiserver, which
 * refuses it, through a real 410 after an etcd compaction, and which ignores it
 * when asked without `resourceVersionMatch`
 * (`test/integration/watch/reflector_apiserver_test.ts`). No real ≥ 1.27 server
 * was available here.
 *
 * ## Where the code lives
 *
 * `lib/watch/`: `reflector.ts` (the state machine), `options.ts`, `types.ts`
 * (objects, events, states), `store.ts` (the cache interface), `clock.ts`
 * (injectable time), `backoff.ts`, `list_watch.ts`, `pagination.ts`,
 * `stream_transformers.ts`, `watch_list_support.ts`, and internal files for the
 * list, one watch, WatchList's initial events, the retry policy, the cache,
 * observers and deadlines.
 *
 * ## The cache operators can afford
 *
 * - **Transforms** (`transforms.ts`): `transform` in the Reflector's
 *   options runs once per object before it is stored and delivered;
 *   `dropManagedFields` is built in. MODIFIED's `previous` and a relist's
 *   difference are the transformed objects; the predicate sees the
 *   server's.
 * - **Indexes** (`indexed_store.ts`): `IndexedStore` answers `byNamespace`,
 *   `byLabel(key, value)` and `byIndex(name, value)` for any function
 *   registered with `addIndexers`, without reading every object.
 * - **Metadata-only** (`list_watch.ts`): `listWatch(client, path, {
 *   metadataOnly: true })` (and `DynamicClient.list`/`watch`) ask for
 *   `PartialObjectMetadata`, falling back to full objects cut down to it.
 * - **Shared watches** (`shared_watches.ts`):
 *   `SharedWatches.for(client).reflector(path, options)` — one list/watch
 *   and one indexed cache per collection, selectors, metadata-only mode
 *   and transform; each consumer gets its own snapshot-then-events stream;
 *   the last `release()` stops it.
 * - **A compact store** (`compact: true` in the Reflector's or a shared
 *   watch's options): each object is kept as the JSON text the server sent
 *   plus its key, resourceVersion (and labels for an `IndexedStore`), and
 *   built on access — `getCached`/`listCached`/index lookups give a fresh
 *   object per call; an event's `object`/`previous` are built on first read
 *   and kept for that event. With `listWatch()`'s lister and watcher the
 *   Reflector reads their answers as bytes (`_raw.ts`) and scans each
 *   object (`lib/_wire/json_scan.ts`) instead of parsing it: every line of
 *   a read is handled in turn, no promise per event. A predicate or a
 *   transform other than `dropManagedFields` parses each object; the
 *   events, relists, WatchList, bookmarks and errors are exactly the
 *   default Reflector's (`test/unit/watch/compact_test.ts` runs both side by
 *   side; the Reflector's other unit tests run in both modes).
 *
 * Measured (`deno task bench`, 2026-12-03, a quiet 2-core machine; the whole
 * edition, with spreads and the profiles behind the missed targets, is in
 * test/bench/README.md): in process, 40,000 Pod events go into a compact
 * cache at 177k/s and 6.2 µs of CPU each, against the default's 71k/s and
 * 16.9 µs; a 10,000-Pod sync retains 3.62 KiB per Pod by default, 3.13
 * KiB with `dropManagedFields`, 1.34 KiB metadata-only, and compact 2.73,
 * 2.48 and 1.03 KiB. Across processes over HTTP, against client-node's
 * informer: compact takes 2.03× its events/s at 0.41× its CPU per event
 * (the default Reflector 1.19×, 0.74×); a 10,000-Pod sync from the
 * apiserver takes 0.84× its time at 0.60× its peak RSS and 0.45× its heap
 * per object (metadata-only: 0.75× the time and 0.77× the peak of that);
 * 10 observers of one shared watch cost 0.24× the CPU per event and 0.54×
 * the RSS of 10 Reflectors, over one connection instead of ten.
 *
 * @module
 */

export {
  type ApiStatus,
  type KindIds,
  type KindIdsReq,
  type ListOf,
  type ListOpts,
  type ReflectorEvent,
  type ReflectorModifiedEvent,
  type ReflectorObjectEvent,
  type ReflectorState,
  type WatchEventSynced,
  type WatchOpts,
} from "./types.ts";
export { Reflector } from "./reflector.ts";
export type { ReflectorOptions } from "./options.ts";
export { MapStore, type ReflectorStore } from "./store.ts";
export {
  IndexedStore,
  type IndexFunc,
  LABEL_INDEX,
  NAMESPACE_INDEX,
} from "./indexed_store.ts";
export { dropManagedFields, type ObjectTransform } from "./transforms.ts";
export { type ListWatch, listWatch } from "./list_watch.ts";
export {
  SharedReflector,
  type SharedReflectorOptions,
  SharedWatches,
} from "./shared_watches.ts";
export { realClock, type ReflectorClock } from "./clock.ts";
export {
  type Backoff,
  ExponentialBackoff,
  type ExponentialBackoffOptions,
} from "./backoff.ts";
export {
  WatchListSupport,
  type WatchListVerdict,
} from "./watch_list_support.ts";
export {
  JsonLinesDecoder,
  JsonParsingTransformer,
  LineSplitter,
  WatchEventTransformer,
} from "./stream_transformers.ts";
export { type ListPage, readAllItems, readAllPages } from "./pagination.ts";
export {
  ReflectorError,
  type ReflectorErrorReason,
  StreamDecodeError,
  type StreamDecodeErrorReason,
} from "../errors/mod.ts";
