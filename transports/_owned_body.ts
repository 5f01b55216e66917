// A fetch response body whose abort we own. Deno ends a body read on abort
// only while the Response object is alive; a caller that keeps just the body
// (a watch stream piped through a decoder) loses that link at the next
// garbage collection, and an abort then never ends the read. Here the
// signal's listener holds the reader, so an abort always errors the stream
// with the signal's reason and drops the connection.

import type { JSONValue } from "../lib/contract.ts";
import {
  attachSource,
  type ByteSource,
  bytesStep,
  jsonLinesStep,
  sourceOf,
  type SourceRead,
  type Step,
} from "../lib/_wire/line_buffer.ts";

/**
 * The body of `resp` as a stream that errors with `signal.reason` on abort,
 * whatever happens to `resp`, and whose read failures go through `fail`.
 * It is read with a BYOB reader into one reused buffer; each chunk handed
 * out is a copy of exactly the bytes read.
 *
 * @param resp The response (kept reachable for as long as the stream is).
 * @param signal The request's abort signal.
 * @param fail Turns a read failure into the error the stream carries.
 * @returns The body.
 */
export function ownedBody(
  resp: Response,
  signal: AbortSignal | undefined,
  fail: (err: unknown) => unknown,
): ReadableStream<Uint8Array> {
  return owned(resp, signal, fail, bytesStep);
}

/**
 * The body of `resp` parsed as one JSON document per line (a watch), with
 * {@link ownedBody}'s abort and failure handling, read into one reused
 * buffer; a malformed line errors the stream with a `StreamDecodeError`.
 *
 * @param resp The response (kept reachable for as long as the stream is).
 * @param signal The request's abort signal.
 * @param fail Turns a read failure into the error the stream carries.
 * @returns The documents.
 */
export function ownedJsonLines(
  resp: Response,
  signal: AbortSignal | undefined,
  fail: (err: unknown) => unknown,
): ReadableStream<JSONValue> {
  return owned(resp, signal, fail, jsonLinesStep);
}

/** Thrown by a read that the abort already settled. */
const SETTLED = Symbol("settled");

function owned<T>(
  resp: Response,
  signal: AbortSignal | undefined,
  fail: (err: unknown) => unknown,
  makeStep: (source: ByteSource) => Step<T>,
): ReadableStream<T> {
  const source = sourceOf(resp.body ?? ReadableStream.from([]));
  let finished = false;
  const onAbort = () => {
    if (finished) return;
    finished = true;
    controller.error(signal!.reason);
    source.cancel(signal!.reason).catch(() => {});
  };
  const finish = () => {
    finished = true;
    signal?.removeEventListener("abort", onAbort);
  };
  const guarded: ByteSource = {
    async read(into) {
      let read: SourceRead;
      try {
        read = await source.read(into);
      } catch (err) {
        if (finished) throw SETTLED; // aborted: the stream already carries the reason
        finish();
        throw signal?.aborted ? signal.reason : fail(err);
      }
      if (finished) throw SETTLED;
      if (read.done) finish();
      return read;
    },
    cancel: (reason) => source.cancel(reason),
  };
  const step = makeStep(guarded);
  let controller!: ReadableStreamDefaultController<T>;
  const stream = new ReadableStream<T>({
    start(c) {
      controller = c;
      if (signal?.aborted) onAbort();
      else signal?.addEventListener("abort", onAbort, { once: true });
    },
    async pull(c) {
      try {
        await step(c);
      } catch (err) {
        if (err === SETTLED) return;
        const aborted = finished && signal?.aborted;
        finish();
        if (aborted) return;
        // A decode error: drop the connection too.
        await source.cancel(err).catch(() => {});
        throw err;
      }
    },
    async cancel(reason) {
      finish();
      // `resp` stays reachable through this closure for the stream's life.
      await source.cancel(reason).catch(() => {});
      void resp;
    },
  }, { highWaterMark: 0 });
  if (makeStep === (bytesStep as unknown)) {
    // A reader of ours reads the bytes without this stream's copy of each
    // read: the same source, the abort's reason where the stream would
    // carry it.
    attachSource(stream as ReadableStream<Uint8Array>, {
      async read(into) {
        try {
          return await guarded.read(into);
        } catch (err) {
          if (err !== SETTLED) throw err;
          if (signal?.aborted) throw signal.reason;
          return { done: true, view: into.subarray(0, 0) };
        }
      },
      async cancel(reason) {
        finish();
        await source.cancel(reason).catch(() => {});
        void resp;
      },
    });
  }
  return stream;
}

/**
 * Reads the whole body of `resp`, rejecting with `signal.reason` on abort
 * (`resp` is held by this frame, so Deno's own link holds) and with
 * `fail(err)` when the read breaks.
 *
 * The body is read with a BYOB reader straight into one buffer: of the
 * `content-length` when there is one, else a reused scratch buffer copied
 * out at the body's size. Not with `resp.arrayBuffer()`, which collects
 * 64 KiB chunks and then copies them into one: for 20 pages of 500 Pods
 * (25 MiB) with a declared length that took 1.6× the time and raised peak
 * RSS by 15–20 MiB more (chunked, both cost about the same).
 *
 * @param resp The response.
 * @param signal The request's abort signal.
 * @param fail Turns a read failure into the error to throw.
 * @returns The body's bytes (a view of a buffer of its own, at most a
 *   little larger than the body).
 */
export async function readAllOrAbort(
  resp: Response,
  signal: AbortSignal | undefined,
  fail: (err: unknown) => unknown,
): Promise<Uint8Array> {
  try {
    if (resp.body === null) return new Uint8Array(0);
    return await readAll(sourceOf(resp.body), declaredLength(resp.headers));
  } catch (err) {
    throw signal?.aborted ? signal.reason : fail(err);
  }
}

// The largest length trusted as the buffer's size (a bigger one still
// reads, growing as it goes), and the largest scratch buffer kept between
// reads of bodies of unknown length.
const LARGEST_HINT = 256 * 1024 * 1024;
const LARGEST_SPARE = 4 * 1024 * 1024;
const FIRST_READ = 64 * 1024;

/**
 * The scratch buffer a body of unknown length is read into (then copied
 * out at its exact size): one per process, taken by one read at a time
 * (a concurrent read makes its own), so a paged list allocates each page
 * once instead of a doubling series of buffers per page.
 */
let spare: Uint8Array | undefined;

/** The declared length, when there is one to trust (with a `content-encoding` there is not: it is the encoded size). */
function declaredLength(headers: Headers): number | undefined {
  if (headers.has("content-encoding")) return undefined;
  const declared = Number(headers.get("content-length") ?? NaN);
  return Number.isSafeInteger(declared) && declared >= 0 &&
      declared < LARGEST_HINT
    ? declared
    : undefined;
}

async function readAll(
  source: ByteSource,
  length: number | undefined,
): Promise<Uint8Array> {
  // A declared length: read into a buffer of that size plus the byte the
  // read that sees the end needs (a BYOB read needs a non-empty view).
  let buf: Uint8Array = length !== undefined
    ? new Uint8Array(length + 1)
    : spare ?? new Uint8Array(FIRST_READ);
  if (length === undefined) spare = undefined;
  let at = 0;
  try {
    for (;;) {
      if (at === buf.length) {
        const grown = new Uint8Array(buf.length * 2);
        grown.set(buf);
        buf = grown;
      }
      const { done, view } = await source.read(buf.subarray(at));
      // A BYOB read transfers the buffer: continue in the one returned
      // (at the end too, in an empty view; not after a cancel, which drops it).
      if (view.buffer !== buf.buffer) {
        if (view.buffer.byteLength < at) {
          throw new Error("the body's stream was cancelled while it was read");
        }
        buf = new Uint8Array(view.buffer, 0, view.buffer.byteLength);
      }
      at += view.length;
      if (done) break;
    }
    if (length !== undefined && at >= buf.length - 1) {
      return buf.subarray(0, at);
    }
    return buf.slice(0, at);
  } finally {
    // Not after a cancel (the buffer was transferred away: detached).
    if (
      length === undefined && buf.buffer.byteLength > 0 &&
      buf.length <= LARGEST_SPARE
    ) spare = buf;
  }
}
