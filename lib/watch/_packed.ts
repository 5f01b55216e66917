// The compact cache's entries (issue #22): an object kept as the bytes the
// server sent, plus the few fields the cache reads (key, resourceVersion,
// uid, labels when a label index wants them); the object itself is built
// on access, a fresh one each time, so callers may mutate what they get.
// And the events of a compact Reflector, whose `object` and `previous` are
// built on first read and kept for the event's other readers.

import type { ObjectSpan } from "../_wire/json_scan.ts";
import { StreamDecodeError } from "../errors/mod.ts";
import { parseJson } from "../_internal/json.ts";
import type { KindIdsReq } from "./types.ts";

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** One cached object, as bytes. */
export class Packed {
  /**
   * @param bytes The object's JSON: an exact-size copy nothing else holds.
   * @param key `namespace/name`.
   * @param resourceVersion metadata.resourceVersion.
   * @param labels metadata.labels, when a label index wants them.
   */
  constructor(
    readonly bytes: Uint8Array,
    readonly key: string,
    readonly resourceVersion: string,
    readonly labels: Record<string, string> | null | undefined,
  ) {}

  /**
   * The object, built from its bytes: a new one each call.
   * @throws {StreamDecodeError} When the bytes are not JSON (a check the
   *   scanner left to access time); names the key, quotes nothing.
   */
  unpack<T>(): T {
    const text = decoder.decode(this.bytes);
    return parseJson(text, ({ cause, position }) =>
      new StreamDecodeError(
        `malformed JSON in the cached object ${this.key}`,
        1,
        text,
        cause,
        position,
      )) as T;
  }
}

/** The namespace part of a cache key (`namespace/name`). */
export function namespaceOfKey(key: string): string {
  return key.slice(0, key.indexOf("/"));
}

/**
 * Packs the object `span` marks in `buf` (a line or a list body, which
 * may be a reused buffer: the bytes are copied), without its
 * managedFields when `dropManagedFields`.
 */
export function packSpan(
  buf: Uint8Array,
  span: ObjectSpan,
  key: string,
  resourceVersion: string,
  dropManagedFields: boolean,
): Packed {
  const ranges = dropManagedFields ? span.managedFields : [];
  let bytes: Uint8Array;
  if (ranges.length === 0) bytes = buf.slice(span.start, span.end);
  else {
    let size = span.end - span.start;
    for (const [from, to] of ranges) size -= to - from;
    bytes = new Uint8Array(size);
    let at = 0;
    let from = span.start;
    for (const [cut, resume] of ranges) {
      bytes.set(buf.subarray(from, cut), at);
      at += cut - from;
      from = resume;
    }
    bytes.set(buf.subarray(from, span.end), at);
  }
  return new Packed(bytes, key, resourceVersion, span.labels);
}

/**
 * Packs a parsed object (from a lister or watcher of one's own, an object
 * a transform returned, or one the scanner found irregular) by serializing
 * it: what is read back is its JSON form.
 */
export function packObject(obj: KindIdsReq, key: string): Packed {
  return new Packed(
    encoder.encode(JSON.stringify(obj)),
    key,
    obj.metadata.resourceVersion,
    (obj.metadata as { labels?: Record<string, string> | null }).labels,
  );
}

/**
 * Packs the bytes `span` marks as they are, with key fields taken from the
 * object parsed from them (the scanner found the object irregular).
 */
export function packBytes(
  buf: Uint8Array,
  span: ObjectSpan,
  obj: KindIdsReq,
  key: string,
): Packed {
  return new Packed(
    buf.slice(span.start, span.end),
    key,
    obj.metadata.resourceVersion,
    (obj.metadata as { labels?: Record<string, string> | null }).labels,
  );
}

/**
 * An ADDED, MODIFIED or DELETED event of a compact Reflector: `object` and
 * `previous` are built from the cached bytes on first read and kept, so
 * every observer of the event reads the same object, and one that reads
 * only `type` costs no parse. `toJSON` gives the plain event.
 */
export class PackedEvent<T> {
  readonly #entry: Packed;
  readonly #prior: Packed | undefined;
  #object: T | undefined;
  #previous: T | undefined;

  constructor(
    readonly type: "ADDED" | "MODIFIED" | "DELETED",
    entry: Packed,
    prior?: Packed,
  ) {
    this.#entry = entry;
    this.#prior = prior;
  }

  /** The object, built on first read. */
  get object(): T {
    return this.#object ??= this.#entry.unpack<T>();
  }

  /** MODIFIED's previous object, built on first read. */
  get previous(): T | undefined {
    if (!this.#prior) return undefined;
    return this.#previous ??= this.#prior.unpack<T>();
  }

  /** The plain event. */
  toJSON(): { type: string; object: T; previous?: T } {
    return this.#prior
      ? { type: this.type, object: this.object, previous: this.previous }
      : { type: this.type, object: this.object };
  }

  /** The cache entry an event carries (for the fan-out's bookkeeping). */
  static entryOf(evt: PackedEvent<unknown>): Packed {
    return evt.#entry;
  }
}
