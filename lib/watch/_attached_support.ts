// Which watchers are known to pass the WatchList parameters on, and to
// which server: `listWatch()` marks its watchers, the Reflector looks them
// up. Internal: users give a record with the `watchListSupport` option.

import type { WatchListSupport } from "./watch_list_support.ts";

const byWatcher = new WeakMap<object, WatchListSupport>();

/**
 * Marks `watcher` as passing the WatchList parameters on, to the server
 * `support` records (`listWatch()` does this).
 *
 * @param watcher The watch function.
 * @param support Its server's record.
 */
export function attachWatchListSupport(
  watcher: object,
  support: WatchListSupport,
): void {
  byWatcher.set(watcher, support);
}

/**
 * The record attached to `watcher`, if any.
 *
 * @param watcher The watch function.
 * @returns Its server's record, or undefined for a watcher not known to pass the WatchList parameters on.
 */
export function watchListSupportOf(
  watcher: object,
): WatchListSupport | undefined {
  return byWatcher.get(watcher);
}
