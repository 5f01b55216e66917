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
export { realClock, type ReflectorClock } from "./clock.ts";
export { type ListWatch, listWatch } from "./list_watch.ts";
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
