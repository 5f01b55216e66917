// The Reflector's options: paging, selectors, timeouts, the initial-list
// mode, and the injectable backoff, clock and store.

import type { Backoff } from "../backoff.ts";
import type { KindIdsReq } from "./types.ts";
import type { ReflectorStore } from "./store.ts";
import type { ReflectorClock } from "./clock.ts";

/** Options for a `Reflector` (`lib/watch/reflector.ts`). */
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
