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
 * @param resp The response.
 * @param signal The request's abort signal.
 * @param fail Turns a read failure into the error to throw.
 * @returns The body's bytes.
 */
export async function readAllOrAbort(
  resp: Response,
  signal: AbortSignal | undefined,
  fail: (err: unknown) => unknown,
): Promise<Uint8Array> {
  try {
    return new Uint8Array(await resp.arrayBuffer());
  } catch (err) {
    throw signal?.aborted ? signal.reason : fail(err);
  }
}
