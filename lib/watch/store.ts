// Where the Reflector keeps objects: a small interface (client-go's
// add/update/delete/replace), so tests and users inject their own.

/** Where the Reflector keeps objects; inject your own to index or persist. */
export interface ReflectorStore<T> {
  /** The object under `key`. */
  get(key: string): T | undefined;
  /** A new object. */
  add(key: string, obj: T): void;
  /** A changed object. */
  update(key: string, obj: T): void;
  /** A removed object. */
  delete(key: string): void;
  /** Everything at once, after a list. */
  replace(entries: Map<string, T>): void;
  /** All objects. */
  values(): Iterable<T>;
  /** How many objects. */
  readonly size: number;
}

/** The default store: a Map. */
export class MapStore<T> implements ReflectorStore<T> {
  #map = new Map<string, T>();
  /** The object stored under `key`, if any. */
  get(key: string): T | undefined {
    return this.#map.get(key);
  }
  /** Stores a new object. */
  add(key: string, obj: T): void {
    this.#map.set(key, obj);
  }
  /** Replaces a stored object. */
  update(key: string, obj: T): void {
    this.#map.set(key, obj);
  }
  /** Forgets an object. */
  delete(key: string): void {
    this.#map.delete(key);
  }
  /** Replaces the whole content at once (after a list). */
  replace(entries: Map<string, T>): void {
    this.#map = new Map(entries);
  }
  /** Every stored object. */
  values(): Iterable<T> {
    return this.#map.values();
  }
  /** How many objects are stored. */
  get size(): number {
    return this.#map.size;
  }
}
