// KubeConfigRestClient against a bare fetch with an equivalent
// Deno.createHttpClient, same run, same apiserver: what the transport's
// features cost on the hot path. Run with `deno task bench`; each group
// prints the ratio to its baseline (target: within 5% of bare fetch). The
// client trusts only the kubeconfig's CA (through its Unix-socket forwarder
// and node:tls); the `requestTrust: "ca-and-roots"` client, on Deno's TLS,
// shows what that costs.

import { KubeConfigRestClient } from "../../mod.ts";
import { adminHeaders, adminHttpClient } from "../../lib/testing/descriptor.ts";
import { controlPlane } from "../harness.ts";

const cp = await controlPlane();
const client = await KubeConfigRestClient.readKubeConfig(cp.kubeconfigs.admin);
const rootsClient = await KubeConfigRestClient.readKubeConfig(
  cp.kubeconfigs.admin,
  undefined,
  { requestTrust: "ca-and-roots" },
);
const bare = adminHttpClient(cp);
const headers = { ...adminHeaders(cp), accept: "application/json" };

const ns = `bench-${crypto.randomUUID().slice(0, 8)}`;
await client.performRequest({
  method: "POST",
  path: "/api/v1/namespaces",
  bodyJson: { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } },
});
const base = `/api/v1/namespaces/${ns}/configmaps`;
// 500 small objects for the list workload, created 25 at a time.
for (let i = 0; i < 500; i += 25) {
  await Promise.all(Array.from({ length: 25 }, (_, j) =>
    client.performRequest({
      method: "POST",
      path: base,
      bodyJson: {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: {
          name: `cm-${i + j}`,
          labels: { app: "bench", shard: String((i + j) % 7) },
        },
        data: { index: String(i + j), payload: "x".repeat(200) },
      },
    })));
}
const onePath = `${base}/cm-0`;

async function bareGet(path: string): Promise<unknown> {
  const r = await fetch(cp.server + path, { client: bare, headers });
  if (!r.ok) throw new Error(`HTTP ${r.status}`);
  return await r.json();
}
async function clientGet(
  path: string,
  via: KubeConfigRestClient = client,
): Promise<unknown> {
  return await via.performRequest({ method: "GET", path, expectJson: true });
}

Deno.bench({
  name: "bare fetch",
  group: "GET one object, sequential",
  baseline: true,
  fn: async () => void await bareGet(onePath),
});
Deno.bench({
  name: "KubeConfigRestClient",
  group: "GET one object, sequential",
  fn: async () => void await clientGet(onePath),
});
Deno.bench({
  name: "KubeConfigRestClient ca-and-roots",
  group: "GET one object, sequential",
  fn: async () => void await clientGet(onePath, rootsClient),
});

Deno.bench({
  name: "bare fetch",
  group: "GET one object, 64 concurrent",
  baseline: true,
  fn: async () =>
    void await Promise.all(Array.from({ length: 64 }, () => bareGet(onePath))),
});
Deno.bench({
  name: "KubeConfigRestClient",
  group: "GET one object, 64 concurrent",
  fn: async () =>
    void await Promise.all(
      Array.from({ length: 64 }, () => clientGet(onePath)),
    ),
});
Deno.bench({
  name: "KubeConfigRestClient ca-and-roots",
  group: "GET one object, 64 concurrent",
  fn: async () =>
    void await Promise.all(
      Array.from({ length: 64 }, () => clientGet(onePath, rootsClient)),
    ),
});

Deno.bench({
  name: "bare fetch",
  group: "GET a 500-item list",
  baseline: true,
  fn: async () => void await bareGet(base),
});
Deno.bench({
  name: "KubeConfigRestClient",
  group: "GET a 500-item list",
  fn: async () => void await clientGet(base),
});
Deno.bench({
  name: "KubeConfigRestClient ca-and-roots",
  group: "GET a 500-item list",
  fn: async () => void await clientGet(base, rootsClient),
});

globalThis.addEventListener("unload", () => {
  client.close();
  rootsClient.close();
  bare.close();
});
