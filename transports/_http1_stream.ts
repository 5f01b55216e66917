// A streamed GET (a watch, followed logs) over a connection of our own,
// speaking HTTP/1.1. Deno's fetch hands a body over one HTTP chunk per read,
// and the apiserver flushes one chunk per watch event: 40,000 events cost
// 40,000 reads through fetch. Read from the socket instead, each read takes
// whatever has arrived — a hundred events at a time when the client is the
// slower side — into the caller's own buffer, and the chunk framing is
// removed in place. The body is a byte stream, so a BYOB reader (the line
// buffer's) hands its buffer straight to the socket read.

import { TransportError } from "../lib/errors/mod.ts";
import { writeAll } from "../lib/_internal/bytes.ts";
import { closeQuietly } from "../lib/_internal/close.ts";
import { parseResponseHead } from "./_http1_head.ts";
import type { ByteConn } from "./_strict_tls.ts";
import { attachSource, type SourceRead } from "../lib/_wire/line_buffer.ts";

const MAX_HEAD = 64 * 1024;
const CR = 13;
const LF = 10;
/** Longest chunk-size line accepted (hex digits and extensions). */
const MAX_SIZE_LINE = 4096;

/** The request to send: a GET without a body. */
export interface Http1Get {
  /** Path and query, as sent (base path included, non-ASCII encoded). */
  target: string;
  /** `host[:port]` for the Host header. */
  host: string;
  /** Headers besides Host and Connection. */
  headers: [string, string][];
  /** For error messages: the request as the caller named it. */
  request: { method: string; path: string };
}

/**
 * Sends `get` on `conn` and reads the answer's head. The response's body is
 * a byte stream over the rest of the connection; cancelling it, reading it
 * to the end or failing closes the connection.
 *
 * @param conn A fresh connection (TLS already negotiated, ALPN http/1.1).
 * @param get The request.
 * @returns The response, as fetch would give it.
 * @throws {TransportError} When the answer is not HTTP/1.x or its head is
 *   too large, or the connection closes before the head ends (the caller
 *   maps connection errors).
 */
export async function getOverConnection(
  conn: ByteConn,
  get: Http1Get,
): Promise<Response> {
  const lines = [
    `GET ${get.target} HTTP/1.1`,
    `host: ${get.host}`,
    ...get.headers.map(([k, v]) => `${k}: ${v}`),
    // A watch ends the connection's use: no keep-alive to manage.
    "connection: close",
    "",
    "",
  ];
  try {
    await writeAll(conn, lines.join("\r\n"));
    const { head, rest } = await readHead(conn, get.request);
    const { status, statusText, headers } = parseResponseHead(
      head,
      get.request,
      "the answer is not HTTP/1.1",
    );
    const body = status === 204 || status === 304
      ? null
      : bodyStream(conn, rest, framingOf(headers, get.request), get.request);
    if (!body) conn.close();
    return new Response(body, { status, statusText, headers });
  } catch (err) {
    closeQuietly(conn);
    throw err;
  }
}

function badResponse(
  request: { method: string; path: string },
  why: string,
): TransportError {
  return new TransportError(`${request.method} ${request.path}: ${why}`, {
    request,
    reason: "bad-response",
  });
}

/** The head (without its blank line) and the bytes read after it. */
async function readHead(
  conn: ByteConn,
  request: { method: string; path: string },
): Promise<{ head: string; rest: Uint8Array }> {
  let buf = new Uint8Array(16 * 1024);
  let filled = 0;
  let scan = 0;
  for (;;) {
    const n = await conn.read(buf.subarray(filled));
    if (n === null) {
      throw new TransportError(
        `${request.method} ${request.path}: the connection closed before the response head ended`,
        { request, reason: "connection-reset" },
      );
    }
    filled += n;
    for (let i = Math.max(scan - 3, 0); i + 3 < filled; i++) {
      if (
        buf[i] === CR && buf[i + 1] === LF && buf[i + 2] === CR &&
        buf[i + 3] === LF
      ) {
        const head = new TextDecoder().decode(buf.subarray(0, i));
        // 1xx answers (100 Continue) precede the real one: skip them.
        if (/^HTTP\/1\.[01] 1\d\d/.test(head)) {
          buf.copyWithin(0, i + 4, filled);
          filled -= i + 4;
          scan = 0;
          i = -1;
          continue;
        }
        return { head, rest: buf.slice(i + 4, filled) };
      }
    }
    scan = filled;
    if (filled === buf.length) {
      if (buf.length >= MAX_HEAD) {
        throw badResponse(
          request,
          `the response head is larger than ${MAX_HEAD} bytes`,
        );
      }
      const bigger = new Uint8Array(buf.length * 2);
      bigger.set(buf);
      buf = bigger;
    }
  }
}

/** How the body ends. */
type Framing =
  | { kind: "chunked" }
  | { kind: "length"; length: number }
  | { kind: "close" };

function framingOf(
  headers: Headers,
  request: { method: string; path: string },
): Framing {
  const te = headers.get("transfer-encoding");
  if (te) {
    if (!/(^|,)\s*chunked\s*$/i.test(te)) {
      throw badResponse(
        request,
        `the response's transfer-encoding ${JSON.stringify(te)} is not chunked`,
      );
    }
    return { kind: "chunked" };
  }
  const cl = headers.get("content-length");
  if (cl !== null) {
    if (!/^\d+$/.test(cl)) {
      throw badResponse(
        request,
        "the response's content-length is not a number",
      );
    }
    return { kind: "length", length: Number(cl) };
  }
  return { kind: "close" };
}

/**
 * Removes HTTP/1.1 chunk framing from bytes in place, across reads: each
 * call gets the bytes of one read and moves the data bytes among them to
 * the front.
 */
export class ChunkedDecoder {
  /** Data bytes left in the current chunk. */
  #left = 0;
  /** What the next non-data bytes are. */
  #state: "size" | "data-end" | "trailer" | "done" = "size";
  /** The chunk-size line (or trailer line) read so far. */
  #line = "";
  readonly #request: { method: string; path: string };

  /** @param request For error messages. */
  constructor(request: { method: string; path: string }) {
    this.#request = request;
  }

  /** Whether the last chunk and the trailers have been read. */
  get done(): boolean {
    return this.#state === "done";
  }

  /**
   * Decodes `buf[0, n)` in place.
   *
   * @returns How many data bytes now start `buf`.
   * @throws {TransportError} On a malformed chunk size or framing.
   */
  decode(buf: Uint8Array, n: number): number {
    let r = 0;
    let w = 0;
    while (r < n) {
      if (this.#left > 0) {
        const take = Math.min(this.#left, n - r);
        if (w !== r) buf.copyWithin(w, r, r + take);
        w += take;
        r += take;
        this.#left -= take;
        if (this.#left === 0) this.#state = "data-end";
        continue;
      }
      if (this.#state === "done") {
        throw this.#bad("bytes follow the end of the chunked body");
      }
      // The usual lines, whole in this read, read off the bytes (one chunk
      // per watch event makes this the hot path): a bare chunk size, or
      // the CRLF ending a chunk's data. Anything else takes the line path.
      if (this.#line === "" && this.#state !== "trailer") {
        const at = this.#state === "size" ? hexEnd(buf, r, n) : r;
        if (at + 1 < n && buf[at] === CR && buf[at + 1] === LF) {
          if (this.#state === "data-end") {
            this.#state = "size";
            r = at + 2;
            continue;
          }
          if (at > r) {
            this.#left = hexValue(buf, r, at);
            if (this.#left === 0) this.#state = "trailer";
            r = at + 2;
            continue;
          }
        }
      }
      // A line: a chunk size, the CRLF ending a chunk's data, or a trailer.
      const lf = buf.indexOf(LF, r);
      const end = lf === -1 || lf >= n ? n : lf;
      if (this.#line.length + end - r > MAX_SIZE_LINE) {
        throw this.#bad("a chunk-size line is too long");
      }
      this.#line += String.fromCharCode(...buf.subarray(r, end));
      r = end;
      if (end === n) break;
      r++; // the LF
      const line = this.#line.endsWith("\r")
        ? this.#line.slice(0, -1)
        : this.#line;
      this.#line = "";
      this.#endOfLine(line);
    }
    return w;
  }

  #endOfLine(line: string): void {
    switch (this.#state) {
      case "data-end":
        if (line !== "") throw this.#bad("a chunk is longer than its size");
        this.#state = "size";
        return;
      case "size": {
        const hex = line.split(";")[0].trim();
        if (!/^[0-9a-fA-F]{1,12}$/.test(hex)) {
          throw this.#bad("a chunk size is not a hexadecimal number");
        }
        this.#left = parseInt(hex, 16);
        this.#state = this.#left === 0 ? "trailer" : "size";
        return;
      }
      case "trailer":
        if (line === "") this.#state = "done";
        return;
    }
  }

  #bad(why: string): TransportError {
    return badResponse(this.#request, `malformed chunked body: ${why}`);
  }
}

/** Where the hex digits starting at `from` end (at most 12 read, as a size line allows). */
function hexEnd(buf: Uint8Array, from: number, n: number): number {
  const last = Math.min(n, from + 12);
  let i = from;
  while (i < last && hexDigit(buf[i]) >= 0) i++;
  return i;
}

/** The value of the hex digits in `buf[from, to)`. */
function hexValue(buf: Uint8Array, from: number, to: number): number {
  let v = 0;
  for (let i = from; i < to; i++) v = v * 16 + hexDigit(buf[i]);
  return v;
}

function hexDigit(b: number): number {
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  const l = b | 0x20;
  return l >= 0x61 && l <= 0x66 ? l - 0x61 + 10 : -1;
}

/**
 * The body as a byte stream read from `conn`, `rest` first; the source it
 * is pulled from is attached (lib/_wire/line_buffer.ts `sourceOf`), so a
 * reader of ours reads the socket into its own buffer directly.
 */
function bodyStream(
  conn: ByteConn,
  rest: Uint8Array,
  framing: Framing,
  request: { method: string; path: string },
): ReadableStream<Uint8Array> {
  const chunked = framing.kind === "chunked"
    ? new ChunkedDecoder(request)
    : undefined;
  let remaining = framing.kind === "length" ? framing.length : Infinity;
  let pending = rest;
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    closeQuietly(conn);
  };
  const ended = () => chunked ? chunked.done : remaining === 0;
  /** Reads body bytes into `view` (at least one, unless at the end). */
  const read = async (view: Uint8Array): Promise<SourceRead> => {
    // Cancelled: what a cancelled reader reads.
    if (closed) return { done: true, view: view.subarray(0, 0) };
    let data = 0;
    try {
      while (data === 0 && !ended()) {
        let n: number | null;
        if (pending.length) {
          n = Math.min(pending.length, view.length);
          view.set(pending.subarray(0, n));
          pending = pending.subarray(n);
        } else {
          n = await conn.read(view);
        }
        if (n === null) {
          if (framing.kind === "close") {
            remaining = 0;
            break;
          }
          throw new TransportError(
            `${request.method} ${request.path}: the connection closed before the response body ended`,
            { request, reason: "connection-reset" },
          );
        }
        if (chunked) {
          data = chunked.decode(view, n);
        } else {
          data = Math.min(n, remaining);
          remaining -= data;
        }
      }
    } catch (err) {
      close();
      throw err;
    }
    if (ended()) close();
    return { done: data === 0, view: view.subarray(0, data) };
  };
  const stream = new ReadableStream({
    type: "bytes",
    autoAllocateChunkSize: 64 * 1024,
    async pull(c: ReadableByteStreamController) {
      const req = c.byobRequest!;
      const { view } = await read(req.view as Uint8Array);
      if (view.length > 0) req.respond(view.length);
      if (ended()) {
        c.close();
        if (view.length === 0) req.respond(0);
      }
    },
    cancel() {
      close();
    },
  });
  return attachSource(stream, {
    read,
    cancel: () => Promise.resolve(close()),
  });
}
