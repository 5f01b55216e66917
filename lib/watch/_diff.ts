// Keys and differences of cached objects: a relist becomes the exact events
// that turn the old cache into the new one.

import type { KindIds, KindIdsReq, ReflectorEvent } from "./types.ts";
import type { EntryForm } from "./_entry_form.ts";

/** The events that turn the state `from` into the state `to` (cache entries by key). */
export function difference<T, S, E>(
  form: EntryForm<T, E>,
  from: Map<string, E>,
  to: Map<string, E>,
): ReflectorEvent<T, S>[] {
  const events: ReflectorEvent<T, S>[] = [];
  for (const [key, entry] of to) {
    const known = from.get(key);
    if (known === undefined) events.push(form.event("ADDED", entry));
    else if (form.version(known) !== form.version(entry)) {
      events.push(form.modified(entry, known));
    }
  }
  for (const [key, entry] of from) {
    if (!to.has(key)) events.push(form.event("DELETED", entry));
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
  if (!m || m.name == null || m.resourceVersion == null) throw unkeyed();
  return item as T & KindIdsReq;
}

/** What an object without a name or a resourceVersion fails with, parsed or scanned. */
export function unkeyed(): TypeError {
  return new TypeError(
    "Reflector: an object without metadata.name or metadata.resourceVersion",
  );
}
