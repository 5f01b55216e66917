// Client-side rate limiting against the real apiserver: a burst of
// requests from a client with `rateLimit` takes at least as long as the
// token bucket allows, with every answer intact, on the fetch and the
// kubectl transports alike. (The loopback flood and 429 cases are in
// test/rate_limit_test.ts.) Nothing here depends on the server's version.

import assert from "node:assert/strict";
import {
  DynamicClient,
  KubeConfigRestClient,
  KubectlRawRestClient,
  type RestClient,
} from "../../../mod.ts";
import { controlPlane } from "../../harness.ts";

const cp = await controlPlane();

async function timeBurst(client: RestClient, n: number): Promise<number> {
  const dyn = new DynamicClient(client);
  await dyn.mapping("v1", "Namespace"); // discovery outside the timing
  const started = performance.now();
  const got = await Promise.all(
    Array.from({ length: n }, () =>
      dyn.get<{ metadata: { name: string } }>({
        apiVersion: "v1",
        kind: "Namespace",
        name: "default",
      })),
  );
  assert.ok(got.every((ns) => ns.metadata.name === "default"));
  return performance.now() - started;
}

Deno.test("a rate-limited client's burst of requests to the real apiserver takes as long as its bucket allows", async () => {
  using limited = await KubeConfigRestClient.readKubeConfig(
    cp.kubeconfigs.admin,
    undefined,
    { rateLimit: { qps: 20, burst: 5 } },
  );
  // Discovery took tokens; wait for the bucket to refill.
  await new DynamicClient(limited).mapping("v1", "Namespace");
  await new Promise((r) => setTimeout(r, 300));
  const took = await timeBurst(limited, 30);
  // 30 requests, 5 at once, then 20 per second: at least 1.25 s.
  assert.ok(took >= 1150, `30 GETs at 20 qps took ${Math.round(took)} ms`);
  using free = await KubeConfigRestClient.readKubeConfig(cp.kubeconfigs.admin);
  const unlimited = await timeBurst(free, 30);
  console.log(
    `  30 GETs: ${Math.round(took)} ms at 20 qps, ${
      Math.round(unlimited)
    } ms unlimited`,
  );
});

Deno.test("kubectl --raw with a rate limit starts no more kubectls than its bucket allows", async () => {
  const client = new KubectlRawRestClient(undefined, {
    kubeconfig: cp.kubeconfigs.admin,
    kubectl: cp.binaries.kubectl,
    rateLimit: { qps: 10, burst: 2 },
  });
  client.defaultNamespace = "default";
  const started = performance.now();
  await Promise.all(
    Array.from(
      { length: 8 },
      () =>
        client.performRequest({
          method: "GET",
          path: "/version",
          expectJson: true,
        }),
    ),
  );
  const took = performance.now() - started;
  // 8 requests, 2 at once, then 10 per second: at least 0.6 s.
  assert.ok(took >= 550, `8 kubectl requests at 10 qps took ${took} ms`);
});
