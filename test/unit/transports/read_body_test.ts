// A whole response body read as bytes (a request without expectJson or
// expectStream; the compact Reflector's list pages come this way): every
// byte, in order, whether the server declares a length or streams chunks;
// an abort mid-body rejects at once with the signal's reason.
// A local Deno.serve stands in for the apiserver; no cluster is needed.

import assert from "node:assert/strict";
import { KubeConfig, KubeConfigRestClient } from "../../../mod.ts";
import { readAllOrAbort } from "../../../transports/_owned_body.ts";

/** Bytes that differ from position to position, so a misplaced chunk shows. */
function pattern(n: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + (i >> 8)) & 0xff;
  return out;
}

async function withServer(
  handler: (req: Request) => Response | Promise<Response>,
  fn: (client: KubeConfigRestClient) => Promise<void>,
): Promise<void> {
  const server = Deno.serve(
    { port: 0, hostname: "127.0.0.1", onListen() {} },
    handler,
  );
  const client = await KubeConfigRestClient.forKubeConfig(
    KubeConfig.getSimpleUrlConfig({
      baseUrl: `http://127.0.0.1:${server.addr.port}`,
    }),
    undefined,
    { retry: false },
  );
  try {
    await fn(client);
  } finally {
    client.close();
    await server.shutdown();
  }
}

/** A body streamed in `chunk`-sized pieces (chunked encoding: no length). */
function chunked(body: Uint8Array, chunk: number): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream({
    pull(c) {
      if (at >= body.length) c.close();
      else c.enqueue(body.slice(at, at += chunk));
    },
  });
}

Deno.test("a body of declared length comes back whole, read into one buffer of about its size", async () => {
  const body = pattern(1_300_000);
  await withServer(() => new Response(body), async (client) => {
    const got = await client.performRequest({ method: "GET", path: "/x" });
    assert.ok(got instanceof Uint8Array);
    assert.equal(got.length, body.length);
    assert.deepEqual(got, body);
    // Sized from content-length (plus the byte the last read needs): no
    // chunks collected and copied, no doubled buffer.
    assert.ok(
      got.buffer.byteLength <= body.length + 1,
      `buffer of ${got.buffer.byteLength} bytes for a body of ${body.length}`,
    );
  });
});

Deno.test("a chunked body of unknown length comes back whole, with at most a quarter of slack kept", async () => {
  for (const size of [0, 1, 65_535, 65_536, 65_537, 700_001]) {
    const body = pattern(size);
    await withServer(
      () => new Response(chunked(body, 7_000)),
      async (client) => {
        const got = await client.performRequest({ method: "GET", path: "/x" });
        assert.ok(got instanceof Uint8Array);
        assert.deepEqual(got, body, `a body of ${size} bytes`);
        assert.ok(
          got.buffer.byteLength <= Math.max(64 * 1024 + 1, size * 1.25 + 1),
          `buffer of ${got.buffer.byteLength} bytes for a body of ${size}`,
        );
      },
    );
  }
});

Deno.test("a body of a constructed Response (not a byte stream) and an empty one read whole", async () => {
  const body = pattern(200_000);
  const fromStream = await readAllOrAbort(
    new Response(chunked(body, 10_000)),
    undefined,
    (err) => err,
  );
  assert.deepEqual(fromStream, body);
  assert.deepEqual(
    await readAllOrAbort(new Response(null), undefined, (err) => err),
    new Uint8Array(0),
  );
});

Deno.test("an abort mid-body rejects with the signal's reason, promptly", async () => {
  let stalled!: () => void;
  const served = new Promise<void>((resolve) => stalled = resolve);
  await withServer(() => {
    let sent = false;
    return new Response(
      new ReadableStream<Uint8Array>({
        pull(c): Promise<void> | void {
          if (sent) return new Promise(() => {}); // then nothing more
          sent = true;
          c.enqueue(pattern(100_000));
          stalled();
        },
      }),
    );
  }, async (client) => {
    const ctl = new AbortController();
    const reading = client.performRequest({
      method: "GET",
      path: "/x",
      abortSignal: ctl.signal,
    });
    await served;
    const reason = new Error("stop reading");
    const t0 = performance.now();
    ctl.abort(reason);
    await assert.rejects(reading, (err) => err === reason);
    assert.ok(performance.now() - t0 < 2_000, "the abort took too long");
  });
});
