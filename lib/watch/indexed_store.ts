/**
 * A Reflector store that answers by namespace, by label and by any index
 * function its user registers (client-go's `Indexer`), without scanning
 * every object: each index maps a value to the keys of the objects that
 * give it, kept current on every add, update, delete and replace.
 *
 * The objects themselves live in an inner {@link ReflectorStore} (a
 * {@link MapStore} unless one is given), so the store interface stays the
 * Reflector's one small interface and a store of one's own can be indexed
 * too. Index functions see the objects the cache keeps — after a
 * Reflector's `transform`: an index on a field the transform drops is
 * empty.
 *
 * Given to a Reflector with `compact: true`, the store holds the objects as
 * bytes: the namespace index reads each object's key and the label index
 * its labels, both read without parsing it; registered index functions
 * are given the object built from its bytes (one parse per change for all
 * of them, two for an update: the old object's values are computed again). `get`, `values` and
 * `byIndex` then build a fresh object per call. Its inner store must be the
 * default one.
 *
 * @example Pods by node, through a Reflector
 * ```ts
 * import { IndexedStore, listWatch, Reflector } from "@denokube/transport/watch";
 * import type { RestClient } from "@denokube/transport/contract";
 *
 * type Pod = { metadata: { name: string; namespace: string; uid: string; resourceVersion: string }; spec?: { nodeName?: string } };
 *
 * function podsOn(client: RestClient, node: string, signal: AbortSignal): Pod[] {
 *   const store = new IndexedStore<Pod>({ node: (pod) => pod.spec?.nodeName ? [pod.spec.nodeName] : [] });
 *   const { lister, watcher } = listWatch<Pod>(client, "/api/v1/pods");
 *   void new Reflector<Pod>(lister, watcher, { store }).run(signal);
 *   // … once synced:
 *   return store.byIndex("node", node);
 * }
 * ```
 *
 * @module
 */

import type { KindIdsReq } from "./types.ts";
import { MapStore, type ReflectorStore } from "./store.ts";
import { keyOf } from "./_diff.ts";
import { namespaceOfKey, type Packed, packObject } from "./_packed.ts";
import { openStoreSeam } from "./_store_seam.ts";

/** The values an object is found under in one index (none: it is not in that index). */
export type IndexFunc<T> = (obj: T) => readonly string[];

/** The built-in index of namespaces (empty for cluster-scoped objects). */
export const NAMESPACE_INDEX = "namespace";
/** The built-in index of labels, one value `key=value` per label. */
export const LABEL_INDEX = "label";

const namespaceOf: IndexFunc<KindIdsReq> = (obj) => [
  obj.metadata.namespace ?? "",
];
const labelValues = (labels: Record<string, string> | null | undefined) => {
  if (!labels) return [];
  const out: string[] = [];
  for (const key in labels) out.push(`${key}=${labels[key]}`);
  return out;
};
const labelsOf: IndexFunc<KindIdsReq> = (obj) =>
  labelValues(
    (obj.metadata as { labels?: Record<string, string> | null }).labels,
  );

/**
 * A {@link ReflectorStore} with indexes: by namespace and by label built
 * in, and any others registered with {@link IndexedStore.addIndexers}.
 */
export class IndexedStore<T extends KindIdsReq> implements ReflectorStore<T> {
  // Entries are the objects, or — once a compact Reflector switched the
  // store — Packed entries (`#packed`), typed as T inside.
  readonly #inner: ReflectorStore<T>;
  readonly #ownInner: boolean;
  #packed = false;
  readonly #indexers = new Map<string, IndexFunc<T>>();
  /** index name → value → keys of the objects under that value. */
  readonly #indexes = new Map<string, Map<string, Set<string>>>();

  /**
   * Builds an empty store with the built-in indexes and `indexers`.
   *
   * @param indexers More indexes, by name.
   * @param inner Where the objects live. @default {a MapStore}
   * @throws {TypeError} When a name is taken (`namespace` and `label` are built in).
   */
  constructor(
    indexers: Record<string, IndexFunc<T>> = {},
    inner?: ReflectorStore<T>,
  ) {
    this.#inner = inner ?? new MapStore<T>();
    this.#ownInner = inner !== undefined;
    this.addIndexers({
      [NAMESPACE_INDEX]: namespaceOf as IndexFunc<T>,
      [LABEL_INDEX]: labelsOf as IndexFunc<T>,
    });
    this.addIndexers(indexers);
  }

  static {
    openStoreSeam((store) => (store as IndexedStore<KindIdsReq>).#packedFace());
  }

  /**
   * Registers indexes; objects already stored are indexed at once.
   *
   * @param indexers Index functions by name.
   * @throws {TypeError} When a name is already registered (nothing is added then).
   */
  addIndexers(indexers: Record<string, IndexFunc<T>>): void {
    for (const name of Object.keys(indexers)) {
      if (this.#indexers.has(name)) {
        throw new TypeError(
          `IndexedStore: an index named "${name}" is already registered; expected a new name`,
        );
      }
    }
    for (const [name, fn] of Object.entries(indexers)) {
      this.#indexers.set(name, fn);
      const index = new Map<string, Set<string>>();
      this.#indexes.set(name, index);
      for (const entry of this.#inner.values()) {
        addTo(
          index,
          this.#valuesOf(name, fn, entry, this.#viewOnce(entry)),
          this.#keyOf(entry),
        );
      }
    }
  }

  /**
   * The objects an index finds under `value`.
   *
   * @param name The index (`namespace`, `label` or a registered one).
   * @param value The value, such as a namespace or `app=web` for `label`.
   * @returns A new array, in no particular order.
   * @throws {TypeError} When no index has that name.
   */
  byIndex(name: string, value: string): T[] {
    const keys = this.#index(name).get(value);
    const out: T[] = [];
    if (!keys) return out;
    for (const key of keys) {
      const entry = this.#inner.get(key);
      if (entry) out.push(this.#view(entry));
    }
    return out;
  }

  /**
   * The values an index holds objects under.
   *
   * @param name The index.
   * @returns A new array.
   * @throws {TypeError} When no index has that name.
   */
  indexValues(name: string): string[] {
    return [...this.#index(name).keys()];
  }

  /**
   * The objects of one namespace (`""` for cluster-scoped ones).
   *
   * @param namespace The namespace.
   * @returns A new array.
   */
  byNamespace(namespace: string): T[] {
    return this.byIndex(NAMESPACE_INDEX, namespace);
  }

  /**
   * The objects with the label `key` set to `value`.
   *
   * @param key The label's key.
   * @param value Its value.
   * @returns A new array.
   */
  byLabel(key: string, value: string): T[] {
    return this.byIndex(LABEL_INDEX, `${key}=${value}`);
  }

  /** The object under `key` (under `compact`: built from its bytes, a new one each call). */
  get(key: string): T | undefined {
    const entry = this.#inner.get(key);
    return entry === undefined ? undefined : this.#view(entry);
  }

  /** Stores and indexes a new object. */
  add(key: string, obj: T): void {
    this.#add(key, this.#entry(key, obj));
  }

  /** Replaces a stored object; its index entries follow. */
  update(key: string, obj: T): void {
    this.#update(key, this.#entry(key, obj));
  }

  /** Forgets an object and its index entries. */
  delete(key: string): void {
    const old = this.#inner.get(key);
    this.#inner.delete(key);
    this.#reindex(key, old, undefined);
  }

  /** Replaces everything; the indexes are rebuilt from the new content. */
  replace(entries: Map<string, T>): void {
    if (!this.#packed) return this.#replace(entries);
    const packed = new Map<string, T>();
    for (const [key, obj] of entries) packed.set(key, this.#entry(key, obj));
    this.#replace(packed);
  }

  /** Every stored object (under `compact`: each built from its bytes). */
  values(): Iterable<T> {
    if (!this.#packed) return this.#inner.values();
    return this.#views();
  }

  /** How many objects are stored. */
  get size(): number {
    return this.#inner.size;
  }

  *#views(): Generator<T> {
    for (const entry of this.#inner.values()) yield this.#view(entry);
  }

  #view(entry: T): T {
    return this.#packed ? (entry as unknown as Packed).unpack<T>() : entry;
  }

  /** An object given to a public method, as an entry. */
  #entry(key: string, obj: T): T {
    return this.#packed ? packObject(obj, key) as unknown as T : obj;
  }

  #keyOf(entry: T): string {
    return this.#packed ? (entry as unknown as Packed).key : keyOf(entry);
  }

  /**
   * The values `fn` gives an entry: built-in indexes read a packed entry's
   * fields; an index function of the user's is given `view()`, the object
   * built once for all of them.
   */
  #valuesOf(
    name: string,
    fn: IndexFunc<T>,
    entry: T,
    view: () => T,
  ): readonly string[] {
    if (!this.#packed) return fn(entry);
    const p = entry as unknown as Packed;
    if (fn === (namespaceOf as IndexFunc<T>) && name === NAMESPACE_INDEX) {
      return [namespaceOfKey(p.key)];
    }
    if (fn === (labelsOf as IndexFunc<T>) && name === LABEL_INDEX) {
      return labelValues(p.labels);
    }
    return fn(view());
  }

  /** `entry`'s object, built on the first call only (unused unless packed: no closure then). */
  #viewOnce(entry: T): () => T {
    if (!this.#packed) return unused as () => T;
    let built: T | undefined;
    return () => built ??= this.#view(entry);
  }

  #add(key: string, entry: T): void {
    const old = this.#inner.get(key);
    this.#inner.add(key, entry);
    this.#reindex(key, old, entry);
  }

  #update(key: string, entry: T): void {
    const old = this.#inner.get(key);
    this.#inner.update(key, entry);
    this.#reindex(key, old, entry);
  }

  #replace(entries: Map<string, T>): void {
    this.#inner.replace(entries);
    const indexes = new Map<string, Map<string, Set<string>>>();
    for (const name of this.#indexers.keys()) indexes.set(name, new Map());
    for (const [key, entry] of entries) {
      const view = this.#viewOnce(entry);
      for (const [name, fn] of this.#indexers) {
        addTo(indexes.get(name)!, this.#valuesOf(name, fn, entry, view), key);
      }
    }
    for (const [name, index] of indexes) this.#indexes.set(name, index);
  }

  /** Switches to packed entries; the face a compact Reflector's cache uses. */
  #packedFace(): ReflectorStore<Packed> {
    if (this.#ownInner) {
      throw new TypeError(
        "IndexedStore: a compact Reflector keeps bytes in the store's default inner store; expected no inner store of your own",
      );
    }
    if (this.#inner.size > 0 && !this.#packed) {
      throw new TypeError(
        `IndexedStore: a compact Reflector needs an empty store; this one holds ${this.#inner.size} objects`,
      );
    }
    this.#packed = true;
    const inner = this.#inner as unknown as ReflectorStore<Packed>;
    return {
      get: (key) => inner.get(key),
      add: (key, entry) => this.#add(key, entry as unknown as T),
      update: (key, entry) => this.#update(key, entry as unknown as T),
      delete: (key) => this.delete(key),
      replace: (entries) => this.#replace(entries as unknown as Map<string, T>),
      values: () => inner.values(),
      get size() {
        return inner.size;
      },
    };
  }

  #index(name: string): Map<string, Set<string>> {
    const index = this.#indexes.get(name);
    if (!index) {
      throw new TypeError(
        `IndexedStore: no index named "${name}"; expected one of ${
          [...this.#indexes.keys()].join(", ")
        }`,
      );
    }
    return index;
  }

  #reindex(key: string, old: T | undefined, entry: T | undefined): void {
    const oldView = old && this.#viewOnce(old);
    const newView = entry && this.#viewOnce(entry);
    for (const [name, fn] of this.#indexers) {
      const index = this.#indexes.get(name)!;
      const before = old ? this.#valuesOf(name, fn, old, oldView!) : [];
      const after = entry ? this.#valuesOf(name, fn, entry, newView!) : [];
      for (const value of before) {
        if (after.includes(value)) continue;
        const keys = index.get(value);
        keys?.delete(key);
        if (keys?.size === 0) index.delete(value);
      }
      addTo(index, after, key);
    }
  }
}

/** The view of an entry that is the object itself: never called. */
const unused = (): unknown => undefined;

function addTo(
  index: Map<string, Set<string>>,
  values: readonly string[],
  key: string,
): void {
  for (const value of values) {
    let keys = index.get(value);
    if (!keys) index.set(value, keys = new Set());
    keys.add(key);
  }
}
