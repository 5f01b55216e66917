// Streamed GETs over a connection of our own (transports/_http1_stream.ts),
// which KubeConfigRestClient uses for watches and followed logs: the chunk
// framing is removed in place at every possible read boundary, including
// extensions and trailers; malformed framing, a connection that ends early,
// a head that never ends or is not HTTP fail typed and close the
// connection; 1xx heads are skipped; content-length and close-delimited
// bodies end where they should; and through the client, a watch from a
// real HTTP server (Deno.serve, one chunk per event) arrives whole, an
// error answer is the apiserver's Status, and an abort ends the stream at
// once and leaves nothing open (the test sanitizers check).

import assert from "node:assert/strict";
import {
  ChunkedDecoder,
  getOverConnection,
} from "../../../transports/_http1_stream.ts";
import type { ByteConn } from "../../../transports/_strict_tls.ts";
import { LineBuffer, sourceOf } from "../../../lib/_wire/line_buffer.ts";
import {
  KubeConfig,
  KubeConfigRestClient,
  KubernetesApiError,
  TransportError,
} from "../../../mod.ts";
import { kubeconfigFor } from "../../_helpers.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const request = { method: "GET", path: "/w" };

/** Feeds `wire` to a decoder in reads split at `cuts`, returns the data. */
function decodeInReads(wire: Uint8Array, cuts: number[]): string {
  const d = new ChunkedDecoder(request);
  const utf8 = new TextDecoder();
  let out = "";
  let from = 0;
  for (const to of [...cuts, wire.length]) {
    const buf = wire.slice(from, to);
    const n = d.decode(buf, buf.length);
    out += utf8.decode(buf.subarray(0, n), { stream: true });
    from = to;
  }
  assert.equal(d.done, true);
  return out;
}

const framed = enc.encode(
  "5\r\nhello\r\n" +
    "7;ext=1\r\n, world\r\n" +
    "1A\r\n" + "é".repeat(13) + "\r\n" + // 26 bytes of two-byte characters
    "0\r\nx-trailer: t\r\n\r\n",
);
const expected = "hello, world" + "é".repeat(13);

Deno.test("chunk framing is removed at every read boundary, and at every pair of them", () => {
  assert.equal(decodeInReads(framed, []), expected);
  for (let i = 0; i <= framed.length; i++) {
    assert.equal(decodeInReads(framed, [i]), expected, `cut at ${i}`);
    for (let j = i; j <= framed.length; j += 7) {
      assert.equal(decodeInReads(framed, [i, j]), expected, `cuts ${i},${j}`);
    }
  }
  // One byte per read.
  assert.equal(
    decodeInReads(framed, Array.from({ length: framed.length }, (_, i) => i)),
    expected,
  );
});

Deno.test("malformed chunk framing is a bad-response TransportError naming the request", () => {
  const cases: [string, RegExp][] = [
    ["zz\r\nhello\r\n0\r\n\r\n", /chunk size is not a hexadecimal number/],
    ["3\r\nhello\r\n0\r\n\r\n", /chunk is longer than its size/],
    ["0\r\n\r\nmore", /bytes follow the end/],
    ["f".repeat(5000), /chunk-size line is too long/],
    ["\r\n", /chunk size is not a hexadecimal number/],
    // 13 digits: more than a size line allows, whole in one read or not.
    [
      "0000000000001\r\nx\r\n0\r\n\r\n",
      /chunk size is not a hexadecimal number/,
    ],
    ["5\r\nhelloXY0\r\n\r\n", /chunk is longer than its size/],
  ];
  for (const [wire, why] of cases) {
    const d = new ChunkedDecoder(request);
    const buf = enc.encode(wire);
    assert.throws(() => d.decode(buf, buf.length), (err: unknown) => {
      assert.ok(err instanceof TransportError, String(err));
      assert.equal(err.kind, "bad-response");
      assert.match(err.message, /^GET \/w: malformed chunked body: /);
      assert.match(err.message, why);
      return true;
    }, wire.slice(0, 20));
  }
});

/** A connection that answers `wire` in reads of `step` bytes, recording what was written and whether it was closed. */
function fakeConn(wire: Uint8Array, step = wire.length): ByteConn & {
  written: string;
  closed: boolean;
} {
  let at = 0;
  const conn = {
    written: "",
    closed: false,
    read(p: Uint8Array): Promise<number | null> {
      if (conn.closed) return Promise.reject(new Error("closed"));
      if (at >= wire.length) return Promise.resolve(null);
      const n = Math.min(p.length, step, wire.length - at);
      p.set(wire.subarray(at, at + n));
      at += n;
      return Promise.resolve(n);
    },
    write(p: Uint8Array): Promise<number> {
      conn.written += dec.decode(p);
      return Promise.resolve(p.length);
    },
    close() {
      conn.closed = true;
    },
  };
  return conn;
}

const get = {
  target: "/api/v1/pods?watch=true",
  host: "example:6443",
  headers: [["authorization", "Bearer t"]] as [string, string][],
  request,
};

Deno.test("the request is a GET with Host and Connection: close; 1xx heads are skipped; status and headers are read", async () => {
  for (const step of [1, 3, 1000]) {
    const conn = fakeConn(
      enc.encode(
        "HTTP/1.1 100 Continue\r\n\r\n" +
          "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n" +
          "3\r\nab\n\r\n0\r\n\r\n",
      ),
      step,
    );
    const resp = await getOverConnection(conn, get);
    assert.equal(
      conn.written,
      "GET /api/v1/pods?watch=true HTTP/1.1\r\nhost: example:6443\r\nauthorization: Bearer t\r\nconnection: close\r\n\r\n",
    );
    assert.equal(resp.status, 200);
    assert.equal(resp.headers.get("content-type"), "application/json");
    assert.equal(await resp.text(), "ab\n");
    assert.equal(conn.closed, true, "read to the end closes the connection");
  }
});

Deno.test("content-length and close-delimited bodies end where they should; 204 has no body", async () => {
  const byLength = fakeConn(
    enc.encode("HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\nabcdEXTRA"),
  );
  assert.equal(await (await getOverConnection(byLength, get)).text(), "abcd");
  assert.equal(byLength.closed, true);

  const byClose = fakeConn(
    enc.encode("HTTP/1.0 200 OK\r\n\r\nall of it"),
    2,
  );
  assert.equal(
    await (await getOverConnection(byClose, get)).text(),
    "all of it",
  );

  const empty = fakeConn(enc.encode("HTTP/1.1 204 No Content\r\n\r\n"));
  const resp = await getOverConnection(empty, get);
  assert.equal(resp.body, null);
  assert.equal(empty.closed, true);
});

Deno.test("an answer that is not HTTP, a head too large, a head or body cut short fail typed and close the connection", async () => {
  const failures: [string, string, RegExp][] = [
    ["SSH-2.0-OpenSSH\r\n\r\n", "bad-response", /not HTTP\/1\.1/],
    [
      "HTTP/1.1 200 OK\r\n" + "x-big: ".padEnd(70_000, "a") + "\r\n\r\n",
      "bad-response",
      /head is larger than 65536 bytes/,
    ],
    [
      "HTTP/1.1 200 OK\r\ncontent-",
      "connection-reset",
      /before the response head ended/,
    ],
    [
      "HTTP/1.1 200 OK\r\nbad line\r\n\r\n",
      "bad-response",
      /malformed line/,
    ],
    [
      "HTTP/1.1 200 OK\r\ntransfer-encoding: gzip\r\n\r\n",
      "bad-response",
      /transfer-encoding "gzip" is not chunked/,
    ],
  ];
  for (const [wire, kind, why] of failures) {
    const conn = fakeConn(enc.encode(wire), 4096);
    await assert.rejects(getOverConnection(conn, get), (err: unknown) => {
      assert.ok(err instanceof TransportError, String(err));
      assert.equal(err.kind, kind);
      assert.match(err.message, /^GET \/w: /);
      assert.match(err.message, why);
      return true;
    });
    assert.equal(conn.closed, true, wire.slice(0, 30));
  }
  const cut = fakeConn(
    enc.encode("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nab"),
  );
  const resp = await getOverConnection(cut, get);
  await assert.rejects(resp.text(), (err: unknown) => {
    assert.ok(err instanceof TransportError, String(err));
    assert.equal(err.kind, "connection-reset");
    assert.match(err.message, /closed before the response body ended/);
    return true;
  });
  assert.equal(cut.closed, true);
});

Deno.test("cancelling the body closes the connection", async () => {
  const conn = fakeConn(
    enc.encode(
      "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\na\n\r\n",
    ),
  );
  const resp = await getOverConnection(conn, get);
  const reader = resp.body!.getReader();
  assert.equal(dec.decode((await reader.read()).value), "a\n");
  await reader.cancel();
  assert.equal(conn.closed, true);
});

/** A server sending `events` watch events, one chunk each, then holding the stream open until it is cancelled. */
function watchServer(events: number) {
  let cancelled!: () => void;
  const gone = new Promise<void>((r) => cancelled = r);
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    onListen: () => {},
  }, (req) => {
    const url = new URL(req.url);
    if (url.searchParams.get("watch") !== "true") {
      return Response.json({
        kind: "Status",
        apiVersion: "v1",
        status: "Failure",
        reason: "Expired",
        code: 410,
        message: "too old resource version",
      }, { status: 410 });
    }
    let n = 0;
    return new Response(
      new ReadableStream<Uint8Array>({
        pull(c) {
          if (n < events) {
            c.enqueue(enc.encode(
              JSON.stringify({
                type: "ADDED",
                object: {
                  metadata: { name: `p${n}`, resourceVersion: `${n++}` },
                },
              }) + "\n",
            ));
          }
          // then: never more, until cancelled
        },
        cancel: () => cancelled(),
      }, { highWaterMark: 0 }),
    );
  });
  return { server, gone, url: `http://127.0.0.1:${server.addr.port}` };
}

function clientFor(url: string): Promise<KubeConfigRestClient> {
  return KubeConfigRestClient.forKubeConfig(
    KubeConfig.parse(
      JSON.stringify(kubeconfigFor(url, {}, { token: "t" })),
      "/virtual/config",
    ),
  );
}

Deno.test("through the client: a watch sent one chunk per event arrives whole, and an abort ends it at once", async () => {
  const { server, gone, url } = watchServer(2000);
  try {
    using client = await clientFor(url);
    const ctl = new AbortController();
    const stream = await client.performRequest({
      method: "GET",
      path: "/api/v1/pods",
      querystring: new URLSearchParams({ watch: "true" }),
      expectStream: true,
      expectJson: true,
      abortSignal: ctl.signal,
    });
    const reader = stream.getReader();
    for (let i = 0; i < 2000; i++) {
      const { value } = await reader.read();
      assert.equal(
        (value as { object: { metadata: { name: string } } }).object.metadata
          .name,
        `p${i}`,
      );
    }
    const pending = reader.read();
    const reason = new Error("stop");
    const t0 = performance.now();
    ctl.abort(reason);
    await assert.rejects(pending, (err) => err === reason);
    assert.ok(performance.now() - t0 < 1000);
    await gone; // the server saw the connection go
  } finally {
    await server.shutdown();
  }
});

Deno.test("through the client: a byte stream's attached source reads the socket directly, every event arrives whole, and an abort rejects a pending read with its reason", async () => {
  const { server, gone, url } = watchServer(2000);
  try {
    using client = await clientFor(url);
    const ctl = new AbortController();
    const stream = await client.performRequest({
      method: "GET",
      path: "/api/v1/pods",
      querystring: new URLSearchParams({ watch: "true" }),
      expectStream: true,
      abortSignal: ctl.signal,
    });
    const source = sourceOf(stream);
    assert.equal(stream.locked, true); // nothing else reads it now
    const lines = new LineBuffer();
    const names: string[] = [];
    while (names.length < 2000) {
      const { done, view } = await source.read(lines.room());
      assert.equal(done, false);
      lines.filled(view);
      lines.lines((line) =>
        names.push(JSON.parse(dec.decode(line)).object.metadata.name)
      );
    }
    assert.deepEqual(names, Array.from({ length: 2000 }, (_, i) => `p${i}`));
    const pending = source.read(lines.room());
    const reason = new Error("stop");
    const t0 = performance.now();
    ctl.abort(reason);
    await assert.rejects(pending, (err) => err === reason);
    assert.ok(performance.now() - t0 < 1000);
    await gone; // the server saw the connection go
  } finally {
    await server.shutdown();
  }
});

Deno.test("through the client: an error answer to a streamed GET is the server's Status", async () => {
  const { server, url } = watchServer(0);
  try {
    using client = await clientFor(url);
    await assert.rejects(
      client.performRequest({
        method: "GET",
        path: "/api/v1/pods",
        expectStream: true,
      }),
      (err: unknown) => {
        assert.ok(err instanceof KubernetesApiError, String(err));
        assert.equal(err.httpCode, 410);
        assert.equal(err.reason, "Expired");
        return true;
      },
    );
  } finally {
    await server.shutdown();
  }
});

Deno.test("through the client: a refused connection for a streamed GET is a typed connection-refused error", async () => {
  const { server, url } = watchServer(0);
  await server.shutdown();
  using client = await clientFor(url);
  await assert.rejects(
    client.performRequest({
      method: "GET",
      path: "/api/v1/pods",
      querystring: new URLSearchParams({ watch: "true" }),
      expectStream: true,
    }),
    (err: unknown) => {
      assert.ok(err instanceof TransportError, String(err));
      assert.equal(err.kind, "connection-refused");
      assert.match(err.message, /GET \/api\/v1\/pods\?watch=true/);
      return true;
    },
  );
});
