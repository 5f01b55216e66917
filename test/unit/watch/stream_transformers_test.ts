// Bytes → lines → JSON → WatchEvent: chunk boundaries anywhere, CRLF, a last
// line without newline, multi-megabyte lines, and typed errors that quote
// only a prefix.
// Needs no cluster: in-memory streams.

import assert from "node:assert/strict";
import {
  JsonLinesDecoder,
  JsonParsingTransformer,
  LineSplitter,
  StreamDecodeError,
  WatchEventTransformer,
} from "../../../mod.ts";

const enc = new TextEncoder();

/** Splits bytes into chunks at the given cut points. */
function chunksAt(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let start = 0;
  for (const cut of [...cuts, bytes.length]) {
    out.push(bytes.slice(start, cut));
    start = cut;
  }
  return out;
}

async function decode(chunks: Uint8Array[]): Promise<unknown[]> {
  return await Array.fromAsync(
    ReadableStream.from(chunks).pipeThrough(new JsonLinesDecoder()),
  );
}

Deno.test("JSON lines split correctly at every possible chunk boundary, including inside multi-byte characters", async () => {
  const docs = [{ a: "héllo ✓ 𝄞" }, { b: [1, 2, { c: "日本" }] }, { d: null }];
  const text = docs.map((d) => JSON.stringify(d)).join("\n") + "\n";
  const bytes = enc.encode(text);
  for (let cut = 0; cut <= bytes.length; cut++) {
    assert.deepEqual(
      await decode(chunksAt(bytes, [cut])),
      docs,
      `cut at ${cut}`,
    );
  }
  // One byte at a time.
  assert.deepEqual(
    await decode(chunksAt(
      bytes,
      Array.from({ length: bytes.length }, (_, i) => i),
    )),
    docs,
  );
});

Deno.test("CRLF, blank lines and a last line without a newline", async () => {
  const bytes = enc.encode('{"a":1}\r\n\r\n{"b":2}\n\n{"c":3}');
  assert.deepEqual(await decode([bytes]), [{ a: 1 }, { b: 2 }, { c: 3 }]);
  const lines = await Array.fromAsync(
    ReadableStream.from(chunksAt(enc.encode("one\r\ntwo\nthree"), [4, 5, 9]))
      .pipeThrough(new LineSplitter()),
  );
  assert.deepEqual(lines.map((l) => new TextDecoder().decode(l)), [
    "one",
    "two",
    "three",
  ]);
});

Deno.test("a line of several megabytes across many chunks", async () => {
  const big = { data: "x".repeat(5 * 1024 * 1024), tail: "✓" };
  const bytes = enc.encode(JSON.stringify(big) + "\n" + '{"next":true}\n');
  const cuts = [];
  for (let i = 65_521; i < bytes.length; i += 65_521) cuts.push(i);
  const out = await decode(chunksAt(bytes, cuts)) as {
    data?: string;
    tail?: string;
    next?: boolean;
  }[];
  assert.equal(out.length, 2);
  assert.equal(out[0].data?.length, 5 * 1024 * 1024);
  assert.equal(out[0].tail, "✓");
  assert.deepEqual(out[1], { next: true });
});

Deno.test("a chunk's buffer reused by the producer once consumed does not corrupt a pending line", async () => {
  const shared = new Uint8Array(8);
  let pulls = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(c) {
      if (pulls++ === 0) {
        shared.set(enc.encode('{"k":"ab'));
        c.enqueue(shared);
      } else {
        shared.fill(0); // the producer reuses its buffer for the next read
        c.enqueue(enc.encode('cd"}\n'));
        c.close();
      }
    },
  }, { highWaterMark: 0 });
  assert.deepEqual(
    await Array.fromAsync(stream.pipeThrough(new JsonLinesDecoder())),
    [{ k: "abcd" }],
  );
});

Deno.test("a malformed line errors the stream with a StreamDecodeError that names its length, event type and column, quoting nothing", async () => {
  const secret = "c2VjcmV0LXBhc3N3b3Jk".repeat(10);
  const bytes = enc.encode(
    `{"ok":1}\n{"type":"ADDED","object":{"data":{"password":"${secret}"}}\n{"never":1}\n`,
  );
  const seen: unknown[] = [];
  const err = await (async () => {
    for await (
      const v of ReadableStream.from([bytes]).pipeThrough(
        new JsonLinesDecoder(),
      )
    ) seen.push(v);
  })().then(() => undefined, (e) => e);
  assert.ok(err instanceof StreamDecodeError);
  assert.equal(err.line, 2);
  assert.deepEqual(seen, [{ ok: 1 }]);
  assert.ok(err.cause instanceof SyntaxError);
  assert.ok(
    err.message.startsWith("malformed JSON on line 2 of the stream ("),
    err.message,
  );
  // The line is never quoted; its length and event type are named.
  assert.match(
    err.message,
    /\(249 chars, a ADDED event, the parser stopped at column 250\)$/,
  );
  assert.ok(!err.message.includes(secret.slice(0, 12)));
});

Deno.test("JsonParsingTransformer (v0.7.3) parses one object per string and rejects non-objects", async () => {
  const ok = await Array.fromAsync(
    ReadableStream.from(['{"a":1}', '{"b":2}']).pipeThrough(
      new JsonParsingTransformer(),
    ),
  );
  assert.deepEqual(ok, [{ a: 1 }, { b: 2 }]);
  await assert.rejects(
    () =>
      Array.fromAsync(
        ReadableStream.from(['{"a":1}', "[1,2]"]).pipeThrough(
          new JsonParsingTransformer(),
        ),
      ),
    (e: Error) =>
      e instanceof StreamDecodeError &&
      e.message.startsWith("expected a JSON object on line 2"),
  );
});

Deno.test("WatchEventTransformer validates events and passes objects and statuses through the validators", async () => {
  const events = [
    { type: "ADDED", object: { kind: "Pod", n: 1 } },
    { type: "MODIFIED", object: { kind: "Pod", n: 2 } },
    { type: "DELETED", object: { kind: "Pod", n: 3 } },
    {
      type: "BOOKMARK",
      object: {
        kind: "Pod",
        metadata: { resourceVersion: "42", extra: "dropped" },
      },
    },
    { type: "ERROR", object: { kind: "Status", code: 410, reason: "Expired" } },
  ];
  const out = await Array.fromAsync(
    ReadableStream.from(events).pipeThrough(
      new WatchEventTransformer(
        (o) => ({ pod: o.n }),
        (s) => ({ status: s.code }),
      ),
    ),
  );
  assert.deepEqual(out, [
    { type: "ADDED", object: { pod: 1 } },
    { type: "MODIFIED", object: { pod: 2 } },
    { type: "DELETED", object: { pod: 3 } },
    { type: "BOOKMARK", object: { metadata: { resourceVersion: "42" } } },
    { type: "ERROR", object: { status: 410 } },
  ]);
  const bad: [unknown, RegExp][] = [
    [
      { type: "SOMETHING", object: {} },
      /unknown watch event type "SOMETHING" on line 1/,
    ],
    [{ type: "ADDED" }, /watch event has no object on line 1/],
    [{ type: "ADDED", object: [1] }, /watch event has no object/],
    [
      { type: "BOOKMARK", object: { metadata: {} } },
      /BOOKMARK event without metadata\.resourceVersion/,
    ],
    ["just a string", /watch event is not an object/],
  ];
  for (const [evt, message] of bad) {
    await assert.rejects(
      () =>
        Array.fromAsync(
          ReadableStream.from([evt]).pipeThrough(
            new WatchEventTransformer((o) => o, (s) => s),
          ),
        ),
      (e: Error) => e instanceof StreamDecodeError && message.test(e.message),
    );
  }
});

Deno.test("LineSplitter's lines stay intact when the producer reuses its buffer", async () => {
  const splitter = new LineSplitter();
  // The consumer keeps every line it gets, reading them only at the end.
  const collected = Array.fromAsync(splitter.readable);
  // One buffer, refilled once each write has been taken, as a reader into a
  // fixed buffer (Deno.Conn.read) does.
  const buffer = new Uint8Array(8);
  const writer = splitter.writable.getWriter();
  for (const chunk of ["ab\ncd\n", "ef\ngh\n", "ij\nkl\n"]) {
    const bytes = enc.encode(chunk);
    buffer.set(bytes);
    await writer.write(buffer.subarray(0, bytes.length));
  }
  await writer.close();
  assert.deepEqual(
    (await collected).map((l) => new TextDecoder().decode(l)),
    ["ab", "cd", "ef", "gh", "ij", "kl"],
  );
});
