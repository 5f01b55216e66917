// Keys and differences of cached objects: a relist becomes the exact events
// that turn the old cache into the new one.

import type { KindIds, KindIdsReq, ReflectorEvent } from "./types.ts";

/** The events that turn the state `from` into the state `to`. */
export function difference<T, S>(
  from: Map<string, T & KindIdsReq>,
  to: Map<string, T & KindIdsReq>,
): ReflectorEvent<T, S>[] {
  const events: ReflectorEvent<T, S>[] = [];
  for (const [key, obj] of to) {
    const known = from.get(key);
    if (!known) events.push({ type: "ADDED", object: obj });
    else if (known.metadata.resourceVersion !== obj.metadata.resourceVersion) {
      events.push({ type: "MODIFIED", object: obj, previous: known });
    }
  }
  for (const [key, obj] of from) {
    if (!to.has(key)) events.push({ type: "DELETED", object: obj });
  }
  return events;
}

/** The cache key: `namespace/name`. */
export function keyOf(obj: KindIdsReq): string {
  return `${obj.metadata.namespace ?? ""}/${obj.metadata.name}`;
}

/** The object, checked to carry a name and a resourceVersion. */
export function keyed<T extends KindIds>(item: T): T & KindIdsReq {
  const m = item.metadata;
  if (!m || m.name == null || m.resourceVersion == null) {
    throw new TypeError(
      "Reflector: an object without metadata.name or metadata.resourceVersion",
    );
  }
  return item as T & KindIdsReq;
}
