// REFERENCE IMPLEMENTATION, to be replaced by h1's byte scanner (issue #22):
// the API of COMPACT.md ("The scanner"), built on JSON.parse of the whole
// line for validation and values, plus a structural walk for byte offsets.
// Correct, not fast: it parses every line in full.

import { StreamDecodeError } from "../errors/mod.ts";
import { parseJson } from "../_internal/json.ts";

/** What the cache needs of one JSON object, read from its bytes without building it. */
export interface ObjectSpan {
  /** Byte offset of the object's `{` in the buffer given. */
  start: number;
  /** One past its closing `}`. */
  end: number;
  /** metadata.name, when a string; undefined when absent. */
  name: string | undefined;
  /** metadata.namespace, when a string; undefined when absent. */
  namespace: string | undefined;
  /** metadata.uid, when a string; undefined when absent. */
  uid: string | undefined;
  /** metadata.resourceVersion, when a string; undefined when absent. */
  resourceVersion: string | undefined;
  /** metadata.labels as JSON.parse gives it (only when asked for). */
  labels: Record<string, string> | null | undefined;
  /** Byte ranges whose removal drops metadata.managedFields. */
  managedFields: Array<[number, number]>;
  /** Not the regular shape: the caller parses the object in full. */
  irregular: boolean;
}

/** One watch line. */
export interface ScannedEvent {
  /** The `type` member when it is a string. */
  type: string | undefined;
  /** The `object` member when it is a JSON object. */
  object: ObjectSpan | undefined;
}

/** A list body. */
export interface ScannedList {
  /** The list's `metadata` member, JSON.parse'd. */
  metadata:
    | {
      resourceVersion?: string;
      continue?: string;
      remainingItemCount?: number;
    }
    | undefined;
  /** Each element of `items` when every element is an object. */
  items: ObjectSpan[] | undefined;
}

const decoder = new TextDecoder();
const QUOTE = 0x22, BACKSLASH = 0x5c, OPEN = 0x7b, CLOSE = 0x7d;
const OPEN_SQ = 0x5b, CLOSE_SQ = 0x5d, COMMA = 0x2c, COLON = 0x3a;

const isWs = (b: number) =>
  b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d;
function skipWs(buf: Uint8Array, i: number): number {
  while (i < buf.length && isWs(buf[i])) i++;
  return i;
}
/** One past the string token starting at `i` (a quote). */
function stringEnd(buf: Uint8Array, i: number): number {
  for (let j = i + 1;; j++) {
    if (buf[j] === BACKSLASH) j++;
    else if (buf[j] === QUOTE) return j + 1;
  }
}
/** One past the (valid) value starting at `i`. */
function valueEnd(buf: Uint8Array, i: number): number {
  const b = buf[i];
  if (b === QUOTE) return stringEnd(buf, i);
  if (b === OPEN || b === OPEN_SQ) {
    let depth = 0;
    for (let j = i; j < buf.length; j++) {
      const c = buf[j];
      if (c === QUOTE) j = stringEnd(buf, j) - 1;
      else if (c === OPEN || c === OPEN_SQ) depth++;
      else if (c === CLOSE || c === CLOSE_SQ) {
        if (--depth === 0) return j + 1;
      }
    }
  }
  let j = i;
  while (
    j < buf.length && !isWs(buf[j]) && buf[j] !== COMMA && buf[j] !== CLOSE &&
    buf[j] !== CLOSE_SQ
  ) j++;
  return j;
}

interface Member {
  key: string;
  start: number;
  end: number;
  valueStart: number;
}
/** The members of the (valid) object at `i`. */
function members(buf: Uint8Array, i: number): Member[] {
  const out: Member[] = [];
  let j = skipWs(buf, i + 1);
  while (buf[j] !== CLOSE) {
    const keyEnd = stringEnd(buf, j);
    const key = JSON.parse(decoder.decode(buf.subarray(j, keyEnd))) as string;
    const colon = skipWs(buf, keyEnd);
    if (buf[colon] !== COLON) throw new Error("reference scanner: no colon");
    const valueStart = skipWs(buf, colon + 1);
    const end = valueEnd(buf, valueStart);
    out.push({ key, start: j, end, valueStart });
    j = skipWs(buf, end);
    if (buf[j] === COMMA) j = skipWs(buf, j + 1);
  }
  return out;
}
function last(ms: Member[], key: string): Member | undefined {
  for (let k = ms.length - 1; k >= 0; k--) if (ms[k].key === key) return ms[k];
  return undefined;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj =>
  v !== null && typeof v === "object" && !Array.isArray(v);

function span(
  buf: Uint8Array,
  start: number,
  value: Obj,
  wantLabels: boolean,
): ObjectSpan {
  const end = valueEnd(buf, start);
  const out: ObjectSpan = {
    start,
    end,
    name: undefined,
    namespace: undefined,
    uid: undefined,
    resourceVersion: undefined,
    labels: undefined,
    managedFields: [],
    irregular: false,
  };
  if (!Object.hasOwn(value, "metadata")) return out;
  const meta = value.metadata;
  if (!isObj(meta)) return { ...out, irregular: true };
  for (const f of ["name", "namespace", "uid", "resourceVersion"] as const) {
    if (!Object.hasOwn(meta, f)) continue;
    if (typeof meta[f] !== "string") return { ...out, irregular: true };
    out[f] = meta[f] as string;
  }
  if (Object.hasOwn(meta, "labels")) {
    const labels = meta.labels;
    if (labels !== null) {
      if (!isObj(labels)) return { ...out, irregular: true };
      for (const k of Object.keys(labels)) {
        if (typeof labels[k] !== "string") return { ...out, irregular: true };
      }
    }
    if (wantLabels) out.labels = labels as Record<string, string> | null;
  }
  const metaMember = last(members(buf, start), "metadata")!;
  const ms = members(buf, metaMember.valueStart);
  const drop = ms.map((m) => m.key === "managedFields");
  const ranges: Array<[number, number]> = [];
  const n = ms.length;
  for (let k = 0; k < n; k++) {
    if (!drop[k]) continue;
    ranges.push([ms[k].start, k + 1 < n ? ms[k + 1].start : ms[k].end]);
  }
  if (n > 0 && drop[n - 1]) {
    let kept = n - 1;
    while (kept >= 0 && drop[kept]) kept--;
    if (kept >= 0) ranges.push([ms[kept].end, ms[kept + 1].start]);
  }
  ranges.sort((a, b) => a[0] - b[0]);
  for (const r of ranges) {
    const prev = out.managedFields[out.managedFields.length - 1];
    if (prev && r[0] <= prev[1]) prev[1] = Math.max(prev[1], r[1]);
    else out.managedFields.push([r[0], r[1]]);
  }
  return out;
}

/**
 * Scans one watch line (reference: parses it in full).
 *
 * @param line The line's bytes.
 * @param lineNo Its 1-based number in the stream.
 * @param wantLabels Whether to build `labels`.
 * @returns The event's type and object span.
 * @throws {StreamDecodeError} When the line is not JSON.
 */
export function scanWatchLine(
  line: Uint8Array,
  lineNo: number,
  wantLabels: boolean,
): ScannedEvent {
  const text = decoder.decode(line);
  const value = parseJson(
    text,
    ({ cause, position }) =>
      new StreamDecodeError("malformed JSON", lineNo, text, cause, position),
  );
  if (!isObj(value)) return { type: undefined, object: undefined };
  const start = skipWs(line, 0);
  const ms = members(line, start);
  const type = typeof value.type === "string" ? value.type : undefined;
  const obj = last(ms, "object");
  return {
    type,
    object: obj && isObj(value.object)
      ? span(line, obj.valueStart, value.object, wantLabels)
      : undefined,
  };
}

/**
 * Scans a list body (reference: parses it in full).
 *
 * @param body The body's bytes.
 * @param wantLabels Whether to build `labels`.
 * @returns The list's metadata and item spans.
 * @throws {StreamDecodeError} When the body is not JSON.
 */
export function scanList(body: Uint8Array, wantLabels: boolean): ScannedList {
  const text = decoder.decode(body);
  const value = parseJson(
    text,
    ({ cause, position }) =>
      new StreamDecodeError("malformed JSON", 1, text, cause, position),
  );
  if (!isObj(value)) return { metadata: undefined, items: undefined };
  const ms = members(body, skipWs(body, 0));
  const metadata = isObj(value.metadata)
    ? value.metadata as ScannedList["metadata"]
    : undefined;
  const items = value.items;
  if (!Array.isArray(items) || !items.every(isObj)) {
    return { metadata, items: undefined };
  }
  const at = last(ms, "items")!;
  const spans: ObjectSpan[] = [];
  let j = skipWs(body, at.valueStart + 1);
  for (const item of items) {
    spans.push(span(body, j, item, wantLabels));
    j = skipWs(body, spans[spans.length - 1].end);
    if (body[j] === COMMA) j = skipWs(body, j + 1);
  }
  return { metadata, items: spans };
}
