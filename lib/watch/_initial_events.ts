// WatchList's initial state (KEP-3157): the events a watch with
// `sendInitialEvents=true` starts with fill a fresh map, up to the BOOKMARK
// annotated `k8s.io/initial-events-end: "true"`; what a server that refuses
// or ignores the parameters answers instead.

import type { WatchEvent } from "../contract.ts";
import { KubernetesApiError } from "../errors/mod.ts";
import type { KindIds, KindIdsReq, WatchOpts } from "./types.ts";
import { keyed, keyOf } from "./_diff.ts";

/** The parameters that ask for a WatchList stream (no resourceVersion: a consistent read). */
export const watchListParams: Pick<
  WatchOpts,
  "sendInitialEvents" | "resourceVersionMatch"
> = { sendInitialEvents: true, resourceVersionMatch: "NotOlderThan" };

/** The annotation that marks the end of the initial events. */
export const INITIAL_EVENTS_END = "k8s.io/initial-events-end";

/** What one event of the initial phase means. */
export type InitialStep<S> =
  | undefined // part of the state: read on
  | { end: string } // the end marker, at this version
  | "ignored" // a BOOKMARK without the annotation: the server ignored the parameters
  | { error: S }; // an ERROR before the state was complete

/** The state being received; replaces the cache at the end marker. */
export class InitialEvents<T extends KindIds> {
  readonly fresh = new Map<string, T & KindIdsReq>();

  constructor(
    readonly cache: {
      admits(obj: T & KindIdsReq): boolean;
      kept(obj: T & KindIdsReq): T & KindIdsReq;
    },
  ) {}

  /** Takes one event of the initial phase. */
  take<S>(evt: WatchEvent<T, S>): InitialStep<S> {
    switch (evt.type) {
      case "ADDED":
      case "MODIFIED": {
        const obj = keyed(evt.object);
        if (this.cache.admits(obj)) {
          this.fresh.set(keyOf(obj), this.cache.kept(obj));
        } else this.fresh.delete(keyOf(obj));
        return undefined;
      }
      case "DELETED":
        this.fresh.delete(keyOf(keyed(evt.object)));
        return undefined;
      case "BOOKMARK":
        return evt.object.metadata.annotations?.[INITIAL_EVENTS_END] === "true"
          ? { end: evt.object.metadata.resourceVersion }
          : "ignored";
      case "ERROR":
        return { error: evt.object };
    }
  }
}

/**
 * Whether a failed WatchList request is the server refusing the
 * parameters: 422 Invalid (1.19–1.26 forbid `resourceVersionMatch` on a
 * watch; 1.27+ without the WatchList feature forbid `sendInitialEvents`)
 * or 400.
 */
export function isRefusal(err: unknown): boolean {
  return err instanceof KubernetesApiError &&
    (err.code === 400 || err.code === 422);
}
