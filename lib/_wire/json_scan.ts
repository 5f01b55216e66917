// What a Reflector's cache needs of an object, read from the bytes the
// server sent without building the object: its key fields (metadata name,
// namespace, uid, resourceVersion), its labels when an index wants them, the
// byte ranges of metadata.managedFields (so they can be cut without a
// parse), and where each object starts and ends (a watch line's `object`, a
// list's `items`); for a list, its own kind and apiVersion and whether an
// item carries its own (a listed item without them takes the list's, as
// client-go's decodeToList does). JSON.parse of a 2.6 KB Pod builds ~150 objects and
// strings the cache throws away again; this scan builds four strings.
//
// Validation is complete: the scanner checks the whole grammar (strings with
// their escapes and raw control characters, numbers, literals, separators,
// nesting, trailing garbage), so it throws exactly when JSON.parse of the
// decoded text would, and an object it hands out always parses later. When
// it finds a fault it asks JSON.parse of the decoded text for the verdict
// and the error (the same StreamDecodeError parseJsonLine throws, so both
// paths fail alike); should JSON.parse accept what the scanner refused, the
// caller gets "nothing scanned" and does a full parse.
//
// Bytes, not text: the text is what `new TextDecoder()` (non-fatal, BOM
// stripped) makes of the bytes. Its UTF-8 decoder never consumes an ASCII
// byte into a replacement character, so every ASCII token is where the
// bytes say, a byte >= 0x80 outside a string is an error in both, and a
// string (bounded by ASCII quotes) decodes alone exactly as within the
// line. A string without a backslash and without bytes >= 0x80 is built
// from its bytes; any other goes through JSON.parse of its decoded token.
//
// Nesting is followed with an explicit stack, never recursion: a line of
// 100,000 `[` costs a 100 KB stack, not a RangeError.

import { StreamDecodeError, TransportError } from "../errors/mod.ts";
import { parseJson } from "../_internal/json.ts";

/** What the cache needs of one JSON object, read from its bytes without building it. */
export interface ObjectSpan {
  /** Byte offset of the object's `{` in the buffer given. */
  start: number;
  /** One past its closing `}`. */
  end: number;
  /** metadata.name: exactly what JSON.parse gives when that is a string; undefined when absent. */
  name: string | undefined;
  /** metadata.namespace, as {@link ObjectSpan.name}. */
  namespace: string | undefined;
  /** metadata.uid, as {@link ObjectSpan.name}. */
  uid: string | undefined;
  /** metadata.resourceVersion, as {@link ObjectSpan.name}. */
  resourceVersion: string | undefined;
  /**
   * metadata.labels exactly as JSON.parse gives it (own props incl.
   * "__proto__", last duplicate wins), null for JSON null, undefined when
   * absent. Only built when `wantLabels` is true, otherwise undefined (and
   * then never a reason for {@link ObjectSpan.irregular}).
   */
  labels: Record<string, string> | null | undefined;
  /**
   * Byte ranges [from, to) (offsets in the buffer given) whose removal
   * leaves exactly the object without metadata.managedFields (every
   * depth-1 member of that name in metadata, with one adjacent comma each),
   * sorted, non-overlapping; empty when there is none.
   */
  managedFields: Array<[number, number]>;
  /**
   * Whether the object has a depth-1 member `apiVersion` or `kind`
   * (whatever its value): a listed item without either takes the list's
   * (client-go's `decodeToList`).
   */
  typeMeta: boolean;
  /**
   * True when something is not the regular shape (metadata not an object,
   * one of the four fields not a string, labels — when wanted — neither
   * null nor an object of strings): the caller must then fall back to a
   * full JSON.parse of the object for everything. The fields above are then
   * unspecified.
   */
  irregular: boolean;
}

/** One watch line `{"type":..., "object":{...}}` (members in any order, duplicates: last wins). */
export interface ScannedEvent {
  /** The `type` member when it is a string (else undefined => caller does a full parse). */
  type: string | undefined;
  /** The `object` member when it is a JSON object (else undefined => full parse). */
  object: ObjectSpan | undefined;
}

/** A list body `{"kind":..,"metadata":{...},"items":[{...},...]}` (any member order). */
export interface ScannedList {
  /**
   * The list's `metadata` member, JSON.parse'd (it is small), or undefined
   * when it is absent or not an object.
   */
  metadata:
    | {
      resourceVersion?: string;
      continue?: string;
      remainingItemCount?: number;
    }
    | undefined;
  /** The list's `apiVersion` member, JSON.parse'd, or undefined when absent. */
  apiVersion: unknown;
  /** The list's `kind` member, JSON.parse'd, or undefined when absent. */
  kind: unknown;
  /**
   * Each element of `items` when every element is an object; undefined when
   * `items` is absent, null, or not an array of objects (=> caller does a
   * full parse).
   */
  items: ObjectSpan[] | undefined;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

/** The scan failed: JSON.parse decides (and names) the fault. */
const FAULT = -1;

/** Where the document being scanned has its last `"` (-1 when none): strings end at or before it. */
let lastQuote = -1;

const decoder = new TextDecoder();

/** Prepares the scan of the document `b`. */
function start(b: Uint8Array): void {
  lastQuote = b.lastIndexOf(QUOTE);
  // A stack grown for one deeply nested document is not kept for good.
  if (stack.length > 65536) stack = new Uint8Array(256);
}

/**
 * Reads one watch line: the event's type and where its object is, with the
 * object's key fields, labels (when wanted) and managedFields ranges.
 *
 * @param line The line's bytes (no newline); offsets in the result are into it.
 * @param lineNo The line's 1-based number in the stream, for the error.
 * @param wantLabels Build {@link ObjectSpan.labels}.
 * @returns The type and object; either is undefined when the line is JSON
 *   of another shape (the caller then parses it whole).
 * @throws {StreamDecodeError} Exactly when
 *   `JSON.parse(new TextDecoder().decode(line))` would throw: the error
 *   parseJsonLine throws (line number and length, never the content).
 */
export function scanWatchLine(
  line: Uint8Array,
  lineNo: number,
  wantLabels: boolean,
): ScannedEvent {
  const result: ScannedEvent = { type: undefined, object: undefined };
  start(line);
  if (scanEvent(line, wantLabels, result)) return result;
  const text = decoder.decode(line);
  parseJson(
    text,
    ({ cause, position }) =>
      new StreamDecodeError("malformed JSON", lineNo, text, cause, position),
  );
  // JSON.parse accepted what the scanner refused: the caller parses it whole.
  return { type: undefined, object: undefined };
}

/**
 * Reads one list body: its metadata, and where each item is with the
 * item's key fields, labels (when wanted) and managedFields ranges.
 *
 * @param body The whole body; offsets in the result are into it.
 * @param wantLabels Build {@link ObjectSpan.labels}.
 * @returns The metadata and items; `items` is undefined when the body has
 *   no array of objects there (the caller then parses it whole).
 * @throws {TransportError} Of reason `bad-response`, exactly when
 *   `JSON.parse(new TextDecoder().decode(body))` would throw; it gives the
 *   body's length and where the parser stopped, never the content (the
 *   caller knows the request and may say which it was).
 */
export function scanList(body: Uint8Array, wantLabels: boolean): ScannedList {
  const result: ScannedList = {
    metadata: undefined,
    apiVersion: undefined,
    kind: undefined,
    items: undefined,
  };
  start(body);
  if (scanListBody(body, wantLabels, result)) return result;
  parseJson(body, ({ cause, chars, position }) =>
    new TransportError(
      `a list body is not JSON (${chars} chars${
        position === undefined
          ? ""
          : `, the parser stopped at column ${position + 1}`
      })`,
      { reason: "bad-response", cause },
    ));
  return {
    metadata: undefined,
    apiVersion: undefined,
    kind: undefined,
    items: undefined,
  };
}

// ---------------------------------------------------------------------------
// The documents and the objects in them: each level the cache reads is
// walked member by member here; every value it does not read is skipped by
// valueEnd(), which validates it.

/** Set by {@link firstMember} and {@link memberEnd}: the object's `}` was reached. */
let closed = false;

/** The event types the apiserver sends: a line's `type` is one of these strings, not a new one. */
const EVENT_TYPES = ["ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR"];

/** Fills `out` from a watch line; false when the line is not JSON. */
function scanEvent(
  b: Uint8Array,
  wantLabels: boolean,
  out: ScannedEvent,
): boolean {
  let i = skipWs(b, bomEnd(b));
  if (byteAt(b, i) !== OPEN_BRACE) return documentEnd(b, valueEnd(b, i));
  i = firstMember(b, i);
  while (!closed) {
    const k = i;
    i = memberValue(b, k);
    if (i === FAULT) return false;
    if (keyIs(b, k, "type")) {
      out.type = undefined;
      if (b[i] === QUOTE) {
        const s = i;
        i = stringEnd(b, s);
        if (i === FAULT) return false;
        out.type = plain
          ? knownString(b, s + 1, i - 1, EVENT_TYPES)
          : jsonString(b, s, i);
      } else i = valueEnd(b, i);
    } else if (keyIs(b, k, "object")) {
      out.object = undefined;
      if (b[i] === OPEN_BRACE) {
        const span = scanObject(b, i, wantLabels);
        if (span === undefined) return false;
        out.object = span;
        i = span.end;
      } else i = valueEnd(b, i);
    } else i = valueEnd(b, i);
    i = memberEnd(b, i);
    if (i === FAULT) return false;
  }
  return documentEnd(b, i);
}

/** Fills `out` from a list body; false when the body is not JSON. */
function scanListBody(
  b: Uint8Array,
  wantLabels: boolean,
  out: ScannedList,
): boolean {
  let i = skipWs(b, bomEnd(b));
  if (byteAt(b, i) !== OPEN_BRACE) return documentEnd(b, valueEnd(b, i));
  i = firstMember(b, i);
  while (!closed) {
    const k = i;
    i = memberValue(b, k);
    if (i === FAULT) return false;
    if (keyIs(b, k, "metadata")) {
      const s = i;
      i = valueEnd(b, s);
      if (i === FAULT) return false;
      out.metadata = b[s] === OPEN_BRACE
        ? JSON.parse(decoder.decode(b.subarray(s, i)))
        : undefined;
    } else if (keyIs(b, k, "apiVersion") || keyIs(b, k, "kind")) {
      const s = i;
      i = valueEnd(b, s);
      if (i === FAULT) return false;
      const value = JSON.parse(decoder.decode(b.subarray(s, i)));
      if (keyIs(b, k, "kind")) out.kind = value;
      else out.apiVersion = value;
    } else if (keyIs(b, k, "items")) {
      out.items = undefined;
      if (b[i] === OPEN_BRACKET) {
        const items = scanItems(b, i, wantLabels);
        if (items === undefined) return false;
        i = itemsEnd;
        out.items = items ?? undefined;
      } else i = valueEnd(b, i);
    } else i = valueEnd(b, i);
    i = memberEnd(b, i);
    if (i === FAULT) return false;
  }
  return documentEnd(b, i);
}

/** Where {@link scanItems} stopped (one past the `]`). */
let itemsEnd = 0;

/**
 * Scans the array at `b[i]` (`[`): its objects' spans, null when an element
 * is not an object, undefined when the array is not JSON.
 */
function scanItems(
  b: Uint8Array,
  i: number,
  wantLabels: boolean,
): ObjectSpan[] | null | undefined {
  let items: ObjectSpan[] | null = [];
  i = skipWs(b, i + 1);
  if (byteAt(b, i) === CLOSE_BRACKET) {
    itemsEnd = i + 1;
    return items;
  }
  for (;;) {
    if (byteAt(b, i) === OPEN_BRACE) {
      const span = scanObject(b, i, wantLabels);
      if (span === undefined) return undefined;
      items?.push(span);
      i = span.end;
    } else {
      items = null;
      i = valueEnd(b, i);
      if (i === FAULT) return undefined;
    }
    i = skipWs(b, i);
    const c = byteAt(b, i);
    if (c === CLOSE_BRACKET) {
      itemsEnd = i + 1;
      return items;
    }
    if (c !== COMMA) return undefined;
    i = skipWs(b, i + 1);
  }
}

/** Why an object is irregular, one bit per field; each `metadata` member starts afresh (last wins). */
const BAD_METADATA = 1;
const BAD_NAME = 2;
const BAD_NAMESPACE = 4;
const BAD_UID = 8;
const BAD_RESOURCE_VERSION = 16;
const BAD_LABELS = 32;

/** The faults of the metadata being scanned ({@link scanMetadata} sets them). */
let bad = 0;

/** Scans the object at `b[start]` (`{`); undefined when it is not JSON. */
function scanObject(
  b: Uint8Array,
  start: number,
  wantLabels: boolean,
): ObjectSpan | undefined {
  const span: ObjectSpan = {
    start,
    end: start,
    name: undefined,
    namespace: undefined,
    uid: undefined,
    resourceVersion: undefined,
    labels: undefined,
    managedFields: [],
    typeMeta: false,
    irregular: false,
  };
  let faults = 0;
  let i = firstMember(b, start);
  while (!closed) {
    const k = i;
    i = memberValue(b, k);
    if (i === FAULT) return undefined;
    if (keyIs(b, k, "metadata")) {
      span.name =
        span.namespace =
        span.uid =
        span.resourceVersion =
          undefined;
      span.labels = undefined;
      if (span.managedFields.length > 0) span.managedFields = [];
      if (b[i] === OPEN_BRACE) {
        bad = 0;
        i = scanMetadata(b, i, wantLabels, span);
        faults = bad;
      } else {
        faults = BAD_METADATA;
        i = valueEnd(b, i);
      }
    } else {
      if (keyIs(b, k, "kind") || keyIs(b, k, "apiVersion")) {
        span.typeMeta = true;
      }
      i = valueEnd(b, i);
    }
    i = memberEnd(b, i);
    if (i === FAULT) return undefined;
  }
  span.end = i;
  span.irregular = faults !== 0;
  return span;
}

/**
 * Scans the metadata object at `b[i]` (`{`) into `span` and {@link bad};
 * returns one past its `}`, or FAULT.
 */
function scanMetadata(
  b: Uint8Array,
  i: number,
  wantLabels: boolean,
  span: ObjectSpan,
): number {
  const cuts = span.managedFields;
  /** Key of the first member of the run of managedFields members being cut, or -1. */
  let run = -1;
  /** End of the value of the last member that stays, or -1. */
  let kept = -1;
  /** End of the last member's value. */
  let last = -1;
  i = firstMember(b, i);
  while (!closed) {
    const k = i;
    i = memberValue(b, k);
    if (i === FAULT) return FAULT;
    let cut = false;
    if (keyIs(b, k, "name")) {
      i = stringField(b, i, BAD_NAME);
      span.name = field;
    } else if (keyIs(b, k, "namespace")) {
      i = stringField(b, i, BAD_NAMESPACE);
      span.namespace = field;
    } else if (keyIs(b, k, "uid")) {
      i = stringField(b, i, BAD_UID);
      span.uid = field;
    } else if (keyIs(b, k, "resourceVersion")) {
      i = stringField(b, i, BAD_RESOURCE_VERSION);
      span.resourceVersion = field;
    } else if (wantLabels && keyIs(b, k, "labels")) {
      bad &= ~BAD_LABELS;
      span.labels = undefined;
      if (b[i] === OPEN_BRACE) {
        const labels = scanLabels(b, i);
        if (labels === undefined) return FAULT;
        i = labelsEnd;
        if (labels === null) bad |= BAD_LABELS;
        else span.labels = labels;
      } else {
        if (b[i] === 0x6e) span.labels = null; // `null`, checked by valueEnd
        else bad |= BAD_LABELS;
        i = valueEnd(b, i);
      }
    } else if (keyIs(b, k, "managedFields")) {
      cut = true;
      i = valueEnd(b, i);
    } else i = valueEnd(b, i);
    if (i === FAULT) return FAULT;
    // Each run of managedFields members goes up to the next key that stays
    // (with the commas after them); a run at the end goes from the end of
    // the value before it (with the comma before it), or is everything.
    if (cut) {
      if (run === -1) run = k;
    } else {
      if (run !== -1) cuts.push([run, k]);
      run = -1;
      kept = i;
    }
    last = i;
    i = memberEnd(b, i);
    if (i === FAULT) return FAULT;
  }
  if (run !== -1) cuts.push([kept === -1 ? run : kept, last]);
  return i;
}

/** The string {@link stringField} read, or undefined. */
let field: string | undefined;

/**
 * Reads the string value at `b[i]` into {@link field}, or marks `fault` in
 * {@link bad} when the value is not a string; returns its end or FAULT.
 */
function stringField(b: Uint8Array, i: number, fault: number): number {
  field = undefined;
  bad &= ~fault;
  if (b[i] !== QUOTE) {
    bad |= fault;
    return valueEnd(b, i);
  }
  const end = stringEnd(b, i);
  if (end === FAULT) return FAULT;
  field = plain ? asciiString(b, i + 1, end - 1) : jsonString(b, i, end);
  return end;
}

/** Where {@link scanLabels} stopped (one past the `}`). */
let labelsEnd = 0;

/**
 * Builds the labels object at `b[i]` (`{`) as JSON.parse would; null when
 * a value is not a string (after duplicates: the last of a key wins),
 * undefined when it is not JSON.
 */
function scanLabels(
  b: Uint8Array,
  i: number,
): Record<string, string> | null | undefined {
  const labels: Record<string, string | null> = {};
  /** Whether some value was not a string (recorded as null until a later duplicate replaces it). */
  let odd = false;
  i = firstMember(b, i);
  while (!closed) {
    const k = i;
    i = memberValue(b, k);
    if (i === FAULT) return undefined;
    const key = keyText ?? asciiString(b, k + 1, keyEnd - 1);
    let value: string | null = null;
    if (b[i] === QUOTE) {
      const s = i;
      i = stringEnd(b, s);
      if (i === FAULT) return undefined;
      value = plain ? asciiString(b, s + 1, i - 1) : jsonString(b, s, i);
    } else {
      odd = true;
      i = valueEnd(b, i);
    }
    // JSON.parse makes "__proto__" an own property; `=` may set the prototype.
    if (key === "__proto__") {
      Object.defineProperty(labels, key, {
        value,
        writable: true,
        enumerable: true,
        configurable: true,
      });
    } else labels[key] = value;
    i = memberEnd(b, i);
    if (i === FAULT) return undefined;
  }
  labelsEnd = i;
  if (odd && Object.values(labels).includes(null)) return null;
  return labels as Record<string, string>;
}

/**
 * At `b[i]` (`{`): sets {@link closed} when the object is empty (and
 * returns one past its `}`), else returns where its first key should be.
 */
function firstMember(b: Uint8Array, i: number): number {
  i = skipWs(b, i + 1);
  closed = byteAt(b, i) === CLOSE_BRACE;
  return closed ? i + 1 : i;
}

/** Set by {@link memberValue}: the key, JSON.parse'd, when it is not plain; else undefined (read its bytes). */
let keyText: string | undefined;
/** Set by {@link memberValue}: one past the key's closing quote. */
let keyEnd = 0;

/**
 * Reads the key at `b[k]` (sets {@link keyText} and {@link keyEnd}) and the
 * colon after it.
 *
 * @returns Where the member's value starts, or FAULT.
 */
function memberValue(b: Uint8Array, k: number): number {
  let i = stringEnd(b, k);
  if (i === FAULT) return FAULT;
  keyEnd = i;
  keyText = plain ? undefined : jsonString(b, k, i);
  i = skipWs(b, i);
  if (byteAt(b, i) !== COLON) return FAULT;
  i = skipWs(b, i + 1);
  // A value must follow: callers read b[i] without a bounds check.
  return i < b.length ? i : FAULT;
}

/**
 * After a member's value ending at `i` (or FAULT): past the `}` (setting
 * {@link closed}), or past the `,` to the next key.
 *
 * @returns That position, or FAULT when neither follows.
 */
function memberEnd(b: Uint8Array, i: number): number {
  if (i === FAULT) return FAULT;
  i = skipWs(b, i);
  const c = byteAt(b, i);
  closed = c === CLOSE_BRACE;
  if (closed) return i + 1;
  return c === COMMA ? skipWs(b, i + 1) : FAULT;
}

// ---------------------------------------------------------------------------
// Tokens.

/** Past a UTF-8 byte order mark at the start, which TextDecoder drops. */
function bomEnd(b: Uint8Array): number {
  return b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf
    ? 3
    : 0;
}

/**
 * `b[i]`, or -1 past the end. Every read that may fall past the end goes
 * through here (or checks first): V8 makes a function that once read a
 * typed array out of bounds several times slower for good, and a truncated
 * line must not slow down every line after it.
 */
function byteAt(b: Uint8Array, i: number): number {
  return i < b.length ? b[i] : -1;
}

/** Past JSON whitespace from `i`. */
function skipWs(b: Uint8Array, i: number): number {
  const n = b.length;
  while (i < n) {
    const c = b[i];
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
    i++;
  }
  return i;
}

/** Whether the document's value ended at `i` with only whitespace after it. */
function documentEnd(b: Uint8Array, i: number): boolean {
  return i !== FAULT && skipWs(b, i) === b.length;
}

/** Set by {@link stringEnd}: the string has no escape and only ASCII bytes. */
let plain = true;

/**
 * Validates the string whose opening quote is at `b[q]`; sets {@link plain}.
 *
 * @returns One past its closing quote, or FAULT.
 */
function stringEnd(b: Uint8Array, q: number): number {
  if (byteAt(b, q) !== QUOTE) return FAULT;
  const n = b.length;
  let i = q + 1;
  let high = 0;
  let escaped = false;
  while (i < n) {
    const c = b[i];
    if (c === QUOTE) {
      plain = !escaped && high < 0x80;
      return i + 1;
    }
    if (c === BACKSLASH) {
      escaped = true;
      i = escapeEnd(b, i);
      if (i === FAULT) return FAULT;
    } else if (c < 0x20) return FAULT;
    else {
      high |= c;
      i++;
    }
  }
  return FAULT;
}

/** Past the escape whose backslash is at `b[i]`, or FAULT. */
function escapeEnd(b: Uint8Array, i: number): number {
  switch (byteAt(b, i + 1)) {
    case 0x22: // "
    case 0x5c: // \
    case 0x2f: // /
    case 0x62: // b
    case 0x66: // f
    case 0x6e: // n
    case 0x72: // r
    case 0x74: // t
      return i + 2;
    case 0x75: // u
      return i + 5 < b.length && isHex(b[i + 2]) && isHex(b[i + 3]) &&
          isHex(b[i + 4]) && isHex(b[i + 5])
        ? i + 6
        : FAULT;
    default:
      return FAULT;
  }
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x66);
}

/** Past the number starting at `b[i]` (JSON's grammar), or FAULT. */
function numberEnd(b: Uint8Array, i: number): number {
  if (byteAt(b, i) === 0x2d) i++;
  let c = byteAt(b, i);
  if (c === 0x30) i++;
  else if (c >= 0x31 && c <= 0x39) i = digitsEnd(b, i + 1);
  else return FAULT;
  if (byteAt(b, i) === 0x2e) {
    if (!isDigit(byteAt(b, i + 1))) return FAULT;
    i = digitsEnd(b, i + 2);
  }
  c = byteAt(b, i);
  if (c === 0x65 || c === 0x45) {
    c = byteAt(b, ++i);
    if (c === 0x2b || c === 0x2d) c = byteAt(b, ++i);
    if (!isDigit(c)) return FAULT;
    i = digitsEnd(b, i + 1);
  }
  return i;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** Past the decimal digits from `i`. */
function digitsEnd(b: Uint8Array, i: number): number {
  const n = b.length;
  while (i < n && isDigit(b[i])) i++;
  return i;
}

/** Past the literal `word` at `b[i]`, or FAULT. */
function literalEnd(b: Uint8Array, i: number, word: string): number {
  if (i + word.length > b.length) return FAULT;
  for (let k = 1; k < word.length; k++) {
    if (b[i + k] !== word.charCodeAt(k)) return FAULT;
  }
  return i + word.length;
}

/** Container kinds on {@link stack}. */
const IN_ARRAY = 0;
const IN_OBJECT = 1;

/** The open containers of {@link valueEnd}, reused (grown for deep nesting). */
let stack = new Uint8Array(256);

/**
 * Validates the JSON value starting at `b[i]` (after whitespace) — the hot
 * loop of the scan: everything the cache does not look into passes here.
 *
 * @returns One past the value, or FAULT.
 */
function valueEnd(b: Uint8Array, i: number): number {
  if (i === FAULT) return FAULT;
  const n = b.length;
  let depth = 0;
  let inObject = false;
  let key = false;
  let c = 0;
  for (;;) {
    // A value (or, with `key`, a member's key) starts at i.
    if (i >= n) return FAULT;
    c = b[i];
    if (c <= 0x20) {
      i = skipWs(b, i);
      if (i >= n) return FAULT;
      c = b[i];
    }
    if (c === QUOTE) {
      // A quote follows (the document's last one, at least), so the loop
      // stops before the end without a bounds check per byte (10 % of the
      // scan); only an escape can jump past that quote.
      if (i >= lastQuote) return FAULT;
      i++;
      for (;;) {
        c = b[i];
        // Most bytes of a string are lower-case letters: one test for them.
        if (c > BACKSLASH) {
          i++;
          continue;
        }
        if (c === QUOTE) break;
        if (c === BACKSLASH) {
          i = escapeEnd(b, i);
          if (i === FAULT || i > lastQuote) return FAULT;
        } else if (c >= 0x20) i++;
        else return FAULT; // a raw control character
      }
      i++;
      if (key) {
        if (i < n && b[i] <= 0x20) i = skipWs(b, i);
        if (i >= n || b[i] !== COLON) return FAULT;
        i++;
        key = false;
        continue;
      }
    } else if (key) return FAULT;
    else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      i++;
      if (i < n && b[i] <= 0x20) i = skipWs(b, i);
      if (i < n && b[i] === c + 2) i++; // `{}` or `[]`
      else {
        if (depth === stack.length) {
          const bigger = new Uint8Array(depth * 2);
          bigger.set(stack);
          stack = bigger;
        }
        inObject = c === OPEN_BRACE;
        stack[depth++] = inObject ? IN_OBJECT : IN_ARRAY;
        key = inObject;
        continue;
      }
    } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      i = numberEnd(b, i);
      if (i === FAULT) return FAULT;
    } else if (c === 0x74) {
      i = literalEnd(b, i, "true");
      if (i === FAULT) return FAULT;
    } else if (c === 0x66) {
      i = literalEnd(b, i, "false");
      if (i === FAULT) return FAULT;
    } else if (c === 0x6e) {
      i = literalEnd(b, i, "null");
      if (i === FAULT) return FAULT;
    } else return FAULT;
    // A value ended at i: close what it ends, or go on after a comma.
    for (;;) {
      if (depth === 0) return i;
      if (i < n && b[i] <= 0x20) i = skipWs(b, i);
      if (i >= n) return FAULT;
      c = b[i++];
      if (c === COMMA) {
        key = inObject;
        break;
      }
      if (c !== (inObject ? CLOSE_BRACE : CLOSE_BRACKET)) return FAULT;
      depth--;
      inObject = depth > 0 && stack[depth - 1] === IN_OBJECT;
    }
  }
}

// ---------------------------------------------------------------------------
// Strings out of bytes.

/**
 * Whether the key {@link memberValue} read at `b[k]` is `name`: by its bytes
 * when it is plain, else by its JSON.parse'd text.
 */
function keyIs(b: Uint8Array, k: number, name: string): boolean {
  if (keyText !== undefined) return keyText === name;
  if (keyEnd - k - 2 !== name.length) return false;
  for (let j = 0; j < name.length; j++) {
    if (b[k + 1 + j] !== name.charCodeAt(j)) return false;
  }
  return true;
}

/** The string of the plain (ASCII, unescaped) bytes `b[from..to)`. */
function asciiString(b: Uint8Array, from: number, to: number): string {
  let s = "";
  let i = from;
  // Eight at a time: a third of the cost of one char at a time.
  for (; i + 8 <= to; i += 8) {
    s += String.fromCharCode(
      b[i],
      b[i + 1],
      b[i + 2],
      b[i + 3],
      b[i + 4],
      b[i + 5],
      b[i + 6],
      b[i + 7],
    );
  }
  for (; i < to; i++) s += String.fromCharCode(b[i]);
  return s;
}

/** `known`'s entry equal to the plain bytes `b[from..to)` (no new string), else a new one. */
function knownString(
  b: Uint8Array,
  from: number,
  to: number,
  known: readonly string[],
): string {
  for (const word of known) {
    if (word.length !== to - from) continue;
    let k = 0;
    while (k < word.length && b[from + k] === word.charCodeAt(k)) k++;
    if (k === word.length) return word;
  }
  return asciiString(b, from, to);
}

/**
 * The string token `b[q..end)` (quotes included) as JSON.parse gives it
 * within the decoded document: escapes resolved, invalid UTF-8 replaced.
 */
function jsonString(b: Uint8Array, q: number, end: number): string {
  return JSON.parse(decoder.decode(b.subarray(q, end)));
}
