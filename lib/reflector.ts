/**
 * A list/watch Reflector that keeps an exact cache of one collection
 * through disconnects, expired resource versions and errors, and streams
 * its changes to any number of observers.
 *
 * The code lives in `lib/watch/`: `reflector.ts` (the state machine),
 * `types.ts` (objects, events, states), `store.ts` (the cache interface),
 * `clock.ts` (injectable time), and internal `_observer_queue.ts` and
 * `_diff.ts`.
 *
 * @module
 */

export type {
  ApiStatus,
  KindIds,
  KindIdsReq,
  ListOf,
  ListOpts,
  ReflectorEvent,
  ReflectorModifiedEvent,
  ReflectorObjectEvent,
  ReflectorState,
  WatchEventSynced,
  WatchOpts,
} from "./watch/types.ts";
export { MapStore, type ReflectorStore } from "./watch/store.ts";
export { realClock, type ReflectorClock } from "./watch/clock.ts";
export { Reflector } from "./watch/reflector.ts";
export type { ReflectorOptions } from "./watch/options.ts";
