// What the cache takes in: one object from the server — parsed (a lister's
// item, a watcher's event) or still bytes (the raw list and watch of a
// compact Reflector) — with its key and version read, the predicate
// applied to the server's object and the transform to what is kept, and
// made into a cache entry of the Reflector's form. The one place a
// predicate and a transform are applied.

import type { ObjectSpan } from "../_wire/json_scan.ts";
import type { KindIds, KindIdsReq } from "./types.ts";
import type { EntryForm } from "./_entry_form.ts";
import { keyed, keyOf, unkeyed } from "./_diff.ts";
import {
  type ListKind,
  packBytes,
  type Packed,
  packObject,
  packSpan,
} from "./_packed.ts";
import { withKind } from "./_list.ts";
import { dropManagedFields, type ObjectTransform } from "./transforms.ts";
import { parseJson } from "../_internal/json.ts";
import { StreamDecodeError } from "../errors/mod.ts";

/** One object from the server, as the cache takes it. */
export interface Arrival<E> {
  /** `namespace/name`. */
  readonly key: string;
  /** metadata.resourceVersion. */
  readonly version: string;
  /** Whether the predicate (if any) admits the server's object. */
  admits(): boolean;
  /** What the cache keeps: the transformed object, as an entry. Call at most once. */
  kept(): E;
}

const decoder = new TextDecoder();

/** Turns what the server sent into arrivals, for one Reflector. */
export class Intake<T extends KindIds, E> {
  /** Whether the transform is `dropManagedFields` (done on bytes when packed). */
  readonly dropsManagedFields: boolean;

  /**
   * @param form How the cache keeps objects.
   * @param predicate Admits objects; sees the server's object.
   * @param transform Applied to each admitted object before it is kept.
   * @param wantLabels Whether packed entries carry their labels (a label index reads them).
   */
  constructor(
    readonly form: EntryForm<T & KindIdsReq, E>,
    readonly predicate: ((obj: T & KindIdsReq) => boolean) | undefined,
    readonly transform: ObjectTransform<T & KindIdsReq> | undefined,
    readonly wantLabels: boolean,
  ) {
    this.dropsManagedFields = transform ===
      (dropManagedFields as unknown as ObjectTransform<T & KindIdsReq>);
  }

  /**
   * A parsed object.
   * @throws {TypeError} When it has no metadata.name or resourceVersion.
   */
  object(obj: T): Arrival<E> {
    return new ObjectArrival(this, keyed(obj));
  }

  /**
   * The object `span` marks in `buf` (a line or a list body, which may be
   * reused after this call: what is kept is copied).
   * @param list For a listed item: its list, whose apiVersion and kind an
   *   item without its own takes (`withKind`, as the parsed path does).
   * @throws {TypeError} When it has no metadata.name or resourceVersion.
   */
  span(buf: Uint8Array, span: ObjectSpan, list?: ListKind): Arrival<E> {
    if (!this.form.compact || span.irregular) {
      const obj = parseSpan<T & { apiVersion?: unknown; kind?: unknown }>(
        buf,
        span,
      );
      const own = obj.apiVersion !== undefined || obj.kind !== undefined;
      return new ObjectArrival(
        this,
        keyed(list ? withKind(obj, list) : obj),
        buf,
        span,
        own ? undefined : list,
      );
    }
    return new SpanArrival(
      this as unknown as Intake<T, Packed>,
      buf,
      span,
      span.typeMeta ? undefined : list,
    ) as unknown as Arrival<E>;
  }

  /**
   * The transform's result, checked to keep the key and version (see `transforms.ts`).
   * @throws {TypeError} When the transform changed name, namespace or resourceVersion.
   */
  transformed(obj: T & KindIdsReq): T & KindIdsReq {
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
}

/** The object `span` marks, parsed in full (the scanner checked it is JSON). */
export function parseSpan<T>(buf: Uint8Array, span: ObjectSpan): T {
  const text = decoder.decode(buf.subarray(span.start, span.end));
  return parseJson(
    text,
    ({ cause, position }) =>
      new StreamDecodeError("malformed JSON object", 1, text, cause, position),
  ) as T;
}

/** A parsed object (or one the scanner found irregular, with its bytes). */
class ObjectArrival<T extends KindIds, E> implements Arrival<E> {
  readonly key: string;
  readonly version: string;

  constructor(
    readonly intake: Intake<T, E>,
    readonly raw: T & KindIdsReq,
    readonly buf?: Uint8Array,
    readonly bytes?: ObjectSpan,
    readonly list?: ListKind,
  ) {
    this.key = keyOf(raw);
    this.version = raw.metadata.resourceVersion;
  }

  admits(): boolean {
    return !this.intake.predicate || this.intake.predicate(this.raw);
  }

  kept(): E {
    const { intake, raw, key } = this;
    if (!intake.form.compact) return intake.transformed(raw) as E;
    // Its own bytes when it is kept as sent: exact (JSON.stringify would
    // make a -0 into 0).
    if (!intake.transform && this.buf && this.bytes) {
      return packBytes(this.buf, this.bytes, raw, key, this.list) as E;
    }
    return packObject(intake.transformed(raw), key) as E;
  }
}

/** An object scanned in bytes, regular: packed without a parse unless a predicate or transform needs one. */
class SpanArrival<T extends KindIds> implements Arrival<Packed> {
  readonly key: string;
  readonly version: string;
  #parsed: (T & KindIdsReq) | undefined;

  constructor(
    readonly intake: Intake<T, Packed>,
    readonly buf: Uint8Array,
    readonly span: ObjectSpan,
    readonly list: ListKind | undefined,
  ) {
    if (span.name === undefined || span.resourceVersion === undefined) {
      throw unkeyed();
    }
    this.key = `${span.namespace ?? ""}/${span.name}`;
    this.version = span.resourceVersion!;
  }

  #object(): T & KindIdsReq {
    if (this.#parsed) return this.#parsed;
    const obj = parseSpan<T & KindIdsReq>(this.buf, this.span);
    return this.#parsed = this.list ? withKind(obj, this.list) : obj;
  }

  admits(): boolean {
    return !this.intake.predicate || this.intake.predicate(this.#object());
  }

  kept(): Packed {
    const { intake } = this;
    if (!intake.transform || intake.dropsManagedFields) {
      return packSpan(
        this.buf,
        this.span,
        this.key,
        this.version,
        intake.dropsManagedFields,
        this.list,
      );
    }
    return packObject(intake.transformed(this.#object()), this.key);
  }
}
