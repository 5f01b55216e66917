// The BYOB read path every streamed body takes (lib/_wire/line_buffer.ts): lines
// split at every possible read boundary, inside multi-byte characters,
// across reads longer than the reused buffer, with CRLF and a last line
// without newline; the same results whether the stream is a byte stream
// (BYOB reads into the reused buffer) or not (chunks copied in); the bytes
// path hands out copies that later reads do not overwrite; a malformed line
// errors the stream and cancels the source.
// Needs no cluster: in-memory streams.

import assert from "node:assert/strict";
import {
  attachSource,
  type ByteSource,
  byteSource,
  bytesStep,
  jsonLinesStep,
  pulledStream,
  sourceOf,
} from "../../../lib/_wire/line_buffer.ts";
import { StreamDecodeError } from "../../../mod.ts";

const enc = new TextEncoder();

/** A byte stream (BYOB-capable) or a plain one, serving `chunks` one per pull. */
function source(chunks: Uint8Array[], bytes: boolean, onCancel?: () => void) {
  let n = 0;
  // A byte stream cannot carry an empty chunk.
  if (bytes) chunks = chunks.filter((c) => c.length > 0);
  const stream = bytes
    ? new ReadableStream({
      type: "bytes",
      pull(c) {
        if (n >= chunks.length) {
          c.close();
          c.byobRequest?.respond(0);
          return;
        }
        c.enqueue(chunks[n++].slice());
      },
      cancel: onCancel,
    })
    : new ReadableStream<Uint8Array>({
      pull(c) {
        if (n >= chunks.length) return c.close();
        c.enqueue(chunks[n++].slice());
      },
      cancel: onCancel,
    });
  return byteSource(stream as ReadableStream<Uint8Array>);
}

async function jsonLines(chunks: Uint8Array[], bytes: boolean) {
  const src = source(chunks, bytes);
  return await Array.fromAsync(pulledStream(src, jsonLinesStep(src)));
}

function chunksAt(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let start = 0;
  for (const cut of [...cuts, bytes.length]) {
    out.push(bytes.slice(start, cut));
    start = cut;
  }
  return out;
}

Deno.test("BYOB and copied reads split JSON lines at every possible boundary, including inside multi-byte characters", async () => {
  const docs = [{ a: "héllo ✓ 𝄞" }, { b: [1, 2, { c: "日本" }] }, { d: null }];
  const bytes = enc.encode(
    docs.map((d) => JSON.stringify(d)).join("\n") + "\n",
  );
  for (const byob of [true, false]) {
    for (let cut = 0; cut <= bytes.length; cut++) {
      for (let cut2 = cut; cut2 <= bytes.length; cut2 += 7) {
        assert.deepEqual(
          await jsonLines(chunksAt(bytes, [cut, cut2]), byob),
          docs,
          `byob ${byob}, cuts at ${cut} and ${cut2}`,
        );
      }
    }
    const oneByOne = Array.from({ length: bytes.length }, (_, i) => i);
    assert.deepEqual(await jsonLines(chunksAt(bytes, oneByOne), byob), docs);
  }
});

Deno.test("CRLF, blank lines and a last line without a newline on the BYOB path", async () => {
  const bytes = enc.encode('{"a":1}\r\n\r\n{"b":2}\n\n{"c":3}');
  for (let cut = 0; cut <= bytes.length; cut++) {
    assert.deepEqual(await jsonLines(chunksAt(bytes, [cut]), true), [
      { a: 1 },
      { b: 2 },
      { c: 3 },
    ]);
  }
});

Deno.test("lines far longer than the reused buffer, in odd-sized reads, come out whole", async () => {
  const docs = [
    { data: "x".repeat(3 * 1024 * 1024 + 5), tail: "✓" },
    { small: 1 },
    { data: "y".repeat(200_000) },
    { small: 2 },
  ];
  const bytes = enc.encode(
    docs.map((d) => JSON.stringify(d)).join("\n") + "\n",
  );
  const cuts = [];
  for (let i = 65_521; i < bytes.length; i += 65_521) cuts.push(i);
  for (const byob of [true, false]) {
    assert.deepEqual(await jsonLines(chunksAt(bytes, cuts), byob), docs);
  }
});

Deno.test("the bytes path hands out copies that later reads into the reused buffer leave intact", async () => {
  const parts = ["first chunk\n", "second\n", "third and last"].map((s) =>
    enc.encode(s)
  );
  for (const byob of [true, false]) {
    const src = source(parts, byob);
    const got = await Array.fromAsync(pulledStream(src, bytesStep(src)));
    assert.deepEqual(
      got.map((c) => new TextDecoder().decode(c)),
      ["first chunk\n", "second\n", "third and last"],
    );
  }
});

Deno.test("a malformed line errors the stream with a StreamDecodeError and cancels the source", async () => {
  let cancelled = false;
  const src = source(
    [enc.encode('{"ok":1}\n{nope}\n{"never":1}\n')],
    true,
    () => cancelled = true,
  );
  const reader = pulledStream(src, jsonLinesStep(src)).getReader();
  await assert.rejects(
    async () => {
      for (;;) if ((await reader.read()).done) break;
    },
    (err) =>
      err instanceof StreamDecodeError && /malformed JSON/.test(err.message),
  );
  assert.equal(cancelled, true);
});

Deno.test("sourceOf: a stream's attached source is read directly, once, and the stream is then locked; other streams get a BYOB or copying source", async () => {
  const reads: number[] = [];
  const direct: ByteSource = {
    read(into) {
      into.set([104, 105]);
      reads.push(into.length);
      return Promise.resolve({ done: false, view: into.subarray(0, 2) });
    },
    cancel: () => Promise.resolve(),
  };
  const stream = attachSource(
    new ReadableStream<Uint8Array>({
      pull: () => {
        throw new Error("the stream must not be pulled");
      },
    }),
    direct,
  );
  const source = sourceOf(stream);
  assert.equal(source, direct);
  assert.equal(stream.locked, true);
  const { view } = await source.read(new Uint8Array(8));
  assert.equal(new TextDecoder().decode(view), "hi");
  assert.deepEqual(reads, [8]);
  // Taken once: the locked stream has no second source.
  assert.throws(() => sourceOf(stream), TypeError);

  // No source attached: the stream itself is read.
  const plain = sourceOf(ReadableStream.from([new Uint8Array([1, 2, 3])]));
  const first = await plain.read(new Uint8Array(8));
  assert.deepEqual([...first.view], [1, 2, 3]);
  assert.equal((await plain.read(new Uint8Array(8))).done, true);
});
