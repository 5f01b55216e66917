// waitFor on real pods: a pod that becomes Ready is waited for; pods that
// cannot make it end the wait at once with a typed WaitError naming the
// reason, not at the deadline — an image that may not be pulled
// (ErrImageNeverPull), a container in CrashLoopBackOff (with its last
// termination message), a pod no node can take (Unschedulable, with the
// scheduler's message), and a pod that failed (with its exit code).
// Skipped without a node.

import assert from "node:assert/strict";
import {
  type JSONObject,
  type KubeConfigRestClient,
  WaitError,
  waitFor,
} from "../../../mod.ts";
import {
  podReady,
  podRunning,
  podSucceeded,
} from "../../../lib/objects/mod.ts";
import { controlPlane } from "../../harness.ts";
import { nodeOf, nodeSuite, podManifest } from "../../_node_pods.ts";
import { rejection } from "../../_helpers.ts";

const cp = await controlPlane();
const node = nodeOf(cp, "node_wait_test");
const suite = nodeSuite(cp, "node-wait");

async function start(
  manifest: JSONObject,
): Promise<
  {
    admin: KubeConfigRestClient;
    ref: { apiVersion: string; kind: string; name: string; namespace: string };
  }
> {
  const { admin, ns } = await suite.ready();
  await admin.performRequest({
    method: "POST",
    path: `/api/v1/namespaces/${ns}/pods`,
    bodyJson: manifest,
    expectJson: true,
  });
  const name = (manifest.metadata as { name: string }).name;
  return { admin, ref: { apiVersion: "v1", kind: "Pod", name, namespace: ns } };
}

async function failure(
  p: Promise<unknown>,
): Promise<{ err: WaitError; ms: number }> {
  const t = performance.now();
  const err = await rejection(p, WaitError);
  return { err, ms: performance.now() - t };
}

Deno.test({
  name: "waitFor(podReady) returns the pod once it is Running and Ready",
  ignore: !node,
  fn: async () => {
    const { admin, ref } = await start(
      podManifest(node!, "ready", [{ script: "sleep 3600" }]),
    );
    const pod = await waitFor(admin, ref, podReady(), { timeoutMs: 60_000 });
    assert.equal((pod?.status as { phase: string }).phase, "Running");
  },
});

Deno.test({
  name:
    "an image that may not be pulled fails the wait with ErrImageNeverPull, long before the deadline",
  ignore: !node,
  fn: async () => {
    const { admin, ref } = await start(
      podManifest(node!, "no-image", [{ script: "true" }], {
        image: "kube-test.local/absent:1",
      }),
    );
    const { err, ms } = await failure(
      waitFor(admin, ref, podRunning(), { timeoutMs: 120_000 }),
    );
    assert.equal(err.reason, "ErrImageNeverPull");
    assert.equal(err.container, "main");
    assert.match(
      err.message,
      /^Pod node-wait-\w+\/no-image \(v1\): ErrImageNeverPull: container main: /,
    );
    assert.ok(ms < 60_000, `${ms} ms`);
  },
});

Deno.test({
  name:
    "a crashing container fails the wait with CrashLoopBackOff and its last termination message",
  ignore: !node,
  fn: async () => {
    const manifest = podManifest(node!, "crash", [{
      script: "echo disk full >/dev/termination-log; exit 7",
    }]);
    // Never Ready, not even in the instant between start and crash, when
    // the kubelet may report a probe-less container ready.
    (manifest.spec as { containers: Record<string, unknown>[] }).containers[0]
      .readinessProbe = { exec: { command: ["false"] }, periodSeconds: 1 };
    const { admin, ref } = await start(manifest);
    const { err } = await failure(
      waitFor(admin, ref, podReady(), { timeoutMs: 120_000 }),
    );
    assert.equal(err.reason, "CrashLoopBackOff");
    assert.match(
      err.message,
      /container main keeps crashing \(\d+ restarts\); last exit code 7 \(Error\): disk full$/,
    );
  },
});

Deno.test({
  name:
    "a pod no node can take fails the wait with Unschedulable and the scheduler's message",
  ignore: !node,
  fn: async () => {
    const manifest = podManifest(node!, "nowhere", [{ script: "true" }]);
    (manifest.spec as JSONObject).nodeSelector = {
      "kube-test/no-such-label": "x",
    };
    const { admin, ref } = await start(manifest);
    const { err } = await failure(
      waitFor(admin, ref, podRunning(), { timeoutMs: 60_000 }),
    );
    assert.equal(err.reason, "Unschedulable");
    assert.match(
      err.message,
      /node\(s\) didn't match (node selector|Pod's node affinity)/,
    );
  },
});

Deno.test({
  name:
    "a pod that exits 3 fails podSucceeded with PodFailed and the exit code",
  ignore: !node,
  fn: async () => {
    const { admin, ref } = await start(
      podManifest(node!, "exit3", [{ script: "sleep 1; exit 3" }], {
        restartPolicy: "Never",
      }),
    );
    const { err } = await failure(
      waitFor(admin, ref, podSucceeded(), { timeoutMs: 60_000 }),
    );
    assert.equal(err.reason, "PodFailed");
    assert.match(err.message, /container main exited with code 3 \(Error\)$/);
  },
});

Deno.test({
  name: "node_wait_test: teardown",
  ignore: !node,
  fn: () => suite.teardown(),
});
