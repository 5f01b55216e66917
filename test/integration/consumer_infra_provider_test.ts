// The acceptance of the consumer helpers: an infrastructure provider's whole
// flow, each step a few lines, on the real apiserver and node. It applies a
// multi-document manifest (a Namespace, a CRD and a custom resource of it,
// a Deployment running busybox httpd, a Service), waits until the
// Deployment is available, scales it to 0 and back to 1 (waiting each
// time), restarts it and sees a new pod, execs into that pod to fetch the
// page httpd serves, reads the pod's log as lines, then deletes everything it applied and waits until it
// is gone. Skipped without a node.

import assert from "node:assert/strict";
import {
  apply,
  DynamicClient,
  execCommand,
  KubeConfigRestClient,
  KubernetesApiError,
  parseManifests,
  streamLogs,
  waitFor,
} from "../../mod.ts";
import {
  deleteApplied,
  deploymentAvailable,
  deploymentRolledOut,
  restart,
  scale,
} from "../../lib/objects/mod.ts";
import { controlPlane } from "../harness.ts";
import { nodeOf } from "../_node_pods.ts";
import { rejection } from "../_helpers.ts";

const cp = await controlPlane();
const node = nodeOf(cp, "consumer_infra_provider_test");
const id = crypto.randomUUID().slice(0, 6);
const ns = `infra-${id}`;
const group = `infra${id}.example.com`;

function manifest(image: string, pullPolicy: string): string {
  return `
apiVersion: v1
kind: Namespace
metadata: {name: ${ns}}
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: sites.${group}}
spec:
  group: ${group}
  scope: Namespaced
  names: {plural: sites, singular: site, kind: Site}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        x-kubernetes-preserve-unknown-fields: true
---
apiVersion: ${group}/v1
kind: Site
metadata: {name: main}
spec: {domain: example.test}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      automountServiceAccountToken: false
      enableServiceLinks: false
      terminationGracePeriodSeconds: 0
      containers:
      - name: httpd
        image: ${image}
        imagePullPolicy: ${pullPolicy}
        command: [sh, -c, "mkdir -p /www && echo hello-infra > /www/index.html && echo serving /www && exec httpd -f -p 8080 -h /www"]
        ports: [{containerPort: 8080, name: http, protocol: TCP}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  # protocol: before 1.21 server-side apply needs this list key spelled out (structured-merge-diff#130, kubernetes/kubernetes#98576)
  ports: [{port: 80, targetPort: http, protocol: TCP}]
`;
}

Deno.test({
  name:
    "an infrastructure provider applies, waits, scales, restarts, execs, reads logs and tears down, each in a few lines",
  ignore: !node,
  fn: async () => {
    using client = await KubeConfigRestClient.readKubeConfig(
      cp.kubeconfigs.admin,
    );
    const web = {
      apiVersion: "apps/v1",
      kind: "Deployment",
      name: "web",
      namespace: ns,
    };
    const runningPods = async () =>
      (await DynamicClient.for(client).list(
        { apiVersion: "v1", kind: "Pod", namespace: ns },
        { labelSelector: "app=web" },
      )).items.filter((p) => !p.metadata?.deletionTimestamp).map((p) =>
        p.metadata!.name!
      );
    let applied: Awaited<ReturnType<typeof apply>> = [];
    try {
      // Apply a multi-document manifest: Namespace and CRD first, the custom resource once served.
      const objects = parseManifests(
        manifest(node!.images.busybox, node!.imagePullPolicy),
        { source: "infra.yaml" },
      );
      applied = await apply(client, objects, {
        fieldManager: "infra-provider",
        namespace: ns,
      }).catch((err) => {
        applied = err.applied ?? []; // undone in finally
        throw err;
      });
      assert.deepEqual(applied.map((a) => a.ref.kind), [
        "Namespace",
        "CustomResourceDefinition",
        "Service",
        "Deployment",
        "Site",
      ]);

      // Wait until available.
      await waitFor(client, web, deploymentAvailable(), { timeoutMs: 120_000 });
      assert.equal((await runningPods()).length, 1);

      // Scale to 0 and back to 1, waiting each time.
      await scale(client, web, 0);
      await waitFor(client, web, deploymentRolledOut(), { timeoutMs: 60_000 });
      assert.equal((await runningPods()).length, 0);
      await scale(client, web, 1);
      await waitFor(client, web, deploymentAvailable(), { timeoutMs: 120_000 });
      const [before] = await runningPods();

      // Restart: a new pod replaces the old one.
      await restart(client, web);
      await waitFor(client, web, deploymentRolledOut(), { timeoutMs: 120_000 });
      const after = await runningPods();
      assert.equal(after.length, 1);
      assert.notEqual(after[0], before, "the restart made a new pod");

      // Exec into the new pod: httpd serves its page.
      const { stdout, exitCode } = await execCommand(client, {
        namespace: ns,
        pod: after[0],
        command: ["wget", "-qO-", "http://127.0.0.1:8080/"],
      });
      assert.equal(exitCode, 0);
      assert.equal(new TextDecoder().decode(stdout), "hello-infra\n");

      // Its log, as lines.
      const lines = await streamLogs(client, { namespace: ns, name: after[0] });
      assert.deepEqual(await Array.fromAsync(lines), ["serving /www"]);
    } finally {
      // Delete everything applied, in reverse order, and wait until it is gone.
      const gone = await deleteApplied(client, applied, {
        wait: true,
        timeoutMs: 120_000,
      });
      assert.ok(gone.every((d) => d.existed));
    }
    const ns404 = await rejection(
      DynamicClient.for(client).get({
        apiVersion: "v1",
        kind: "Namespace",
        name: ns,
      }),
      KubernetesApiError,
    );
    assert.ok(ns404?.isNotFound?.(), String(ns404));
  },
});
