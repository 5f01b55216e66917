// Requests that get no proper answer fail fast with a TransportError that
// names the request (method and path, never the query) and says whether a
// retry may help: refused connections, TLS failures, bodies that are not
// JSON, broken or refused tunnel handshakes (an endless refusal body is read
// only up to 64 KiB), and request heads with control characters, which are
// rejected before a byte is sent. Local servers stand in for an apiserver
// misbehaving on purpose; no cluster is needed.

import assert from "node:assert/strict";
import {
  KubeConfig,
  KubeConfigRestClient,
  KubernetesApiError,
  TransportError,
} from "../../../mod.ts";
import { createCa, issueCert } from "../../../lib/testing/_pki.ts";
import { until, withTempDir } from "../../_helpers.ts";

function clientFor(baseUrl: string): Promise<KubeConfigRestClient> {
  return KubeConfigRestClient.forKubeConfig(
    KubeConfig.getSimpleUrlConfig({ baseUrl }),
    undefined,
    { retry: false },
  );
}

/** A raw TCP server: each connection gets `serve`; every byte received is recorded. */
async function withRawServer(
  serve: (conn: Deno.Conn, received: () => string) => Promise<void>,
  fn: (baseUrl: string, received: () => string) => Promise<void>,
): Promise<void> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let all = "";
  const conns = new Set<Deno.Conn>();
  const serving = (async () => {
    for await (const conn of listener) {
      conns.add(conn);
      const decoder = new TextDecoder();
      const received = () => all;
      const reading = (async () => {
        const buf = new Uint8Array(4096);
        for (;;) {
          const n = await conn.read(buf).catch(() => null);
          if (n === null) return;
          all += decoder.decode(buf.subarray(0, n));
        }
      })();
      serve(conn, received).catch(() => {}).finally(async () => {
        await reading;
        conns.delete(conn);
      });
    }
  })();
  try {
    await fn(`http://127.0.0.1:${listener.addr.port}`, () => all);
  } finally {
    listener.close();
    for (const c of conns) {
      try {
        c.close();
      } catch {
        // already closed
      }
    }
    await serving.catch(() => {});
  }
}

async function write(conn: Deno.Conn, text: string | Uint8Array) {
  const bytes = typeof text === "string"
    ? new TextEncoder().encode(text)
    : text;
  let off = 0;
  while (off < bytes.length) off += await conn.write(bytes.subarray(off));
}

Deno.test("a refused connection is a retriable TransportError naming the request without its query", async () => {
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = probe.addr.port;
  probe.close();
  using client = await clientFor(`http://127.0.0.1:${port}`);
  const err = await client.performRequest({
    method: "GET",
    path: "/api/v1/secrets",
    querystring: new URLSearchParams({ labelSelector: "token=s3cr3t" }),
  }).then(() => undefined, (e) => e);
  assert.ok(err instanceof TransportError, String(err));
  assert.ok(err.isConnectionRefused() && err.isRetriable(), err.kind);
  assert.deepEqual(err.request, { method: "GET", path: "/api/v1/secrets" });
  assert.ok(err.cause !== undefined, "the cause is kept");
});

Deno.test("an untrusted server certificate is a TLS TransportError, not retriable", async () => {
  await withTempDir(async (dir) => {
    const ca = await createCa(dir, "other-ca", "other");
    const cert = await issueCert(dir, ca, {
      name: "srv",
      commonName: "srv",
      ipAddresses: ["127.0.0.1"],
      usage: "server",
    });
    const listener = Deno.listenTls({
      hostname: "127.0.0.1",
      port: 0,
      cert: cert.certPem,
      key: cert.keyPem,
    });
    const accepting = (async () => {
      for await (const conn of listener) {
        conn.handshake().catch(() => {}).finally(() => conn.close());
      }
    })().catch(() => {});
    try {
      using client = await clientFor(`https://127.0.0.1:${listener.addr.port}`);
      const err = await client.performRequest({ method: "GET", path: "/api" })
        .then(() => undefined, (e) => e);
      assert.ok(err instanceof TransportError, String(err));
      assert.ok(err.isTlsError() && !err.isRetriable(), err.kind);
    } finally {
      listener.close();
      await accepting;
    }
  });
});

Deno.test("a 200 answer that is not JSON where JSON was expected is a bad-response TransportError", async () => {
  await withRawServer(async (conn) => {
    await write(
      conn,
      "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: 19\r\n\r\n<html>portal</html>",
    );
  }, async (baseUrl) => {
    using client = await clientFor(baseUrl);
    const err = await client.performRequest({
      method: "GET",
      path: "/api",
      expectJson: true,
    }).then(() => undefined, (e) => e);
    assert.ok(err instanceof TransportError, String(err));
    assert.equal(err.kind, "bad-response");
    assert.equal(
      err.message,
      "GET /api: HTTP 200 response is not JSON (content-type text/html, 19 chars)",
    );
  });
});

Deno.test("a refused tunnel handshake with an endless chunked body is read only up to 64 KiB", async () => {
  await withRawServer(async (conn) => {
    await write(
      conn,
      "HTTP/1.1 403 Forbidden\r\ncontent-type: text/plain\r\ntransfer-encoding: chunked\r\n\r\n",
    );
    const chunk = new TextEncoder().encode(
      `1000\r\n${"x".repeat(0x1000)}\r\n`,
    );
    for (;;) await write(conn, chunk); // until the client hangs up
  }, async (baseUrl) => {
    using client = await clientFor(baseUrl);
    const started = performance.now();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const err = await Promise.race([
      client.performRequest({
        method: "GET",
        path: "/api/v1/namespaces/ns/pods/p/exec",
        expectTunnel: ["v4.channel.k8s.io"],
      }).then(() => undefined, (e) => e),
      new Promise((r) => timer = setTimeout(() => r("still reading"), 5000)),
    ]);
    clearTimeout(timer);
    assert.ok(
      err instanceof KubernetesApiError && err.isForbidden(),
      String(err),
    );
    assert.ok(
      performance.now() - started < 2000,
      `took ${performance.now() - started} ms`,
    );
  });
});

Deno.test("a tunnel handshake answered with a wrong Sec-WebSocket-Accept is a bad-response TransportError", async () => {
  await withRawServer(async (conn) => {
    await write(
      conn,
      "HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-accept: wrong\r\nsec-websocket-protocol: v4.channel.k8s.io\r\n\r\n",
    );
  }, async (baseUrl) => {
    using client = await clientFor(baseUrl);
    const err = await client.performRequest({
      method: "GET",
      path: "/api/v1/namespaces/ns/pods/p/exec",
      querystring: new URLSearchParams({ command: "sh" }),
      expectTunnel: ["v4.channel.k8s.io"],
    }).then(() => undefined, (e) => e);
    assert.ok(err instanceof TransportError, String(err));
    assert.equal(err.kind, "bad-response");
    assert.deepEqual(err.request, {
      method: "GET",
      path: "/api/v1/namespaces/ns/pods/p/exec",
    });
  });
});

Deno.test("a path, query or header value with CR or LF is rejected before anything is sent, on requests and tunnels", async () => {
  await withRawServer(async (conn) => {
    await write(
      conn,
      "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}",
    );
  }, async (baseUrl, received) => {
    using client = await clientFor(baseUrl);
    const attempts: [string, Promise<unknown>][] = [
      [
        "path",
        client.performRequest({
          method: "GET",
          path: "/api\r\nX-Injected: 1",
        }),
      ],
      [
        "query",
        client.performRequest({
          method: "GET",
          path: "/api?a=b\r\nX-Injected: 1",
        }),
      ],
      [
        "header",
        client.performRequest({
          method: "GET",
          path: "/api",
          accept: "application/json\r\nX-Injected: 1",
        }),
      ],
      [
        "tunnel path",
        client.performRequest({
          method: "GET",
          path: "/api/v1/namespaces/ns/pods/p/exec\r\nX-Injected: 1",
          expectTunnel: ["v4.channel.k8s.io"],
        }),
      ],
      [
        "tunnel query",
        client.performRequest({
          method: "GET",
          path: "/api/v1/namespaces/ns/pods/p/exec",
          querystring: new URLSearchParams({ command: "sh" }),
          expectTunnel: ["v4.channel.k8s.io\r\nX-Injected: 1"],
        }),
      ],
    ];
    for (const [what, attempt] of attempts) {
      const err = await attempt.then(() => undefined, (e) => e);
      assert.ok(err instanceof TransportError, `${what}: ${err}`);
      assert.equal(err.kind, "invalid-request", what);
      assert.ok(!err.message.includes("\n"), what);
    }
    // A clean request still works, and only it reached the server.
    await client.performRequest({
      method: "GET",
      path: "/ok",
      expectJson: true,
    });
    await until(
      () => received().includes("\r\n\r\n"),
      5_000,
      "the request head",
      5,
    );
    assert.ok(!received().includes("X-Injected"), received());
    assert.equal(received().match(/^GET /gm)?.length, 1, received());
  });
});
