// How the cache keeps its objects — as they are, or packed as bytes
// (`compact`, issue #22) — and what the rest of the Reflector reads of an
// entry: its key and version, the object a caller gets, and the events an
// entry becomes. The store, the relist difference and the fan-out work on
// entries through this, so neither mode has code of its own there.

import type {
  KindIdsReq,
  ReflectorEvent,
  ReflectorModifiedEvent,
  ReflectorObjectEvent,
} from "./types.ts";
import { type Packed, PackedEvent } from "./_packed.ts";

/** What the Reflector reads of a cache entry `E` holding an object `T`. */
export interface EntryForm<T, E> {
  /** Whether entries are packed (objects are built on access). */
  readonly compact: boolean;
  /** The cache key, `namespace/name`. */
  key(entry: E): string;
  /** metadata.resourceVersion. */
  version(entry: E): string;
  /** The object a caller gets: the entry itself, or a fresh one built from it. */
  view(entry: E): T;
  /** An ADDED or DELETED event. */
  event<S>(type: "ADDED" | "DELETED", entry: E): ReflectorEvent<T, S>;
  /** A MODIFIED event. */
  modified<S>(entry: E, previous: E): ReflectorEvent<T, S>;
  /** The entry an object event carries (MODIFIED: the new one). */
  entryOf(evt: ReflectorObjectEvent<T> | ReflectorModifiedEvent<T>): E;
}

/** Objects kept as they are: the entry is the object. */
// deno-lint-ignore no-explicit-any
export const plainForm: EntryForm<any, any> = {
  compact: false,
  key: (obj: KindIdsReq) =>
    `${obj.metadata.namespace ?? ""}/${obj.metadata.name}`,
  version: (obj: KindIdsReq) => obj.metadata.resourceVersion,
  view: (obj) => obj,
  event: (type, object) => ({ type, object }),
  modified: (object, previous) => ({ type: "MODIFIED", object, previous }),
  entryOf: (evt) => evt.object,
};

/** Objects kept packed: built on access, in events on first read. */
// deno-lint-ignore no-explicit-any
export const packedForm: EntryForm<any, Packed> = {
  compact: true,
  key: (p) => p.key,
  version: (p) => p.resourceVersion,
  view: (p) => p.unpack(),
  // deno-lint-ignore no-explicit-any
  event: (type, p) => new PackedEvent(type, p) as any,
  // deno-lint-ignore no-explicit-any
  modified: (p, prior) => new PackedEvent("MODIFIED", p, prior) as any,
  entryOf: (evt) => PackedEvent.entryOf(evt as unknown as PackedEvent<unknown>),
};
