// WatchList's initial state (KEP-3157): the events a watch with
// `sendInitialEvents=true` starts with fill a fresh map, up to the BOOKMARK
// annotated `k8s.io/initial-events-end: "true"`; what a server that refuses
// or ignores the parameters answers instead.

import type { WatchEventBookmark, WatchEventError } from "../contract.ts";
import { KubernetesApiError } from "../errors/mod.ts";
import type { WatchOpts } from "./types.ts";
import type { Arrival } from "./_arrival.ts";

/** A watch event as the Reflector takes it: an object event's object is an arrival. */
export type Incoming<E, S> =
  | { type: "ADDED" | "MODIFIED" | "DELETED"; arrival: Arrival<E> }
  | WatchEventBookmark
  | WatchEventError<S>;

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

/** The state being received (cache entries by key); replaces the cache at the end marker. */
export class InitialEvents<E> {
  readonly fresh = new Map<string, E>();

  /** Takes one event of the initial phase. */
  take<S>(evt: Incoming<E, S>): InitialStep<S> {
    switch (evt.type) {
      case "ADDED":
      case "MODIFIED": {
        const { arrival } = evt;
        if (arrival.admits()) this.fresh.set(arrival.key, arrival.kept());
        else this.fresh.delete(arrival.key);
        return undefined;
      }
      case "DELETED":
        this.fresh.delete(evt.arrival.key);
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
