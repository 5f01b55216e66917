// podMetrics / nodeMetrics on the real apiserver. Without metrics-server
// (none is installed by the harness, on any version) the apiserver answers
// 404 for /apis/metrics.k8s.io/v1beta1/..., and the helpers turn it into a
// MetricsError MetricsUnavailable instead of an HTTP error (client-node
// reports a 500 "invalid json response body"). With a metrics.k8s.io
// APIService (a stand-in, below) they read it through the aggregator.

import assert from "node:assert/strict";
import { KubeConfigRestClient, KubernetesApiError } from "../../../mod.ts";
import {
  MetricsError,
  nodeMetrics,
  podMetrics,
} from "../../../lib/objects/metrics.ts";
import { controlPlane } from "../../harness.ts";
import { rejection } from "../../_helpers.ts";
import { AggregatedApi, registerAggregatedApi } from "../../_aggregated_api.ts";

const cp = await controlPlane();

Deno.test("without metrics-server, pod and node metrics fail with MetricsUnavailable, caused by the apiserver's 404", async () => {
  const client = await KubeConfigRestClient.readKubeConfig(
    cp.kubeconfigs.admin,
  );
  try {
    for (
      const call of [
        () => podMetrics(client, { namespace: "default" }),
        () => podMetrics(client, { namespace: "default", name: "web-1" }),
        () => nodeMetrics(client),
        () => nodeMetrics(client, { name: "kube-test-node" }),
      ]
    ) {
      const err = await rejection(call(), MetricsError);
      assert.equal(err.reason, "MetricsUnavailable");
      assert.match(
        err.message,
        /^GET \/apis\/metrics\.k8s\.io\/v1beta1\/.*: the cluster serves no metrics\.k8s\.io \(HTTP 404\)/,
      );
      assert.ok(err.cause instanceof KubernetesApiError);
      assert.equal(err.cause.httpCode, 404);
    }
  } finally {
    client.close();
  }
});

// With metrics.k8s.io served: a stand-in metrics-server (test/_aggregated_api.ts,
// answers shaped as k8s.io/metrics v1beta1 and metrics-server's 404s)
// registered as the APIService v1beta1.metrics.k8s.io, read through the
// real aggregator. Skipped where the cluster already has that APIService
// (a real metrics-server on an external cluster is not replaced).

const METRICS_APISERVICE =
  "/apis/apiregistration.k8s.io/v1/apiservices/v1beta1.metrics.k8s.io";

async function metricsServed(): Promise<boolean> {
  using client = await cp.adminClient();
  return await client.performRequest({
    method: "GET",
    path: METRICS_APISERVICE,
    expectJson: true,
  }).then(() => true, () => false);
}

const podMetricsOf = (ns: string, name: string, cpu: string, mem: string) => ({
  kind: "PodMetrics",
  apiVersion: "metrics.k8s.io/v1beta1",
  metadata: {
    name,
    namespace: ns,
    labels: { app: name.split("-")[0] },
    creationTimestamp: "2026-01-01T00:00:00Z",
  },
  timestamp: "2026-01-01T00:00:00Z",
  window: "30s",
  containers: [{ name: "main", usage: { cpu, memory: mem } }],
});

Deno.test({
  name:
    "through the aggregator, podMetrics and nodeMetrics read a metrics.k8s.io APIService; a pod it does not know stays a 404, and a server that stopped answering is MetricsUnavailable (503)",
  ignore: await metricsServed(),
  fn: async () => {
    const ns = await cp.createNamespace("metrics");
    const service = { name: "metrics-stand-in", namespace: ns };
    const api = await AggregatedApi.start({
      group: "metrics.k8s.io",
      version: "v1beta1",
      mode: "plain",
      service,
      resources: [{
        plural: "pods",
        kind: "PodMetrics",
        namespaced: true,
        items: [
          podMetricsOf(ns, "web-1", "250m", "128Mi"),
          podMetricsOf(ns, "web-2", "1500m", "1Gi"),
          podMetricsOf(ns, "db-1", "100m", "64Mi"),
          podMetricsOf("elsewhere", "web-9", "1", "1Ki"),
        ],
        notFound: { group: "", resource: "pods", qualified: true },
      }, {
        plural: "nodes",
        kind: "NodeMetrics",
        namespaced: false,
        items: [{
          kind: "NodeMetrics",
          apiVersion: "metrics.k8s.io/v1beta1",
          metadata: { name: "kube-test-node", labels: { role: "worker" } },
          timestamp: "2026-01-01T00:00:00Z",
          window: "20s",
          usage: { cpu: "2", memory: "3Gi" },
        }],
        notFound: { group: "", resource: "node", qualified: false },
      }],
    });
    const admin = await cp.adminClient();
    let undo: (() => Promise<void>) | undefined;
    try {
      undo = await registerAggregatedApi(admin, api, service);
      const client = await KubeConfigRestClient.readKubeConfig(
        cp.kubeconfigs.admin,
      );
      try {
        const pods = await podMetrics(client, { namespace: ns });
        assert.deepEqual(
          pods.map((p) => [p.name, p.namespace, p.window]).sort(),
          [["db-1", ns, "30s"], ["web-1", ns, "30s"], ["web-2", ns, "30s"]],
        );
        const web1 = pods.find((p) => p.name === "web-1")!;
        assert.deepEqual(
          web1.containers.map((c) => [c.name, c.cpuCores, c.memoryBytes]),
          [["main", 0.25, 128 * 2 ** 20]],
        );
        assert.deepEqual(
          (await podMetrics(client, {
            namespace: ns,
            labelSelector: "app=web",
          }))
            .map((p) => p.name).sort(),
          ["web-1", "web-2"],
        );
        const [one] = await podMetrics(client, {
          namespace: ns,
          name: "web-2",
        });
        assert.deepEqual(
          [one.name, one.containers[0].cpuCores, one.containers[0].memoryBytes],
          ["web-2", 1.5, 2 ** 30],
        );
        assert.equal(
          (await podMetrics(client, { allNamespaces: true })).length,
          4,
        );
        const nodes = await nodeMetrics(client);
        assert.deepEqual(
          nodes.map((n) => [n.name, n.cpuCores, n.memoryBytes, n.window]),
          [["kube-test-node", 2, 3 * 2 ** 30, "20s"]],
        );
        // metrics-server's answer for a pod it has none for names the pod
        // (core group): the caller's 404, not "no metrics-server".
        const missing = await rejection(
          podMetrics(client, { namespace: ns, name: "gone" }),
          KubernetesApiError,
        );
        assert.equal(missing.httpCode, 404);
        assert.equal(missing.status.details?.name, `${ns}/gone`);
        const missingNode = await rejection(
          nodeMetrics(client, { name: "no-such-node" }),
          KubernetesApiError,
        );
        assert.equal(missingNode.httpCode, 404);
        // The APIService stays registered, its server gone: the aggregator
        // answers 503, which is MetricsUnavailable.
        await api.close();
        const err = await rejection(
          podMetrics(client, { namespace: ns }),
          MetricsError,
        );
        assert.equal(err.reason, "MetricsUnavailable");
        assert.ok(err.cause instanceof KubernetesApiError);
        assert.equal(err.cause.httpCode, 503);
      } finally {
        client.close();
      }
    } finally {
      await undo?.();
      admin.close();
      await api.close();
      await cp.deleteNamespace(ns);
    }
  },
});
