// podMetrics / nodeMetrics on the real apiserver, which has no
// metrics-server (none is installed by the harness, on any version): the
// apiserver answers 404 for /apis/metrics.k8s.io/v1beta1/..., and the
// helpers turn it into a MetricsError MetricsUnavailable instead of an
// HTTP error (client-node reports a 500 "invalid json response body").

import assert from "node:assert/strict";
import { KubeConfigRestClient, KubernetesApiError } from "../../../mod.ts";
import {
  MetricsError,
  nodeMetrics,
  podMetrics,
} from "../../../lib/objects/metrics.ts";
import { controlPlane } from "../../harness.ts";
import { rejection } from "../../_helpers.ts";

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
