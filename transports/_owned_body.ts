// A fetch response body whose abort we own. Deno ends a body read on abort
// only while the Response object is alive; a caller that keeps just the body
// (a watch stream piped through a decoder) loses that link at the next
// garbage collection, and an abort then never ends the read. Here the
// signal's listener holds the reader, so an abort always errors the stream
// with the signal's reason and drops the connection.

/**
 * The body of `resp` as a stream that errors with `signal.reason` on abort,
 * whatever happens to `resp`, and whose read failures go through `fail`.
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
  if (!resp.body) return ReadableStream.from<Uint8Array>([]);
  const reader = resp.body.getReader();
  let finished = false;
  const onAbort = () => {
    if (finished) return;
    finished = true;
    controller.error(signal!.reason);
    reader.cancel(signal!.reason).catch(() => {});
  };
  const finish = () => {
    finished = true;
    signal?.removeEventListener("abort", onAbort);
  };
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  return new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
      if (signal?.aborted) onAbort();
      else signal?.addEventListener("abort", onAbort, { once: true });
    },
    async pull(c) {
      let result: ReadableStreamReadResult<Uint8Array>;
      try {
        result = await reader.read();
      } catch (err) {
        if (finished) return; // aborted: the stream already carries the reason
        finish();
        throw signal?.aborted ? signal.reason : fail(err);
      }
      if (finished) return;
      if (result.done) {
        finish();
        c.close();
      } else {
        c.enqueue(result.value);
      }
    },
    async cancel(reason) {
      finish();
      // `resp` stays reachable through this closure for the stream's life.
      await reader.cancel(reason).catch(() => {});
      void resp;
    },
  }, { highWaterMark: 0 });
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
