// workloadLogs and execWorkload's resolution against a scripted client (the
// real-node behaviour is test/integration/tunnels/node_workload_test.ts):
// a Deployment's structured selector becomes the pods' labelSelector;
// all pods' logs are merged with kubectl's `[pod/NAME/CONTAINER] ` prefix
// (the annotated default container first) and the stream ends when every
// log ends; one pod's log is the Ready pod's, unprefixed; no started pod
// is NoReadyPod naming the selector.

import assert from "node:assert/strict";
import type { RequestOptions, RestClient } from "../../../mod.ts";
import { workloadLogs } from "../../../lib/tunnels/workload.ts";
import { TunnelError } from "../../../lib/tunnels/tunnel_error.ts";
import { rejection } from "../../_helpers.ts";

const ready = (name: string, extra: object = {}) => ({
  metadata: { name, uid: name, ...extra },
  spec: { containers: [{ name: "main" }, { name: "side" }] },
  status: {
    phase: "Running",
    conditions: [{
      type: "Ready",
      status: "True",
      lastTransitionTime: `2026-01-0${name.length % 9}T00:00:00Z`,
    }],
  },
});

function scripted(pods: object[]): RestClient & { seen: string[] } {
  const seen: string[] = [];
  return {
    seen,
    performRequest(opts: RequestOptions) {
      seen.push(`${opts.path}?${opts.querystring ?? ""}`);
      if (opts.path.endsWith("/deployments/web")) {
        return Promise.resolve({
          spec: {
            selector: {
              matchLabels: { app: "web" },
              matchExpressions: [{
                key: "tier",
                operator: "In",
                values: ["a", "b"],
              }],
            },
          },
        });
      }
      if (opts.path.endsWith("/pods")) return Promise.resolve({ items: pods });
      const pod = opts.path.split("/").at(-2);
      const c = opts.querystring?.get("container");
      return Promise.resolve(
        new Response(`one ${pod} ${c}\ntwo ${pod} ${c}\n`).body,
      );
    },
  } as unknown as RestClient & { seen: string[] };
}

Deno.test("all pods' logs merge with [pod/NAME/CONTAINER] prefixes and end when every log ends", async () => {
  const client = scripted([
    ready("web-a"),
    ready("web-bb", {
      annotations: { "kubectl.kubernetes.io/default-container": "side" },
    }),
    { metadata: { name: "web-pending" }, status: { phase: "Pending" } },
  ]);
  const lines: string[] = [];
  for await (
    const l of await workloadLogs(client, { kind: "Deployment", name: "web" }, {
      namespace: "shop",
      allPods: true,
    })
  ) lines.push(l);
  assert.deepEqual(lines.sort(), [
    "[pod/web-a/main] one web-a main",
    "[pod/web-a/main] two web-a main",
    "[pod/web-bb/side] one web-bb side",
    "[pod/web-bb/side] two web-bb side",
  ]);
  assert.equal(
    client.seen[1],
    "/api/v1/namespaces/shop/pods?labelSelector=app%3Dweb%2Ctier+in+%28a%2Cb%29",
  );
});

Deno.test("one pod's log is a Ready pod's, unprefixed; no started pod is NoReadyPod naming the selector", async () => {
  const lines: string[] = [];
  for await (
    const l of await workloadLogs(scripted([ready("web-a")]), {
      selector: "app=web",
    }, { namespace: "shop", container: "main" })
  ) lines.push(l);
  assert.deepEqual(lines, ["one web-a main", "two web-a main"]);
  const err = await rejection(
    workloadLogs(
      scripted([{ metadata: { name: "p" }, status: { phase: "Pending" } }]),
      { selector: "app=web" },
      { namespace: "shop" },
    ),
    TunnelError,
  );
  assert.equal(err.reason, "NoReadyPod");
  assert.match(
    err.message,
    /shop\/pods app=web: no Running and Ready pod matches app=web \(1 pods: p Pending\)/,
  );
});

Deno.test("a slow consumer of all pods' logs holds every pod's log where it is: memory stays bounded", async () => {
  // Three pods whose logs never end, produced only when read (100 lines a read).
  let produced = 0;
  const endless = () =>
    new ReadableStream<Uint8Array>({
      pull(c) {
        // A cap, so a runaway reader fails the assertion below instead of the process.
        if (produced >= 50_000) return c.close();
        produced += 100;
        c.enqueue(new TextEncoder().encode("a log line\n".repeat(100)));
      },
    }, { highWaterMark: 0 });
  const base = scripted([ready("web-a"), ready("web-bb"), ready("web-ccc")]);
  const client = {
    performRequest(opts: RequestOptions) {
      return opts.path.endsWith("/log")
        ? (base.performRequest(opts), Promise.resolve(endless()))
        : base.performRequest(opts);
    },
  } as unknown as RestClient;
  const lines = await workloadLogs(client, { selector: "app=web" }, {
    namespace: "shop",
    allPods: true,
  });
  const reader = lines.getReader();
  let consumed = 0;
  for (let round = 0; round < 5; round++) {
    for (let i = 0; i < 10; i++) {
      assert.equal((await reader.read()).done, false);
      consumed++;
    }
    // The consumer is busy; the pods' logs keep coming.
    await new Promise((r) => setTimeout(r, 100));
  }
  // Before the fix, every pod's log was read as fast as it came: hundreds
  // of thousands of lines queued within these 500 ms.
  assert.ok(
    produced - consumed < 3_000,
    `expected the queue plus each pod's own buffers (< 3000 lines) ahead of the consumer, found ${
      produced - consumed
    }`,
  );
  await reader.cancel();
});
