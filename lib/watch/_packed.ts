// The compact cache's entries (issue #22): an object kept as the JSON text
// the server sent, plus the few fields the cache reads (key,
// resourceVersion, labels when a label index wants them); the object
// itself is built on access, a fresh one each time, so callers may mutate
// what they get. And the events of a compact Reflector, whose `object` and
// `previous` are built on first read and kept for the event's other
// readers.
//
// The text is kept as a string decoded from the bytes, not as a copy of
// the bytes: V8 keeps a string of Latin-1 characters at one byte per
// character, as compact as the bytes, without the ~200 bytes an
// ArrayBuffer and its view cost per object; decoding 2.5 KB takes 0.5 µs
// where allocating the copy took 3.7 µs (Deno 2.9, both measured on the
// bench's Pods); and access parses the string without a decode. An object
// with characters beyond U+00FF (CJK, emoji) is kept at two bytes per
// character. Nor is it a slice of a shared slab (4 MiB arenas, entry =
// slab + offset + length, decoded on access): even without the live-byte
// bookkeeping and compaction churn would need, that measured no better on
// events (0.40–0.44x the informer's CPU per event against 0.39–0.42x),
// worse on a 10k-Pod sync (151 against 120 µs CPU per Pod, RSS 16.4 against
// 16.0 KB per Pod), and adds a decode to every access.

import type { ObjectSpan } from "../_wire/json_scan.ts";
import { StreamDecodeError } from "../errors/mod.ts";
import { parseJson } from "../_internal/json.ts";
import type { KindIdsReq } from "./types.ts";
import { withKind } from "./_list.ts";

/** A list's `apiVersion` and `kind`, which its items without their own take (client-go's decodeToList). */
export interface ListKind {
  /** The list's apiVersion. */
  readonly apiVersion: unknown;
  /** The list's kind (`…List`). */
  readonly kind: unknown;
}

const decoder = new TextDecoder();
/** Where an object's bytes without its managedFields are put together (reused, made on first use). */
let scratch: Uint8Array | undefined;

/** One cached object, as its JSON text. */
export class Packed {
  /**
   * @param text The object's JSON.
   * @param key `namespace/name`.
   * @param resourceVersion metadata.resourceVersion.
   * @param labels metadata.labels, when a label index wants them.
   * @param listed The list it was listed in, when its text has no
   *   apiVersion and kind of its own: the object built takes the list's.
   */
  constructor(
    readonly text: string,
    readonly key: string,
    readonly resourceVersion: string,
    readonly labels: Record<string, string> | null | undefined,
    readonly listed?: ListKind,
  ) {}

  /**
   * The object, built from its text: a new one each call.
   * @throws {StreamDecodeError} When the text is not JSON (a check the
   *   scanner left to access time); names the key, quotes nothing.
   */
  unpack<T>(): T {
    const text = this.text;
    const obj = parseJson(text, ({ cause, position }) =>
      new StreamDecodeError(
        `malformed JSON in the cached object ${this.key}`,
        1,
        text,
        cause,
        position,
      )) as T;
    return this.listed ? withKind(obj, this.listed) : obj;
  }
}

/** The namespace part of a cache key (`namespace/name`). */
export function namespaceOfKey(key: string): string {
  return key.slice(0, key.indexOf("/"));
}

/**
 * Packs the object `span` marks in `buf` (a line or a list body, which
 * may be a reused buffer: nothing of it is kept), without its
 * managedFields when `dropManagedFields`.
 */
export function packSpan(
  buf: Uint8Array,
  span: ObjectSpan,
  key: string,
  resourceVersion: string,
  dropManagedFields: boolean,
  listed: ListKind | undefined,
): Packed {
  const ranges = dropManagedFields ? span.managedFields : [];
  let text: string;
  if (ranges.length === 0) {
    text = decoder.decode(buf.subarray(span.start, span.end));
  } else {
    // The kept pieces side by side, decoded once: one flat string.
    const size = span.end - span.start;
    if (!scratch || scratch.length < size) {
      scratch = new Uint8Array(Math.max(size * 2, 64 * 1024));
    }
    let at = 0;
    let from = span.start;
    for (const [cut, resume] of ranges) {
      scratch.set(buf.subarray(from, cut), at);
      at += cut - from;
      from = resume;
    }
    scratch.set(buf.subarray(from, span.end), at);
    at += span.end - from;
    text = decoder.decode(scratch.subarray(0, at));
  }
  return new Packed(text, key, resourceVersion, span.labels, listed);
}

/**
 * Packs a parsed object (from a lister or watcher of one's own, an object
 * a transform returned, or one cut down to metadata) by serializing it:
 * what is read back is its JSON form.
 */
export function packObject(obj: KindIdsReq, key: string): Packed {
  return new Packed(
    JSON.stringify(obj),
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
  listed: ListKind | undefined,
): Packed {
  return new Packed(
    decoder.decode(buf.subarray(span.start, span.end)),
    key,
    obj.metadata.resourceVersion,
    (obj.metadata as { labels?: Record<string, string> | null }).labels,
    listed,
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
