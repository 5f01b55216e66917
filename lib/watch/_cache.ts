// The cache and what observers hear of its changes: a watch event applied
// to the store becomes exactly one observer event (or none), a relist
// becomes the exact difference followed by SYNCED.

import type { KindIds, KindIdsReq, ReflectorEvent } from "./types.ts";
import type { ReflectorStore } from "./store.ts";
import type { CacheView, FanOut } from "./_fan_out.ts";
import { difference, keyed, keyOf } from "./_diff.ts";
import type { ObjectTransform } from "./transforms.ts";

/** The store, the predicate that admits objects, and the fan-out of its changes. */
export class Cache<T extends KindIds, S> implements CacheView<T> {
  /** Set between a SYNCED and the next DESYNCED: the version the cache is complete at. */
  syncedVersion: string | undefined;

  constructor(
    readonly store: ReflectorStore<T & KindIdsReq>,
    readonly predicate: ((obj: T & KindIdsReq) => boolean) | undefined,
    readonly fanOut: FanOut<T, S>,
    readonly transform: ObjectTransform<T & KindIdsReq> | undefined = undefined,
  ) {}

  /**
   * What the cache keeps of an admitted object: the transform's result,
   * checked to keep the key and version (see `transforms.ts`).
   */
  kept(obj: T & KindIdsReq): T & KindIdsReq {
    if (!this.transform) return obj;
    const { name, namespace, resourceVersion } = obj.metadata;
    const out = this.transform(obj);
    const m = (out as KindIds | null | undefined)?.metadata;
    if (
      !m || m.name !== name || (m.namespace ?? undefined) !==
        (namespace ?? undefined) ||
      m.resourceVersion !== resourceVersion
    ) {
      throw new TypeError(
        `Reflector: the transform must keep metadata.name, namespace and resourceVersion; for ${
          namespace ?? ""
        }/${name} at ${resourceVersion} it returned ${
          m
            ? `${m.namespace ?? ""}/${m.name} at ${m.resourceVersion}`
            : "no metadata"
        }`,
      );
    }
    return out;
  }

  /** Every cached object. */
  values(): Iterable<T & KindIdsReq> {
    return this.store.values();
  }

  /** Whether the predicate (if any) admits `obj`. */
  admits(obj: T & KindIdsReq): boolean {
    return !this.predicate || this.predicate(obj);
  }

  /** Replaces the cache with a fresh state, emitting exactly the difference, then SYNCED. */
  replace(fresh: Map<string, T & KindIdsReq>, version: string): void {
    const current = new Map<string, T & KindIdsReq>();
    for (const obj of this.store.values()) current.set(keyOf(obj), obj);
    const batch = difference<T, S>(current, fresh);
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
  apply(
    evt: { type: "ADDED" | "MODIFIED" | "DELETED"; object: T },
  ): string | undefined {
    const raw = keyed(evt.object);
    const key = keyOf(raw);
    const version = raw.metadata.resourceVersion;
    const known = this.store.get(key);
    const matches = evt.type !== "DELETED" &&
      (!this.predicate || this.predicate(raw));
    if (!matches) {
      if (known) {
        this.store.delete(key);
        this.fanOut.emit({
          type: "DELETED",
          object: evt.type === "DELETED" ? this.kept(raw) : known,
        });
      }
    } else if (known) {
      const obj = this.kept(raw);
      this.store.update(key, obj);
      this.fanOut.emit({ type: "MODIFIED", object: obj, previous: known });
    } else {
      const obj = this.kept(raw);
      this.store.add(key, obj);
      this.fanOut.emit({ type: "ADDED", object: obj });
    }
    if (this.syncedVersion !== undefined) this.syncedVersion = version;
    return version;
  }
}
