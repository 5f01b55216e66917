// Building a KubeConfigRestClient does no I/O: the constructor starts no
// listener, forwarder or timer, and prints nothing — even with
// tls-server-name, which needs a local CONNECT forwarder once requests flow.
// Deno's resource and op sanitizers check the first point (a client that is
// never closed must leave nothing behind). TLS weakening still never goes
// unsaid: insecure-skip-tls-verify warns exactly once per client, when the
// static constructor returns or, for a client built with `new`, at its first
// request. No cluster: requests go to a closed loopback port.

import assert from "node:assert/strict";
import {
  KubeConfig,
  KubeConfigRestClient,
  TransportError,
} from "../../../mod.ts";

/** A port nobody listens on. */
function closedPort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

function config(cluster: Record<string, unknown>): KubeConfig {
  return KubeConfig.parse(
    JSON.stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: "c", cluster }],
      users: [{ name: "u", user: { token: "t0ken-for-tests" } }],
      contexts: [{ name: "x", context: { cluster: "c", user: "u" } }],
      "current-context": "x",
    }),
    "/test/config",
  );
}

async function capturingWarnings<T>(
  fn: (warnings: string[]) => Promise<T>,
): Promise<T> {
  const warnings: string[] = [];
  const warn = console.warn;
  console.warn = (msg: string) => warnings.push(msg);
  try {
    return await fn(warnings);
  } finally {
    console.warn = warn;
  }
}

/** The process's open sockets (Linux: /proc/self/fd). */
function openSockets(): number {
  let n = 0;
  for (const e of Deno.readDirSync("/proc/self/fd")) {
    try {
      if (Deno.readLinkSync(`/proc/self/fd/${e.name}`).startsWith("socket:")) {
        n++;
      }
    } catch {
      // the directory's own fd, gone by now
    }
  }
  return n;
}

Deno.test({
  name:
    "constructing a client with tls-server-name opens no socket, so one never closed leaves nothing behind",
  ignore: Deno.build.os !== "linux",
  fn() {
    const ctx = config({
      server: `https://127.0.0.1:${closedPort()}`,
      "tls-server-name": "kubernetes.example",
    }).fetchContext();
    const before = openSockets();
    const client = new KubeConfigRestClient(ctx);
    assert.equal(openSockets(), before, "sockets opened by the constructor");
    assert.match(client.baseUrl, /^https:\/\/kubernetes\.example:\d+$/);
    // No close(): the sanitizers would also see a listener or pending op.
  },
});

Deno.test("a client built with new warns about insecure-skip-tls-verify at its first request, once", async () => {
  const ctx = config({
    server: `https://127.0.0.1:${closedPort()}`,
    "insecure-skip-tls-verify": true,
  }).fetchContext();
  await capturingWarnings(async (warnings) => {
    using client = new KubeConfigRestClient(ctx, null, { retry: false });
    assert.deepEqual(warnings, [], "the constructor prints nothing");
    for (let i = 0; i < 2; i++) {
      await assert.rejects(
        () => client.performRequest({ method: "GET", path: "/api" }),
        TransportError,
      );
    }
    assert.equal(warnings.length, 1, warnings.join("\n"));
    assert.match(
      warnings[0],
      /clusters\["c"\]\.cluster\.insecure-skip-tls-verify asks to skip TLS verification.*--unsafely-ignore-certificate-errors=127\.0\.0\.1$/,
    );
  });
});

Deno.test("the static constructor says insecure-skip-tls-verify once before returning, and requests do not repeat it", async () => {
  const kc = config({
    server: `https://127.0.0.1:${closedPort()}`,
    "insecure-skip-tls-verify": true,
  });
  await capturingWarnings(async (warnings) => {
    using client = await KubeConfigRestClient.forKubeConfig(kc, undefined, {
      retry: false,
    });
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /asks to skip TLS verification/);
    await assert.rejects(
      () => client.performRequest({ method: "GET", path: "/api" }),
      TransportError,
    );
    assert.equal(warnings.length, 1);
  });
});
