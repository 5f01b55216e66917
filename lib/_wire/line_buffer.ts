// The hot path of every streamed body (watch, logs, kubectl stdout): bytes
// are read into one reused buffer — with a BYOB reader when the stream is a
// byte stream, which fetch bodies and child stdout are — and split into
// lines in place. Only the partial line at the end of a read is copied, to
// the front of the buffer, so it survives the next read. A server that
// sends one small chunk per event (the apiserver does) then costs no
// allocation per read, where the default reader allocates 64 KiB each time.

import type { JSONValue } from "../contract.ts";
import { StreamDecodeError } from "../errors/mod.ts";
import { parseJson } from "../_internal/json.ts";

const NEWLINE = 10;
const CR = 13;
const INITIAL = 65536;
/** Grow when less than this is left to read into. */
const MIN_ROOM = 16384;

/** What one read of a {@link ByteSource} gave. */
export interface SourceRead {
  /** The end of the stream. */
  done: boolean;
  /** The bytes read, a view of the (possibly transferred) buffer read into. */
  view: Uint8Array;
}

/** A byte stream read into buffers the caller supplies. */
export interface ByteSource {
  /**
   * Reads into `into`, whose buffer may be transferred: use the returned
   * view's buffer afterwards (also at the end, where the view is empty).
   */
  read(into: Uint8Array): Promise<SourceRead>;
  /** Stops the stream. */
  cancel(reason?: unknown): Promise<void>;
}

/**
 * Reads `stream` with a BYOB reader when it is a byte stream; otherwise
 * (a constructed stream) copies each chunk into the caller's buffer.
 */
export function byteSource(stream: ReadableStream<Uint8Array>): ByteSource {
  let byob: ReadableStreamBYOBReader | undefined;
  try {
    byob = stream.getReader({ mode: "byob" });
  } catch {
    // not a byte stream
  }
  if (byob) {
    const reader = byob;
    return {
      async read(into) {
        const { done, value } = await reader.read(into);
        // At the end the buffer still comes back, in an empty view (unless cancelled).
        return { done, view: value ?? new Uint8Array(0) };
      },
      cancel: (reason) => reader.cancel(reason),
    };
  }
  const reader = stream.getReader();
  let left: Uint8Array | undefined;
  return {
    async read(into) {
      while (!left?.length) {
        const { done, value } = await reader.read();
        if (done) return { done, view: into.subarray(0, 0) };
        left = value;
      }
      const n = Math.min(left.length, into.length);
      into.set(left.subarray(0, n));
      left = left.subarray(n);
      return { done: false, view: into.subarray(0, n) };
    },
    cancel: (reason) => reader.cancel(reason),
  };
}

// A stream handed out whole (the RestClient contract returns a
// ReadableStream<Uint8Array>) may carry the source it is pulled from: a
// reader inside the library then reads that source straight into its own
// buffer — no copy of each read, no stream machinery, no second promise
// per read — where any other reader gets the stream as always.
const attached = new WeakMap<ReadableStream<Uint8Array>, ByteSource>();

/**
 * Attaches to `stream` the source it is pulled from (each read of the
 * source is what one pull of the stream would hand out), for
 * {@link sourceOf}.
 *
 * @param stream The stream handed out.
 * @param source Reads what the stream would; cancelling it ends both.
 * @returns `stream`.
 */
export function attachSource(
  stream: ReadableStream<Uint8Array>,
  source: ByteSource,
): ReadableStream<Uint8Array> {
  attached.set(stream, source);
  return stream;
}

/**
 * The source to read `stream` by: the one attached to it (taken once; the
 * stream is then locked, so nothing reads it besides), else
 * {@link byteSource}.
 *
 * @param stream An unlocked stream.
 * @returns Its source.
 * @throws {TypeError} When the stream is locked.
 */
export function sourceOf(stream: ReadableStream<Uint8Array>): ByteSource {
  const source = attached.get(stream);
  if (!source || stream.locked) return byteSource(stream);
  attached.delete(stream);
  stream.getReader(); // locked: the source is read directly from now on
  return source;
}

/**
 * Starts reading `source` at once, so that a caller learns when its first
 * bytes (or its end) arrive before anyone pulls; the returned source hands
 * those bytes out first, then reads on.
 *
 * @param source What to read.
 * @param size The first read's buffer. @default {16 KiB}
 * @returns `started`, true once bytes arrived (false at an end or error
 * before any), and the source to read from instead of `source`.
 */
export function eagerSource(
  source: ByteSource,
  size = 16 * 1024,
): { started: Promise<boolean>; source: ByteSource } {
  let pending: Promise<SourceRead> | undefined = source.read(
    new Uint8Array(size),
  );
  const started = pending.then((r) => r.view.length > 0, () => false);
  let left: Uint8Array | undefined;
  let ended = false;
  return {
    started,
    source: {
      async read(into) {
        if (pending) {
          const first = await pending;
          pending = undefined;
          left = first.view;
          ended = first.done;
        }
        if (left?.length) {
          const n = Math.min(left.length, into.length);
          into.set(left.subarray(0, n));
          left = left.subarray(n);
          return { done: false, view: into.subarray(0, n) };
        }
        if (ended) return { done: true, view: into.subarray(0, 0) };
        return await source.read(into);
      },
      cancel: (reason) => source.cancel(reason),
    },
  };
}

/**
 * A reused, growable buffer of bytes not yet split into lines. Lines are
 * handed out as views of the buffer (or of a pushed chunk), valid until
 * the next {@link room} or {@link push}.
 */
export class LineBuffer {
  #buf: Uint8Array = new Uint8Array(INITIAL);
  /** First byte not yet handed out. */
  #start = 0;
  /** End of the data. */
  #end = 0;
  /** Where the newline search resumes (no newline in start..scan). */
  #scan = 0;

  /** Room for the next read, after the partial line (moved to the front). */
  room(): Uint8Array {
    this.#compact();
    if (this.#buf.length - this.#end < MIN_ROOM) {
      this.#grow(this.#end + MIN_ROOM);
    }
    return this.#buf.subarray(this.#end);
  }

  /** Records a read into {@link room}: `view` is what the read returned. */
  filled(view: Uint8Array): void {
    if (view.buffer.byteLength === 0) { // a cancelled read: nothing to keep
      this.#buf = new Uint8Array(INITIAL);
      this.#start = this.#end = this.#scan = 0;
      return;
    }
    this.#buf = new Uint8Array(view.buffer);
    this.#end = view.byteOffset + view.length;
  }

  /** Hands each complete line in the buffer to `onLine`. */
  lines(onLine: (line: Uint8Array) => void): void {
    const data = this.#buf.subarray(0, this.#end);
    let nl = data.indexOf(NEWLINE, this.#scan);
    while (nl !== -1) {
      emit(data.subarray(this.#start, nl), onLine);
      this.#start = nl + 1;
      nl = data.indexOf(NEWLINE, this.#start);
    }
    this.#scan = this.#end;
  }

  /**
   * Hands each line completed by `chunk` to `onLine`, then keeps (copies)
   * only its last, partial line: for chunks the caller does not own.
   */
  push(chunk: Uint8Array, onLine: (line: Uint8Array) => void): void {
    let from = 0;
    if (this.#end > this.#start) {
      const nl = chunk.indexOf(NEWLINE);
      if (nl === -1) {
        this.#append(chunk);
        return;
      }
      this.#append(chunk.subarray(0, nl));
      emit(this.#buf.subarray(this.#start, this.#end), onLine);
      this.#start = this.#end = this.#scan = 0;
      from = nl + 1;
    }
    let nl = chunk.indexOf(NEWLINE, from);
    while (nl !== -1) {
      emit(chunk.subarray(from, nl), onLine);
      from = nl + 1;
      nl = chunk.indexOf(NEWLINE, from);
    }
    if (from < chunk.length) this.#append(chunk.subarray(from));
  }

  /** Hands the last line, which has no newline, to `onLine` and empties the buffer. */
  flush(onLine: (line: Uint8Array) => void): void {
    if (this.#end > this.#start) {
      emit(this.#buf.subarray(this.#start, this.#end), onLine);
    }
    this.#start = this.#end = this.#scan = 0;
  }

  #compact(): void {
    if (this.#start === 0) return;
    if (this.#start === this.#end) {
      this.#start = this.#end = this.#scan = 0;
      // A buffer grown for one long line goes back to its usual size.
      if (this.#buf.length > 4 * INITIAL) this.#buf = new Uint8Array(INITIAL);
      return;
    }
    this.#buf.copyWithin(0, this.#start, this.#end);
    this.#end -= this.#start;
    this.#scan -= this.#start;
    this.#start = 0;
  }

  #grow(need: number): void {
    let size = this.#buf.length * 2;
    while (size < need) size *= 2;
    const bigger = new Uint8Array(size);
    bigger.set(this.#buf.subarray(0, this.#end));
    this.#buf = bigger;
  }

  #append(bytes: Uint8Array): void {
    this.#compact();
    if (this.#buf.length - this.#end < bytes.length) {
      this.#grow(this.#end + bytes.length);
    }
    this.#buf.set(bytes, this.#end);
    this.#end += bytes.length;
    this.#scan = this.#end;
  }
}

/** Drops a trailing `\r` and skips empty lines. */
function emit(line: Uint8Array, onLine: (line: Uint8Array) => void): void {
  const end = line.length > 0 && line[line.length - 1] === CR
    ? line.length - 1
    : line.length;
  if (end > 0) onLine(end === line.length ? line : line.subarray(0, end));
}

/**
 * Parses one line of a JSON-lines stream: the one place every stream
 * decoder (each transport's watch bodies, {@link jsonLinesStep}, and the
 * public stream transformers) turns a line into a value, through the one
 * JSON decoder (lib/_internal/json.ts).
 *
 * @param text The line, decoded.
 * @param lineNo Its 1-based number in the stream.
 * @returns The value.
 * @throws {StreamDecodeError} When the line is not JSON; the error never
 *   quotes the line, and the parser's error is kept with its message withheld.
 */
export function parseJsonLine(text: string, lineNo: number): JSONValue {
  return parseJson(
    text,
    ({ cause, position }) =>
      new StreamDecodeError("malformed JSON", lineNo, text, cause, position),
  ) as JSONValue;
}

/** One pull of a stream: enqueue something, close, or throw. */
export type Step<T> = (c: ReadableStreamDefaultController<T>) => Promise<void>;

/**
 * Pulls that parse one JSON document per line of `source` (a malformed
 * line throws a {@link StreamDecodeError}); each pull enqueues every line
 * one read completed.
 */
export function jsonLinesStep(source: ByteSource): Step<JSONValue> {
  const lines = new LineBuffer();
  const decoder = new TextDecoder();
  let lineNo = 0;
  let c!: ReadableStreamDefaultController<JSONValue>;
  let enqueued = 0;
  const parse = (bytes: Uint8Array) => {
    c.enqueue(parseJsonLine(decoder.decode(bytes), ++lineNo));
    enqueued++;
  };
  return async (controller) => {
    c = controller;
    enqueued = 0;
    while (enqueued === 0) {
      const { done, view } = await source.read(lines.room());
      lines.filled(view);
      if (done) {
        lines.flush(parse);
        controller.close();
        return;
      }
      lines.lines(parse);
    }
  };
}

/**
 * Pulls that read `source` into one reused buffer and enqueue a copy of
 * exactly the bytes read (the consumer owns what it is given).
 */
export function bytesStep(source: ByteSource): Step<Uint8Array> {
  let buf: Uint8Array = new Uint8Array(INITIAL);
  return async (controller) => {
    const { done, view } = await source.read(buf);
    if (done) {
      controller.close();
      return;
    }
    buf = new Uint8Array(view.buffer);
    controller.enqueue(view.slice());
  };
}

/**
 * A stream pulled through `step` from `source`; a step that throws (a
 * decode error) cancels the source, and cancelling the stream cancels it.
 */
export function pulledStream<T>(
  source: ByteSource,
  step: Step<T>,
): ReadableStream<T> {
  return new ReadableStream<T>({
    async pull(c) {
      try {
        await step(c);
      } catch (err) {
        await source.cancel(err).catch(() => {});
        throw err;
      }
    },
    cancel: (reason) => source.cancel(reason).catch(() => {}),
  }, { highWaterMark: 0 });
}
