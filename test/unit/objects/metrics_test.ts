// podMetrics / nodeMetrics against a stand-in metrics API whose answers
// follow k8s.io/metrics pkg/apis/metrics/v1beta1 (PodMetrics: metadata,
// timestamp, window, containers[].usage; NodeMetrics: metadata, timestamp,
// window, usage; lists as PodMetricsList / NodeMetricsList), since the
// test apiserver has no metrics-server (its 404 is tested for real in
// test/integration/objects/metrics_apiserver_test.ts). Quantities are
// parsed as resource.Quantity reads them; a usage that is not one is a
// RangeError naming the field.

import assert from "node:assert/strict";
import type { RequestOptions, RestClient } from "../../../mod.ts";
import {
  MetricsError,
  nodeMetrics,
  parseQuantity,
  podMetrics,
} from "../../../lib/objects/metrics.ts";
import {
  apiErrorFromStatus,
  KubernetesApiError,
} from "../../../lib/errors/mod.ts";

function standIn(
  answer: (opts: RequestOptions) => unknown,
): RestClient & { seen: string[] } {
  const seen: string[] = [];
  return {
    seen,
    defaultNamespace: "shop",
    performRequest(opts: RequestOptions) {
      seen.push(`${opts.path}?${opts.querystring ?? ""}`);
      try {
        return Promise.resolve(answer(opts));
      } catch (err) {
        return Promise.reject(err);
      }
    },
  } as unknown as RestClient & { seen: string[] };
}

const podList = {
  kind: "PodMetricsList",
  apiVersion: "metrics.k8s.io/v1beta1",
  metadata: {},
  items: [{
    metadata: { name: "web-1", namespace: "shop", labels: { app: "web" } },
    timestamp: "2026-12-03T18:00:00Z",
    window: "30s",
    containers: [
      { name: "httpd", usage: { cpu: "250m", memory: "128Mi" } },
      { name: "sidecar", usage: { cpu: "1500000n", memory: "2048Ki" } },
    ],
  }],
};

Deno.test("podMetrics reads the namespace's PodMetricsList with CPU in cores and memory in bytes", async () => {
  const client = standIn(() => podList);
  const pods = await podMetrics(client, { labelSelector: "app=web" });
  assert.deepEqual(client.seen, [
    "/apis/metrics.k8s.io/v1beta1/namespaces/shop/pods?labelSelector=app%3Dweb",
  ]);
  assert.equal(pods.length, 1);
  assert.equal(pods[0].name, "web-1");
  assert.equal(pods[0].window, "30s");
  assert.deepEqual(
    pods[0].containers.map((c) => [c.name, c.cpuCores, c.memoryBytes]),
    [
      ["httpd", 0.25, 134217728],
      ["sidecar", 0.0015, 2097152],
    ],
  );
  assert.equal(pods[0].containers[0].usage.cpu, "250m");
});

Deno.test("nodeMetrics reads one NodeMetrics by name, and podMetrics every namespace", async () => {
  const client = standIn((opts) =>
    opts.path.endsWith("/nodes/n1")
      ? {
        kind: "NodeMetrics",
        apiVersion: "metrics.k8s.io/v1beta1",
        metadata: { name: "n1" },
        timestamp: "2026-12-03T18:00:00Z",
        window: "20s",
        usage: { cpu: "2", memory: "3Gi" },
      }
      : podList
  );
  const [n] = await nodeMetrics(client, { name: "n1" });
  assert.deepEqual([n.name, n.cpuCores, n.memoryBytes], ["n1", 2, 3 * 2 ** 30]);
  await podMetrics(client, { allNamespaces: true });
  assert.equal(client.seen[1], "/apis/metrics.k8s.io/v1beta1/pods?");
});

Deno.test("a 404 or 503 for the metrics API is MetricsUnavailable; metrics-server's 404 for a pod it has no sample of, or that does not exist, stays a 404", async () => {
  const refuse = (code: number, details?: object) => () => {
    throw apiErrorFromStatus({
      kind: "Status",
      status: "Failure",
      code,
      reason: code === 404 ? "NotFound" : "ServiceUnavailable",
      message: "the server could not find the requested resource",
      ...(details ? { details } : {}),
    }, { method: "GET", path: "/apis/metrics.k8s.io/v1beta1/nodes" });
  };
  for (const code of [404, 503]) {
    await assert.rejects(
      nodeMetrics(standIn(refuse(code))),
      (e: unknown) =>
        e instanceof MetricsError && e.reason === "MetricsUnavailable" &&
        /serves no metrics\.k8s\.io/.test(e.message),
    );
  }
  // metrics-server's 404s name the object: no sample yet (its own group),
  // or no such pod (the core group's, from its pod lister: pods "ns/name").
  for (
    const details of [
      { name: "shop/web-1", group: "metrics.k8s.io", kind: "pods" },
      { name: "shop/web-1", kind: "pods" },
    ]
  ) {
    await assert.rejects(
      podMetrics(standIn(refuse(404, details)), { name: "web-1" }),
      (e: unknown) => e instanceof KubernetesApiError && e.httpCode === 404,
      JSON.stringify(details),
    );
  }
});

Deno.test("parseQuantity reads resource.Quantity's suffixes and exponents, and names the field of a bad one", () => {
  const cases: [string, number][] = [
    ["250m", 0.25],
    ["128Mi", 134217728],
    ["1", 1],
    ["1.5G", 1.5e9],
    ["2k", 2000],
    ["100n", 1e-7],
    ["5u", 5e-6],
    ["1Ki", 1024],
    ["2e3", 2000],
    ["1E-2", 0.01],
    ["-1Gi", -(2 ** 30)],
    [".5", 0.5],
  ];
  for (const [text, want] of cases) {
    assert.ok(
      Math.abs(parseQuantity(text) - want) <
        1e-12 * Math.max(1, Math.abs(want)),
      text,
    );
  }
  for (const bad of ["", "m", "12Q", "1.2.3", "1 Mi", "Mi1"]) {
    assert.throws(
      () => parseQuantity(bad, "node n1 usage.memory"),
      (e: unknown) =>
        e instanceof RangeError &&
        /^node n1 usage\.memory: expected a Kubernetes quantity/.test(
          e.message,
        ),
      bad,
    );
  }
});
