// The Reflector's options: paging, selectors, timeouts, the initial-list
// mode, and the injectable backoff, clock and store.

import type { ReflectorError } from "../errors/reflector_error.ts";
import type { Backoff } from "./backoff.ts";
import type { KindIdsReq } from "./types.ts";
import type { ReflectorStore } from "./store.ts";
import type { ReflectorClock } from "./clock.ts";
import type { WatchListSupport } from "./watch_list_support.ts";

/** Options for a `Reflector` (`lib/watch/reflector.ts`). */
export interface ReflectorOptions<T> {
  /** Items per list page. @default {500} */
  pageSize?: number;
  /** Passed to the lister and the watcher. */
  labelSelector?: string;
  /** Passed to the lister and the watcher. */
  fieldSelector?: string;
  /**
   * Only objects it accepts are cached; an object that stops matching is
   * reported DELETED. It sees the server's object, before any `transform`.
   * @default {none: every object is cached}
   */
  predicate?: (obj: T & KindIdsReq) => boolean;
  /**
   * Applied to each admitted object once, before it is stored and
   * delivered (client-go's `SetTransform`), such as
   * `dropManagedFields` (`transforms.ts`). MODIFIED's `previous` and a relist's
   * difference are the transformed objects; it must keep name, namespace
   * and resourceVersion (see `transforms.ts` for the whole contract).
   * @default {none: objects are kept as the server sent them}
   */
  transform?: (obj: T & KindIdsReq) => T & KindIdsReq;
  /**
   * Keep each object as the bytes the server sent (plus its key,
   * resourceVersion, and labels for an `IndexedStore`'s label index) and
   * build it on access, instead of keeping parsed objects.
   *
   * Pick it for large caches and busy collections: a cached object costs
   * about its JSON size instead of several times that in parsed objects,
   * and an event costs a scan of its bytes instead of a full `JSON.parse`
   * (with the watcher and lister of `listWatch()`, metadata-only included,
   * which hand the Reflector their raw bytes; a lister and watcher of your
   * own give parsed objects, which are serialized again to be packed —
   * slower than not compacting, and what you read back is their JSON form).
   *
   * What it costs on access, and what changes:
   * - `getCached`, `listCached` and an `IndexedStore`'s lookups build a
   *   fresh object from the bytes on every call (a `JSON.parse`): it is
   *   yours to mutate, and reading the same object twice parses twice.
   * - An observer's ADDED/MODIFIED/DELETED event builds its `object` and
   *   `previous` on first read and keeps them for that event (every
   *   observer of the event reads the same object); an observer that
   *   reads only `type` costs no parse. They are getters: read them, do
   *   not spread the event (`JSON.stringify` gives the plain event).
   * - A `predicate`, or a `transform` other than `dropManagedFields`,
   *   parses each object the server sends (a transform's result is
   *   serialized again); `dropManagedFields` is done on the bytes.
   * - A registered `IndexedStore` index function parses each changed
   *   object; the namespace and label indexes do not.
   * - `store` must be left out or be an empty `IndexedStore` over its
   *   default inner store (a store of your own would be handed bytes): a
   *   `TypeError` at construction otherwise.
   *
   * Events, SYNCED/DESYNCED, relists, WatchList, bookmarks and errors are
   * exactly those of a Reflector without it.
   * @default {false: objects are kept parsed, as a store of your own needs them, and reads cost nothing}
   */
  compact?: boolean;
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
   * How the initial state (and every relist after a 410) is fetched.
   *
   * - `"list"`: paged lists, then a watch from the list's version.
   * - `"watch"`: a WatchList stream (`sendInitialEvents=true`,
   *   `resourceVersionMatch=NotOlderThan`, `allowWatchBookmarks=true`, no
   *   resourceVersion: a consistent read) whose initial events end with a
   *   BOOKMARK annotated `k8s.io/initial-events-end: "true"`; the same
   *   stream then goes on as the watch. The watcher must pass those options
   *   on (`listWatch()`'s does).
   * - `"auto"`: `"watch"` when the watcher is known to pass the options on
   *   — made by `listWatch()`, or a `watchListSupport` record given —
   *   and the server has not refused or ignored WatchList before (per that
   *   record); `"list"` otherwise. The first Reflector on a client asks
   *   the server once: a 1.27+ server with the WatchList feature answers
   *   with the stream, and every (re)list through that client uses
   *   WatchList; a server before 1.27 (or with the feature off) answers 422
   *   at once, and every list through that client is a plain list from then
   *   on — one refused request per client, no more.
   *
   * When the server refuses the options (400/422) or ignores them (a
   * BOOKMARK without the annotation, a clean end before it, or no end
   * marker within `requestTimeoutMs` from a server not yet known to support
   * WatchList), the Reflector lists at once, records the server as
   * `unsupported`, and never asks it again. Either way the cache is
   * replaced exactly once the state is complete; a cut, a 410 or any other
   * failure before then leaves the cache untouched and starts over after a
   * backoff, without concluding anything about the server. A 401/403 to the
   * WatchList request is reported (ERROR) and that initial state is listed,
   * as `"list"` would: the user may be allowed to list and not to watch.
   * @default {"auto"}
   */
  initialList?: "list" | "watch" | "auto";
  /**
   * What the server answered to WatchList so far, shared by the Reflectors
   * that talk to it (see {@link WatchListSupport}). Giving one also tells
   * `"auto"` that the watcher passes the WatchList options on.
   * @default {the record `listWatch()` attached to the watcher (one per client); else, under `"watch"`, a record of this Reflector's own}
   */
  watchListSupport?: WatchListSupport;
  /**
   * Told of every failure the Reflector is about to back off from — a list
   * or watch that failed (5xx, 429, 401/403, TLS, a refused or reset
   * connection, an unanswered or stalled request, an undecodable line), a
   * non-410 ERROR event, a very short watch — so its user can see why it is
   * not syncing, as with client-go's `WatchErrorHandler`. Each failure comes
   * as a `ReflectorError` naming its stage in `reason` (kube-rs's
   * `InitialListFailed`, `WatchStartFailed`, `WatchEventError`,
   * `WatchFailed`) with the failure itself as `cause`. A 410 is not a
   * failure (the Reflector relists). It runs inside the loop: keep it quick;
   * it may call `stop()` to give up.
   * @default {none: the Reflector retries silently (401/403 also reach observers as ERROR events)}
   */
  onError?: (err: ReflectorError) => void;
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
