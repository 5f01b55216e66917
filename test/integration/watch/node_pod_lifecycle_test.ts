// Pod lifecycles on the real node, observed the way a deploy tool would:
// through a watch started before the pod is created (the library's
// listWatch), so every state the pod passes through is seen in order.
// Pending → Running → Succeeded or Failed; an image that may not be pulled
// shows ErrImageNeverPull; a crashing container shows CrashLoopBackOff with
// its termination message.

import assert from "node:assert/strict";
import type { JSONObject, KubeConfigRestClient } from "../../../mod.ts";
import { controlPlane } from "../../harness.ts";
import {
  nodeOf,
  nodeSuite,
  podManifest,
  watchPodUntil,
} from "../../_node_pods.ts";

const cp = await controlPlane();
const node = nodeOf(cp, "node_pod_lifecycle_test");

const suite = nodeSuite(cp, "node-lifecycle");
let ns = "";
let admin: KubeConfigRestClient | undefined;
async function setUp(): Promise<void> {
  ({ ns, admin } = await suite.ready());
}

function create(manifest: JSONObject): () => Promise<unknown> {
  return () =>
    admin!.performRequest({
      method: "POST",
      path: `/api/v1/namespaces/${ns}/pods`,
      bodyJson: manifest,
      expectJson: true,
    });
}

for (
  const [name, pod, exitCode, phase, final] of [
    [
      "a pod that exits 0 goes Pending → Running → Succeeded",
      "succeeds",
      0,
      "Succeeded",
      "Succeeded/terminated:Completed",
    ],
    [
      "a pod that exits 3 goes Pending → Running → Failed with exit code 3",
      "fails",
      3,
      "Failed",
      "Failed/terminated:Error",
    ],
  ] as const
) {
  Deno.test({
    name,
    ignore: !node,
    fn: async () => {
      await setUp();
      const { states, pod: seen } = await watchPodUntil(
        admin!,
        ns,
        pod,
        create(
          podManifest(node!, pod, [{ script: `sleep 1; exit ${exitCode}` }], {
            restartPolicy: "Never",
          }),
        ),
        (p) => p.status?.phase === phase,
      );
      assert.equal(states[0], "Pending", states.join(" → "));
      assert.ok(states.includes("Running/running"), states.join(" → "));
      assert.equal(states.at(-1), final);
      assert.equal(
        seen.status!.containerStatuses![0].state!.terminated!.exitCode,
        exitCode,
      );
    },
  });
}

Deno.test({
  name: "an image that may not be pulled and is absent shows ErrImageNeverPull",
  ignore: !node,
  fn: async () => {
    await setUp();
    const manifest = podManifest(node!, "no-image", [{ script: "true" }], {
      image: "kube-test.local/not-imported:1",
    });
    const spec = manifest.spec as { containers: JSONObject[] };
    spec.containers[0].imagePullPolicy = "Never";
    const { states, pod } = await watchPodUntil(
      admin!,
      ns,
      "no-image",
      create(manifest),
      (p) =>
        p.status?.containerStatuses?.[0]?.state?.waiting?.reason ===
          "ErrImageNeverPull",
    );
    assert.equal(states.at(-1), "Pending/waiting:ErrImageNeverPull");
    assert.match(
      String(pod.status!.containerStatuses![0].state!.waiting!.message),
      /kube-test\.local\/not-imported:1/,
    );
  },
});

Deno.test({
  name:
    "a container that keeps crashing shows CrashLoopBackOff and its last termination message",
  ignore: !node,
  fn: async () => {
    await setUp();
    const { states, pod } = await watchPodUntil(
      admin!,
      ns,
      "crashes",
      create(
        podManifest(node!, "crashes", [{
          script: "echo 'config file missing' > /dev/termination-log; exit 2",
        }]),
      ),
      (p) =>
        p.status?.containerStatuses?.[0]?.state?.waiting?.reason ===
          "CrashLoopBackOff",
    );
    assert.equal(states.at(-1), "Running/waiting:CrashLoopBackOff");
    const last = pod.status!.containerStatuses![0].lastState!.terminated!;
    assert.equal(last.exitCode, 2);
    assert.equal(last.message, "config file missing\n");
  },
});

Deno.test({
  name: "node lifecycle suite: tear down its namespace",
  ignore: !node,
  fn: () => suite.teardown(),
});
