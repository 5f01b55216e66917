// An image archive as ctr can read it: a tar file on disk. A path to an
// uncompressed tar is used as it is; bytes, a stream, or anything gzipped
// (ctr 1.6 reads no gzip) is written — decompressed — to a temp file that
// goes when the archive is disposed of.

import { TestingError } from "./testing_error.ts";

/** A tar file ctr can import, and how errors name it. */
export interface ImageArchive extends AsyncDisposable {
  /** The file: the caller's, or a temp file of ours. */
  path: string;
  /** How messages name it: the caller's path, or "(N bytes)" / "(a stream)". */
  label: string;
}

const GZIP = [0x1f, 0x8b];

/**
 * The archive as a tar file on disk.
 *
 * @param input A path, bytes or a stream.
 * @param signal Ends the copy early.
 * @returns The file; dispose of it to remove a temp file.
 * @throws {TestingError} `ImageArchiveInvalid` for a missing path, a
 *   directory, empty input or a broken gzip stream.
 */
export async function spoolArchive(
  input: string | Uint8Array | ReadableStream<Uint8Array>,
  signal?: AbortSignal,
): Promise<ImageArchive> {
  signal?.throwIfAborted();
  if (typeof input === "string") return await fromPath(input, signal);
  if (input instanceof Uint8Array) {
    const label = `(${input.byteLength} bytes)`;
    if (input.byteLength === 0) throw invalid(label, "empty input");
    return await spool(ReadableStream.from([input]), label, signal);
  }
  if (input instanceof ReadableStream) {
    return await spool(input, "(a stream)", signal);
  }
  throw new TestingError(
    "InvalidOption",
    `importImage: expected a file path, a Uint8Array or a ReadableStream, found ${typeof input}`,
  );
}

async function fromPath(
  path: string,
  signal?: AbortSignal,
): Promise<ImageArchive> {
  const label = JSON.stringify(path);
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path);
  } catch (err) {
    throw invalid(
      label,
      err instanceof Deno.errors.NotFound
        ? "no such file"
        : `cannot be opened (${err instanceof Error ? err.name : err})`,
    );
  }
  const stat = await file.stat();
  if (!stat.isFile) {
    file.close();
    throw invalid(
      label,
      stat.isDirectory
        ? "a directory (tar an OCI layout first: tar -C <dir> -cf layout.tar .)"
        : "not a regular file",
    );
  }
  if (stat.size === 0) {
    file.close();
    throw invalid(label, "an empty file");
  }
  const head = new Uint8Array(2);
  await file.read(head);
  if (head[0] !== GZIP[0] || head[1] !== GZIP[1]) {
    file.close();
    return { path, label, [Symbol.asyncDispose]: () => Promise.resolve() };
  }
  await file.seek(0, Deno.SeekMode.Start);
  return await spool(file.readable, label, signal);
}

/** Writes the stream (gunzipped when it starts like gzip) to a temp file. */
async function spool(
  input: ReadableStream<Uint8Array>,
  label: string,
  signal?: AbortSignal,
): Promise<ImageArchive> {
  const path = await Deno.makeTempFile({
    prefix: "kube-test-image-",
    suffix: ".tar",
  });
  const dispose = () => Deno.remove(path).catch(() => undefined);
  try {
    const { gzipped, stream } = await peekGzip(input, signal);
    const tar = gzipped
      ? stream.pipeThrough(
        // Typed as taking any BufferSource; it is given Uint8Arrays only.
        new DecompressionStream("gzip") as unknown as TransformStream<
          Uint8Array,
          Uint8Array
        >,
      )
      : stream;
    const out = await Deno.open(path, { write: true, truncate: true });
    try {
      await tar.pipeTo(out.writable, { signal });
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      throw invalid(
        label,
        gzipped
          ? `a broken gzip stream (${errorName(err)})`
          : `unreadable (${errorName(err)})`,
        err,
      );
    }
    if ((await Deno.stat(path)).size === 0) throw invalid(label, "empty input");
    return { path, label, [Symbol.asyncDispose]: dispose };
  } catch (err) {
    await dispose();
    throw err;
  }
}

/** Reads until the first two bytes are known, then gives the whole stream back. */
async function peekGzip(
  input: ReadableStream<Uint8Array>,
  signal?: AbortSignal,
): Promise<{ gzipped: boolean; stream: ReadableStream<Uint8Array> }> {
  const reader = input.getReader();
  // A stream that never yields must not outlive the caller's deadline:
  // cancelling ends the pending read.
  const stop = () => reader.cancel(signal?.reason).catch(() => undefined);
  signal?.addEventListener("abort", stop, { once: true });
  const head: Uint8Array[] = [];
  let seen = 0;
  try {
    while (seen < 2) {
      const { done, value } = await reader.read();
      if (done) break;
      head.push(value);
      seen += value.byteLength;
    }
  } finally {
    signal?.removeEventListener("abort", stop);
  }
  signal?.throwIfAborted();
  const first = head.flatMap((c) => Array.from(c.subarray(0, 2))).slice(0, 2);
  const gzipped = first[0] === GZIP[0] && first[1] === GZIP[1];
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of head) controller.enqueue(chunk);
    },
    async pull(controller) {
      const { done, value } = await reader.read();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
  return { gzipped, stream };
}

function errorName(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function invalid(label: string, found: string, cause?: unknown): TestingError {
  return new TestingError(
    "ImageArchiveInvalid",
    `importImage ${label}: expected a docker-archive or OCI-layout tar (optionally gzipped), found ${found}`,
    cause,
  );
}
