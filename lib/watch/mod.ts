/**
 * A list/watch Reflector that keeps an exact cache of one collection
 * through disconnects, expired resource versions and errors, and streams
 * its changes to any number of observers.
 *
 * The code lives in `lib/watch/`: `reflector.ts` (the state machine),
 * `options.ts`, `types.ts` (objects, events, states), `store.ts` (the cache
 * interface), `clock.ts` (injectable time), `watch_list_support.ts` (what a
 * server answered to WatchList), and internal files for the list, one
 * watch, WatchList's initial events, the cache, observers and deadlines.
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
} from "./types.ts";
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
export { Reflector } from "./reflector.ts";
// added by #21: what onError is given
export {
  ReflectorError,
  type ReflectorErrorReason,
} from "../errors/reflector_error.ts";
export type { ReflectorOptions } from "./options.ts";
export {
  WatchListSupport,
  type WatchListVerdict,
} from "./watch_list_support.ts";
