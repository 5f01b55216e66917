// setImage and waitForRollout on real workloads (node needed; skipped
// without one): a Deployment rolled to an image the node may not pull fails
// fast with WaitError ProgressDeadlineExceeded (the controller's verdict
// after progressDeadlineSeconds), long before the wait's deadline; setting
// the image back rolls out and the wait returns, although the controller
// keeps the replaced rollout's ProgressDeadlineExceeded (same
// lastUpdateTime) on the new generation until the new rollout moves (without
// setImage's `before`, that stale verdict failed this wait: checked); a container name the workload lacks is refused before
// anything is written; a StatefulSet's rollout is waited for by kubectl's
// rule, and one with the OnDelete strategy fails with RolloutUnsupported.

import assert from "node:assert/strict";
import type { JSONObject, KubernetesObject } from "../../../mod.ts";
import { setImage, waitForRollout } from "../../../lib/objects/scale.ts";
import { WaitError } from "../../../lib/objects/wait.ts";
import { controlPlane } from "../../harness.ts";
import { nodeOf, nodeSuite, podManifest } from "../../_node_pods.ts";
import { rejection } from "../../_helpers.ts";

const cp = await controlPlane();
const node = nodeOf(cp, "node_rollout_test");
const suite = nodeSuite(cp, "node-rollout");

function template(name: string): JSONObject {
  const pod = podManifest(node!, name, [{ script: "sleep 3600" }]);
  return { metadata: pod.metadata, spec: pod.spec };
}

function workload(
  kind: string,
  name: string,
  extra: JSONObject = {},
): KubernetesObject {
  return {
    apiVersion: "apps/v1",
    kind,
    metadata: { name },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: template(name),
      ...extra,
    },
  };
}

async function create(obj: KubernetesObject) {
  const { admin, ns } = await suite.ready();
  const resource = `${obj.kind.toLowerCase()}s`;
  await admin.performRequest({
    method: "POST",
    path: `/apis/apps/v1/namespaces/${ns}/${resource}`,
    bodyJson: obj as never,
    expectJson: true,
  });
  return {
    admin,
    ref: {
      apiVersion: "apps/v1",
      kind: obj.kind,
      name: obj.metadata!.name!,
      namespace: ns,
    },
  };
}

const imageOf = (
  obj: KubernetesObject,
) => ((obj.spec as { template: { spec: { containers: { image: string }[] } } })
  .template.spec.containers[0].image);

Deno.test({
  name:
    "setImage to an image the node cannot pull fails the rollout with ProgressDeadlineExceeded long before the deadline; setting it back rolls out",
  ignore: !node,
  fn: async () => {
    const { admin, ref } = await create(
      workload("Deployment", "web", { progressDeadlineSeconds: 5 }),
    );
    const first = await waitForRollout(admin, ref, { timeoutMs: 90_000 });
    assert.equal(imageOf(first), node!.images.busybox);

    const t = performance.now();
    const err = await rejection(
      setImage(admin, ref, { main: "kube-test.local/absent:1" }, {
        wait: { timeoutMs: 120_000 },
      }),
      WaitError,
    );
    const ms = performance.now() - t;
    assert.equal(err.reason, "ProgressDeadlineExceeded");
    assert.match(
      err.message,
      /Deployment node-rollout-\w+\/web \(apps\/v1\): ProgressDeadlineExceeded: ReplicaSet "web-\w+" has timed out progressing/,
    );
    assert.ok(ms < 90_000, `failed after ${ms} ms`);

    // The patch itself went through: the template names the new image.
    const now = await admin.performRequest({
      method: "GET",
      path: `/apis/apps/v1/namespaces/${ref.namespace}/deployments/web`,
      expectJson: true,
    }) as KubernetesObject;
    assert.equal(imageOf(now), "kube-test.local/absent:1");

    // Back to the image that works: the replaced rollout's verdict, which
    // the controller keeps until the new rollout moves, does not fail it.
    const back = await setImage(admin, ref, { "*": node!.images.busybox }, {
      wait: { timeoutMs: 90_000 },
    });
    assert.equal(imageOf(back), node!.images.busybox);
    const s = back.status as {
      updatedReplicas: number;
      availableReplicas: number;
      replicas: number;
    };
    assert.deepEqual([s.updatedReplicas, s.availableReplicas, s.replicas], [
      1,
      1,
      1,
    ]);
  },
});

Deno.test({
  name:
    "setImage naming a container the workload lacks is refused before anything is written",
  ignore: !node,
  fn: async () => {
    const { admin, ref } = await create(workload("Deployment", "named"));
    const before = await admin.performRequest({
      method: "GET",
      path: `/apis/apps/v1/namespaces/${ref.namespace}/deployments/named`,
      expectJson: true,
    }) as KubernetesObject;
    const err = await rejection(
      setImage(admin, ref, { httpd: "httpd:2" }),
      TypeError,
    );
    assert.match(err.message, /no container named "httpd" \(it has main\)/);
    const after = await admin.performRequest({
      method: "GET",
      path: `/apis/apps/v1/namespaces/${ref.namespace}/deployments/named`,
      expectJson: true,
    }) as KubernetesObject;
    assert.equal(after.metadata?.generation, before.metadata?.generation);
  },
});

Deno.test({
  name:
    "waitForRollout waits for a StatefulSet's replicas at the update revision, and refuses OnDelete with RolloutUnsupported",
  ignore: !node,
  fn: async () => {
    const { admin, ref } = await create(
      workload("StatefulSet", "db", { serviceName: "db" }),
    );
    const sts = await waitForRollout(admin, ref, { timeoutMs: 90_000 });
    const s = sts.status as {
      readyReplicas: number;
      currentRevision: string;
      updateRevision: string;
    };
    assert.equal(s.readyReplicas, 1);
    assert.equal(s.currentRevision, s.updateRevision);

    const od = await create(workload("StatefulSet", "od", {
      serviceName: "od",
      replicas: 0,
      updateStrategy: { type: "OnDelete" },
    }));
    const err = await rejection(
      waitForRollout(od.admin, od.ref, { timeoutMs: 30_000 }),
      WaitError,
    );
    assert.equal(err.reason, "RolloutUnsupported");
    assert.match(err.message, /update strategy is OnDelete/);
  },
});

Deno.test({
  name: "node rollout suite teardown",
  ignore: !node,
  fn: () => suite.teardown(),
});
