// The cache and what observers hear of its changes: an object event applied
// to the store becomes exactly one observer event (or none), a relist
// becomes the exact difference followed by SYNCED. It works on entries of
// the Reflector's form (objects, or packed bytes under `compact`).

import type { KindIds, KindIdsReq, ReflectorEvent } from "./types.ts";
import type { ReflectorStore } from "./store.ts";
import type { CacheView, FanOut } from "./_fan_out.ts";
import { difference } from "./_diff.ts";
import type { EntryForm } from "./_entry_form.ts";
import type { Arrival, Intake } from "./_arrival.ts";

/** The store, how it keeps objects, and the fan-out of its changes. */
export class Cache<T extends KindIds, S, E = T & KindIdsReq>
  implements CacheView<T & KindIdsReq, E> {
  /** Set between a SYNCED and the next DESYNCED: the version the cache is complete at. */
  syncedVersion: string | undefined;
  /** How entries are read. */
  readonly form: EntryForm<T & KindIdsReq, E>;

  constructor(
    readonly store: ReflectorStore<E>,
    readonly intake: Intake<T, E>,
    readonly fanOut: FanOut<T, S>,
  ) {
    this.form = intake.form;
  }

  /** Every cache entry. */
  entries(): Iterable<E> {
    return this.store.values();
  }

  /** Replaces the cache with a fresh state, emitting exactly the difference, then SYNCED. */
  replace(fresh: Map<string, E>, version: string): void {
    const current = new Map<string, E>();
    for (const entry of this.store.values()) {
      current.set(this.form.key(entry), entry);
    }
    const batch = difference<T & KindIdsReq, S, E>(this.form, current, fresh);
    this.store.replace(fresh);
    this.syncedVersion = version;
    batch.push({
      type: "SYNCED",
      object: { metadata: { resourceVersion: version } },
    });
    this.fanOut.emitBatch(batch);
  }

  /** The cache is no longer a complete picture: DESYNCED. */
  desync(): void {
    this.syncedVersion = undefined;
    this.fanOut.emit({ type: "DESYNCED", object: { metadata: {} } });
  }

  /** A BOOKMARK: the cache is current at its version. */
  bookmark(evt: ReflectorEvent<T, S> & { type: "BOOKMARK" }): string {
    const version = evt.object.metadata.resourceVersion;
    this.syncedVersion = version;
    this.fanOut.emit(evt);
    return version;
  }

  /** Applies one object event to the cache; returns its resourceVersion. */
  apply(type: "ADDED" | "MODIFIED" | "DELETED", arrival: Arrival<E>): string {
    const { key, version } = arrival;
    const known = this.store.get(key);
    const matches = type !== "DELETED" && arrival.admits();
    if (!matches) {
      if (known !== undefined) {
        this.store.delete(key);
        this.fanOut.emit(
          this.form.event(
            "DELETED",
            type === "DELETED" ? arrival.kept() : known,
          ),
        );
      }
    } else if (known !== undefined) {
      const entry = arrival.kept();
      this.store.update(key, entry);
      this.fanOut.emit(this.form.modified(entry, known));
    } else {
      const entry = arrival.kept();
      this.store.add(key, entry);
      this.fanOut.emit(this.form.event("ADDED", entry));
    }
    if (this.syncedVersion !== undefined) this.syncedVersion = version;
    return version;
  }
}
