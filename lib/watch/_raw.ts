// The raw list and watch of a compact Reflector: what `listWatch()`
// attaches to its lister and watcher (the bytes of the answer, unparsed),
// and their decoding into arrivals — each object scanned in place, never
// parsed in full on the way in; each line of one read handled in turn,
// synchronously (no promise per event). Lines the scanner does not take
// itself (BOOKMARK, ERROR, an irregular shape) are parsed and checked as
// the parsed path does (`watchEventOf`), so both decode alike.

import type { JSONObject } from "../contract.ts";
import type { ListOf, ListOpts, WatchOpts } from "./types.ts";
import {
  type ObjectSpan,
  scanList,
  scanWatchLine,
} from "../_wire/json_scan.ts";
import { LineBuffer, parseJsonLine } from "../_wire/line_buffer.ts";
import { TransportError } from "../errors/mod.ts";
import type { KindIds } from "./types.ts";
import { type Arrival, type Intake, parseSpan } from "./_arrival.ts";
import type { Incoming } from "./_initial_events.ts";
import { watchEventOf } from "./_watch_event.ts";
import { withKind } from "./_list.ts";
import type { ListKind } from "./_packed.ts";
import { listToMetadataOnly, toMetadataOnly } from "./_metadata_only.ts";

/** A list page as bytes. */
export interface RawPage {
  /** The request's path, for an error. */
  path: string;
  /** The response body. */
  body: Uint8Array;
  /** Objects are to be cut down to PartialObjectMetadata (`metadataOnly`). */
  partial: boolean;
}

/** A watch response as bytes. */
export interface RawWatch {
  /** The response body. */
  body: ReadableStream<Uint8Array>;
  /** Objects are to be cut down to PartialObjectMetadata (`metadataOnly`). */
  partial: boolean;
}

/** The raw variants of a lister and a watcher. */
export interface RawListWatch {
  /** Lists one page, unparsed. */
  list: (opts: ListOpts) => Promise<RawPage>;
  /** Opens a watch, unparsed. */
  watch: (opts: WatchOpts) => Promise<RawWatch>;
}

const byFunction = new WeakMap<object, RawListWatch>();

/**
 * Attaches the raw variants to a lister and its watcher (`listWatch()`
 * does this), so a compact Reflector given them reads bytes.
 */
export function attachRaw(
  lister: object,
  watcher: object,
  raw: RawListWatch,
): void {
  byFunction.set(lister, raw);
  byFunction.set(watcher, raw);
}

/** The raw variants attached to both `lister` and `watcher`, if they are a pair. */
export function rawOf(
  lister: object,
  watcher: object,
): RawListWatch | undefined {
  const raw = byFunction.get(watcher);
  return raw && byFunction.get(lister) === raw ? raw : undefined;
}

// How kube-apiserver writes a PartialObjectMetadata (Go's encoding/json,
// fields in struct order: TypeMeta's kind and apiVersion, then metadata,
// nothing else): an object that starts so is the server's own partial
// object; anything else is cut down after a full parse.
const decoder = new TextDecoder();
const PARTIAL_PREFIX = new TextEncoder().encode(
  '{"kind":"PartialObjectMetadata","apiVersion":"meta.k8s.io/v1","metadata":{',
);

function isServerPartial(buf: Uint8Array, span: ObjectSpan): boolean {
  if (span.end - span.start < PARTIAL_PREFIX.length + 2) return false;
  for (let i = 0; i < PARTIAL_PREFIX.length; i++) {
    if (buf[span.start + i] !== PARTIAL_PREFIX[i]) return false;
  }
  return true;
}

function arrive<T extends KindIds, E>(
  intake: Intake<T, E>,
  partial: boolean,
  buf: Uint8Array,
  span: ObjectSpan,
  list?: ListKind,
): Arrival<E> {
  if (partial && !isServerPartial(buf, span)) {
    return intake.object(toMetadataOnly(parseSpan(buf, span)) as T);
  }
  return intake.span(buf, span, list);
}

/**
 * One raw page as a list of arrivals, each admitted and kept at once (its
 * bytes copied), so the page's body is let go of before the next one.
 *
 * @throws {TransportError} When the body is not JSON (`bad-response`, naming the request).
 * @throws {TypeError} When an object has no metadata.name or resourceVersion.
 */
export function rawPage<T extends KindIds, E>(
  page: RawPage,
  intake: Intake<T, E>,
): ListOf<Arrival<E>> {
  let scanned;
  try {
    scanned = scanList(page.body, intake.wantLabels);
  } catch (err) {
    // The scan names no request: the transport's error for a body that is
    // not JSON names it, so does this one.
    if (!(err instanceof TransportError)) throw err;
    throw new TransportError(`GET ${page.path}: ${err.message}`, {
      request: { method: "GET", path: page.path },
      reason: err.reason,
      cause: err.cause,
    });
  }
  const items: Arrival<E>[] = [];
  const keep = (a: Arrival<E>) => {
    if (a.admits()) items.push(settled(a));
  };
  if (scanned.items) {
    const list = { apiVersion: scanned.apiVersion, kind: scanned.kind };
    for (const span of scanned.items) {
      keep(arrive(intake, page.partial, page.body, span, list));
    }
    return {
      metadata: (scanned.metadata ?? {}) as ListOf<unknown>["metadata"],
      items,
    };
  }
  // `items` absent, null or not all objects: the whole body, as the parsed path reads it.
  // (The scan checked it is JSON.)
  let list = JSON.parse(decoder.decode(page.body)) as JSONObject;
  if (page.partial) list = listToMetadataOnly(list);
  for (const item of (list.items ?? []) as T[]) {
    keep(intake.object(withKind(item, list)));
  }
  return {
    metadata: (list.metadata ?? {}) as ListOf<unknown>["metadata"],
    items,
  };
}

/** An arrival already admitted and kept. */
function settled<E>(a: Arrival<E>): Arrival<E> {
  const entry = a.kept();
  return {
    key: a.key,
    version: a.version,
    admits: () => true,
    kept: () => entry,
  };
}

/** The lines of one raw watch, decoded into events as they complete. */
export class RawLines<T extends KindIds, E, S> {
  readonly #lines = new LineBuffer();
  #lineNo = 0;
  #stop: unknown;
  #onEvent!: (evt: Incoming<E, S>) => unknown;
  readonly #online = (line: Uint8Array) => {
    if (this.#stop === undefined) {
      this.#stop = this.#onEvent(this.#decode(line));
    }
  };

  constructor(readonly intake: Intake<T, E>, readonly partial: boolean) {}

  /** Room for the next read (see {@link LineBuffer.room}). */
  room(): Uint8Array {
    return this.#lines.room();
  }

  /**
   * Records a read into {@link room} and hands each line it completes to
   * `onEvent`, in turn, until one returns something other than undefined;
   * returns that. Every event of one read is handled in this one call.
   * @throws {StreamDecodeError} At a line that is not a watch event.
   */
  filled<R>(
    view: Uint8Array,
    onEvent: (evt: Incoming<E, S>) => R | undefined,
  ): R | undefined {
    this.#lines.filled(view);
    this.#onEvent = onEvent;
    this.#stop = undefined;
    this.#lines.lines(this.#online);
    return this.#stop as R | undefined;
  }

  /** The last line, which has no newline (the stream ended). */
  flush<R>(onEvent: (evt: Incoming<E, S>) => R | undefined): R | undefined {
    this.#onEvent = onEvent;
    this.#stop = undefined;
    this.#lines.flush(this.#online);
    return this.#stop as R | undefined;
  }

  #decode(line: Uint8Array): Incoming<E, S> {
    const lineNo = ++this.#lineNo;
    const { type, object } = scanWatchLine(
      line,
      lineNo,
      this.intake.wantLabels,
    );
    if (
      object && (type === "ADDED" || type === "MODIFIED" || type === "DELETED")
    ) {
      return {
        type,
        arrival: arrive(this.intake, this.partial, line, object),
      };
    }
    const evt = watchEventOf(
      parseJsonLine(decoder.decode(line), lineNo),
      lineNo,
      (o) => (this.partial ? toMetadataOnly(o) : o) as unknown as T,
      (o) => o as S,
    );
    if (evt.type === "BOOKMARK" || evt.type === "ERROR") return evt;
    return { type: evt.type, arrival: this.intake.object(evt.object) };
  }
}
