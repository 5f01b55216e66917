// The acceptance of the consumer helpers, part two: a deploy provider's
// flow, each step a few lines, on the real apiserver and node. It creates a
// namespace, a Pod running busybox httpd and a Service in front of it
// (named targetPort), waits until the pod is Running and Ready,
// port-forwards to the Service and GETs the page, streams the pod's log,
// then deletes what it made and waits until it is gone. Skipped without a
// node.

import assert from "node:assert/strict";
import {
  DynamicClient,
  KubeConfigRestClient,
  KubernetesApiError,
  type KubernetesObject,
  streamLogs,
  waitFor,
} from "../../mod.ts";
import { deleted, podReady } from "../../lib/objects/mod.ts";
import { portForwardService } from "../../lib/tunnels/mod.ts";
import { controlPlane } from "../harness.ts";
import { nodeOf } from "../_node_pods.ts";
import { rejection } from "../_helpers.ts";

const cp = await controlPlane();
const node = nodeOf(cp, "consumer_deploy_provider_test");

Deno.test({
  name:
    "a deploy provider creates a Pod and a Service, waits, port-forwards, reads logs and tears down, each in a few lines",
  ignore: !node,
  fn: async () => {
    using client = await KubeConfigRestClient.readKubeConfig(
      cp.kubeconfigs.admin,
    );
    const dyn = DynamicClient.for(client);
    const ns = `deploy-${crypto.randomUUID().slice(0, 6)}`;
    const pod: KubernetesObject = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "site", namespace: ns, labels: { app: "site" } },
      spec: {
        automountServiceAccountToken: false,
        terminationGracePeriodSeconds: 0,
        containers: [{
          name: "httpd",
          image: node!.images.busybox,
          imagePullPolicy: node!.imagePullPolicy,
          command: [
            "sh",
            "-c",
            "mkdir -p /www && echo hello-deploy > /www/index.html && echo serving /www && exec httpd -f -p 8080 -h /www",
          ],
          ports: [{ name: "http", containerPort: 8080 }],
        }],
      },
    };
    const service: KubernetesObject = {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "site", namespace: ns },
      spec: {
        selector: { app: "site" },
        ports: [{ port: 80, targetPort: "http" }],
      },
    };
    const nsRef = { apiVersion: "v1", kind: "Namespace", name: ns };
    try {
      // Create the namespace, the Pod and the Service.
      await dyn.create({
        apiVersion: "v1",
        kind: "Namespace",
        metadata: { name: ns },
      });
      await dyn.create(pod);
      await dyn.create(service);

      // Wait until the pod is Running and Ready (fails fast on a bad image).
      const podRef = {
        apiVersion: "v1",
        kind: "Pod",
        name: "site",
        namespace: ns,
      };
      await waitFor(client, podRef, podReady(), { timeoutMs: 60_000 });

      // Port-forward to the Service and GET the page.
      {
        await using fwd = await portForwardService(client, {
          namespace: ns,
          service: "site",
        });
        const res = await fetch(`http://127.0.0.1:${fwd.localPort}/`);
        assert.equal(await res.text(), "hello-deploy\n");
      }

      // Stream the pod's log as lines.
      const lines = await streamLogs(client, { namespace: ns, name: "site" });
      assert.deepEqual(await Array.fromAsync(lines), ["serving /www"]);
    } finally {
      // Tear down: delete, and wait until the namespace is gone.
      await dyn.delete(nsRef).catch(() => {});
      await waitFor(client, nsRef, deleted(), { timeoutMs: 120_000 });
    }
    const gone = await rejection(
      dyn.get({
        apiVersion: "v1",
        kind: "Pod",
        name: "site",
        namespace: ns,
      }),
      KubernetesApiError,
    );
    assert.ok(gone?.isNotFound?.(), String(gone));
  },
});
