// The Reflector's data: what a cached object must carry, the list and watch
// functions' shapes, the events observers receive, and the loop's states.

import type { WatchEventBookmark, WatchEventError } from "../contract.ts";

/** The identifying fields a cached object must have. */
export type KindIds = {
  metadata?: {
    name?: string | null;
    namespace?: string | null;
    uid?: string | null;
    resourceVersion?: string | null;
  } | null;
};

/** The identifying fields, required. */
export type KindIdsReq = {
  metadata: {
    name: string;
    namespace?: string | null;
    uid: string;
    resourceVersion: string;
  };
};

/** A list response. */
export type ListOf<T> = {
  metadata: { resourceVersion?: string | null; continue?: string | null };
  items: Array<T>;
};

/** What the lister receives (v0.7.3 shape, plus selectors). */
export type ListOpts = {
  abortSignal?: AbortSignal;
  resourceVersion?: string;
  limit?: number;
  continue?: string;
  labelSelector?: string;
  fieldSelector?: string;
};

/** What the watcher receives (v0.7.3 shape, plus selectors). */
export type WatchOpts = {
  abortSignal?: AbortSignal;
  resourceVersion?: string;
  timeoutSeconds?: number;
  allowWatchBookmarks?: boolean;
  labelSelector?: string;
  fieldSelector?: string;
  /** WatchList: start with the current state as events (Kubernetes ≥ 1.27 with the WatchList feature). */
  sendInitialEvents?: boolean;
  /** `NotOlderThan` with {@link sendInitialEvents}. */
  resourceVersionMatch?: string;
};

/** The Status-like object of an ERROR event. */
export interface ApiStatus {
  /** List metadata. */
  metadata?: { resourceVersion?: string | null } | null;
  /** HTTP code. */
  code?: number | null;
  /** Human-readable description. */
  message?: string | null;
  /** Machine-readable reason. */
  reason?: string | null;
  /** `Failure`. */
  status?: string | null;
}

/** `SYNCED`: the cache is a complete picture at `resourceVersion`. `DESYNCED`: it no longer is, until the next `SYNCED`. */
export type WatchEventSynced =
  | { "type": "SYNCED"; "object": { metadata: { resourceVersion: string } } }
  | { "type": "DESYNCED"; "object": { metadata: Record<string, never> } };

/** An object added or deleted. */
export type ReflectorObjectEvent<T> = {
  "type": "ADDED" | "DELETED";
  "object": T;
};
/** An object modified, with its previous state. */
export type ReflectorModifiedEvent<T> = {
  "type": "MODIFIED";
  "object": T;
  "previous": T;
};

/** Everything an observer sees. */
export type ReflectorEvent<T, S = ApiStatus> =
  | ReflectorObjectEvent<T & KindIdsReq>
  | ReflectorModifiedEvent<T & KindIdsReq>
  | WatchEventError<S>
  | WatchEventBookmark
  | WatchEventSynced;

/** The states of the watch loop. */
export type ReflectorState =
  | { kind: "Empty" }
  | { kind: "Watching"; resourceVersion: string }
  | {
    kind: "Backoff";
    delayMs: number;
    next: { kind: "Empty" } | { kind: "Watching"; resourceVersion: string };
  }
  | { kind: "Stopped" };
