// Every client this package builds can be closed through the type users get:
// `autoDetectClient()` returns a `ClosableRestClient`, so `await using` and
// `close()` need no cast; `close()` is idempotent on every transport; a
// closed client refuses requests with a `TransportError` of reason
// `closed`; and closing a `KubectlRawRestClient` kills the kubectl it still
// runs. Unit tier: no cluster. The API server is stood in for by a loopback
// HTTP server answering `GET /api` (the probe autoDetectClient sends), and
// by a loopback listener that accepts connections and never answers (what a
// hung server looks like to a real kubectl, which is what runs here: it
// needs `kubectl` on PATH).

import assert from "node:assert/strict";
import type { ClosableRestClient, RestClient } from "../../../lib/contract.ts";
import { KubectlError, TransportError } from "../../../lib/errors/mod.ts";
import { autoDetectClient } from "../../../transports/auto_detect.ts";
import { KubeConfigRestClient } from "../../../transports/kubeconfig.ts";
import { KubectlProxyRestClient } from "../../../transports/kubectl_proxy.ts";
import { KubectlRawRestClient } from "../../../transports/kubectl_raw.ts";

/** A loopback server answering `/api` with APIVersions, as an API server (or a kubectl proxy) does. */
function apiServer(): { url: string } & AsyncDisposable {
  const server = Deno.serve(
    { port: 0, hostname: "127.0.0.1", onListen() {} },
    () => Response.json({ kind: "APIVersions", versions: ["v1"] }),
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

/** A loopback listener that accepts connections and never answers. */
function silentServer(): {
  url: string;
  accepted: Promise<void>;
} & Disposable {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns: Deno.Conn[] = [];
  const { promise: accepted, resolve } = Promise.withResolvers<void>();
  (async () => {
    try {
      for await (const conn of listener) {
        conns.push(conn);
        resolve();
      }
    } catch { /* closed */ }
  })();
  return {
    url: `http://127.0.0.1:${listener.addr.port}`,
    accepted,
    [Symbol.dispose]() {
      listener.close();
      for (const c of conns) {
        try {
          c.close();
        } catch { /* already closed */ }
      }
    },
  };
}

/** A kubeconfig file naming `server`, removed on dispose. */
async function kubeconfigFor(
  server: string,
): Promise<{ path: string } & AsyncDisposable> {
  const dir = await Deno.makeTempDir({ prefix: "closable-" });
  const path = `${dir}/config`;
  await Deno.writeTextFile(
    path,
    JSON.stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: "c", cluster: { server } }],
      users: [{ name: "u", user: {} }],
      contexts: [{ name: "x", context: { cluster: "c", user: "u" } }],
      "current-context": "x",
    }),
  );
  return {
    path,
    [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }),
  };
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  assert.fail("expected a rejection");
}

const getApi = { method: "GET", path: "/api", expectJson: true } as const;

Deno.test("autoDetectClient's client is closed by await using, with no cast", async () => {
  await using server = apiServer();
  let kept: RestClient;
  {
    await using client = await autoDetectClient({
      sources: ["KubectlProxy"],
      kubectlProxyUrl: server.url,
    });
    const typed: ClosableRestClient = client;
    kept = typed;
    assert.deepEqual(await client.performRequest(getApi), {
      kind: "APIVersions",
      versions: ["v1"],
    });
  }
  const err = await rejection(kept.performRequest(getApi));
  assert.ok(err instanceof TransportError && err.reason === "closed", `${err}`);
});

Deno.test("close() is idempotent on the KubeConfig transport, and a closed client refuses requests", async () => {
  await using server = apiServer();
  const client: ClosableRestClient = await KubeConfigRestClient
    .forKubectlProxy(server.url);
  await client.performRequest(getApi);
  await client.close();
  await client.close();
  await client[Symbol.asyncDispose]();
  const err = await rejection(client.performRequest(getApi));
  assert.ok(err instanceof TransportError && err.reason === "closed", `${err}`);
});

Deno.test("close() is idempotent on the KubectlRaw transport, which is Disposable and AsyncDisposable", async () => {
  await using kubeconfig = await kubeconfigFor("http://127.0.0.1:1");
  const client: ClosableRestClient = new KubectlRawRestClient(undefined, {
    kubeconfig: kubeconfig.path,
  });
  client.close();
  client.close();
  await client[Symbol.asyncDispose]();
  (client as KubectlRawRestClient)[Symbol.dispose]();
  const started = performance.now();
  const err = await rejection(client.performRequest(getApi));
  assert.ok(err instanceof KubectlError && err.reason === "closed", `${err}`);
  assert.match(String(err), /GET \/api: this KubectlRawRestClient is closed/);
  // Refused before kubectl runs: no process start in the time taken.
  assert.ok(performance.now() - started < 50);
});

Deno.test("closing a KubectlRawRestClient kills the kubectl it still runs and fails its request as closed", async () => {
  using server = silentServer();
  await using kubeconfig = await kubeconfigFor(server.url);
  const client = new KubectlRawRestClient(undefined, {
    kubeconfig: kubeconfig.path,
  });
  const pending = rejection(
    client.performRequest({ ...getApi, path: "/api/v1/namespaces" }),
  );
  // kubectl is running: it connected to the server, which never answers.
  await server.accepted;
  const started = performance.now();
  client.close();
  const err = await pending;
  assert.ok(err instanceof KubectlError && err.reason === "closed", `${err}`);
  assert.ok(
    performance.now() - started < 5_000,
    `took ${performance.now() - started} ms`,
  );
});

Deno.test("close() is idempotent on the KubectlProxy transport", async () => {
  await using kubeconfig = await kubeconfigFor("http://127.0.0.1:1");
  const client: ClosableRestClient = await KubectlProxyRestClient.start({
    kubeconfig: kubeconfig.path,
  });
  await client.close();
  await client.close();
  await client[Symbol.asyncDispose]();
  const err = await rejection(client.performRequest(getApi));
  assert.ok(err instanceof TransportError && err.reason === "closed", `${err}`);
});
