// Logs and exec by workload on the real node (skipped without one): a
// Deployment of two pods, each printing its own name. All pods' logs come
// merged with kubectl's `[pod/NAME/CONTAINER] ` prefix and end when both
// logs end; one pod's log comes unprefixed from a Ready pod; following all
// pods picks up a pod started later (the Deployment scaled to three) and
// ends on abort; exec runs in a Ready pod found through a Service, and a
// streaming exec (stdin and stdout as streams) in one of the Deployment's;
// a selector without pods is NoReadyPod naming it.

import assert from "node:assert/strict";
import type { JSONObject } from "../../../mod.ts";
import {
  execWorkload,
  openExecWorkload,
  workloadLogs,
} from "../../../lib/tunnels/workload.ts";
import { TunnelError } from "../../../lib/tunnels/tunnel_error.ts";
import { scale, waitForRollout } from "../../../lib/objects/scale.ts";
import { controlPlane } from "../../harness.ts";
import { nodeOf, nodeSuite, podManifest } from "../../_node_pods.ts";
import { rejection } from "../../_helpers.ts";

const cp = await controlPlane();
const node = nodeOf(cp, "node_workload_test");
const ref = (ns: string) => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  name: "echo",
  namespace: ns,
});
const suite = nodeSuite(cp, "node-workload", async (admin, ns) => {
  const pod = podManifest(node!, "echo", [{
    script: "echo hello-$(hostname); exec sleep 3600",
  }]);
  await admin.performRequest({
    method: "POST",
    path: `/apis/apps/v1/namespaces/${ns}/deployments`,
    bodyJson: {
      metadata: { name: "echo" },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: "echo" } },
        template: { metadata: pod.metadata, spec: pod.spec } as JSONObject,
      },
    },
    expectJson: true,
  });
  await admin.performRequest({
    method: "POST",
    path: `/api/v1/namespaces/${ns}/services`,
    bodyJson: {
      metadata: { name: "echo" },
      spec: {
        selector: { app: "echo" },
        ports: [{ port: 80, protocol: "TCP" }],
      },
    },
    expectJson: true,
  });
  await waitForRollout(admin, ref(ns), { timeoutMs: 90_000 });
});

async function podNames(): Promise<string[]> {
  const { admin, ns } = await suite.ready();
  const list = await admin.performRequest({
    method: "GET",
    path: `/api/v1/namespaces/${ns}/pods`,
    querystring: new URLSearchParams({ labelSelector: "app=echo" }),
    expectJson: true,
  }) as { items: { metadata: { name: string } }[] };
  return list.items.map((p) => p.metadata.name).sort();
}

async function collect(s: ReadableStream<string>): Promise<string[]> {
  const lines: string[] = [];
  for await (const l of s) lines.push(l);
  return lines;
}

Deno.test({
  name:
    "logs of every pod of a Deployment come merged with [pod/NAME/CONTAINER] prefixes, and end when every log ends",
  ignore: !node,
  fn: async () => {
    const { admin, ns } = await suite.ready();
    const names = await podNames();
    assert.equal(names.length, 2);
    const lines = await collect(
      await workloadLogs(admin, { kind: "Deployment", name: "echo" }, {
        namespace: ns,
        allPods: true,
        signal: AbortSignal.timeout(30_000),
      }),
    );
    assert.deepEqual(
      lines.sort(),
      names.map((n) => `[pod/${n}/main] hello-${n}`),
    );
  },
});

Deno.test({
  name:
    "logs of one pod of a workload come unprefixed from one of its Ready pods; by label selector too",
  ignore: !node,
  fn: async () => {
    const { admin, ns } = await suite.ready();
    const names = await podNames();
    const [line] = await collect(
      await workloadLogs(admin, { kind: "Deployment", name: "echo" }, {
        namespace: ns,
        signal: AbortSignal.timeout(30_000),
      }),
    );
    assert.ok(names.map((n) => `hello-${n}`).includes(line), line);
    const bySelector = await collect(
      await workloadLogs(admin, { selector: "app=echo" }, {
        namespace: ns,
        prefix: true,
        signal: AbortSignal.timeout(30_000),
      }),
    );
    assert.equal(bySelector.length, 1);
    assert.match(bySelector[0], /^\[pod\/echo-[\w-]+\/main\] hello-echo-/);
  },
});

Deno.test({
  name:
    "following every pod picks up a pod that starts later, and ends on abort",
  ignore: !node,
  fn: async () => {
    const { admin, ns } = await suite.ready();
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), 90_000);
    try {
      const lines = await workloadLogs(admin, {
        kind: "Deployment",
        name: "echo",
      }, {
        namespace: ns,
        allPods: true,
        follow: true,
        signal: abort.signal,
      });
      const seen: string[] = [];
      let scaled = false;
      for await (const line of lines) {
        seen.push(line);
        if (seen.length === 2 && !scaled) {
          scaled = true;
          await scale(admin, ref(ns), 3);
        }
        if (seen.length === 3) abort.abort();
      }
      assert.equal(seen.length, 3, seen.join("\n"));
      const names = await podNames();
      assert.equal(names.length, 3);
      assert.deepEqual(
        seen.sort(),
        names.map((n) => `[pod/${n}/main] hello-${n}`),
      );
    } finally {
      clearTimeout(timer);
      await scale(admin, ref(ns), 2);
    }
  },
});

Deno.test({
  name:
    "exec runs in a Ready pod found through a Service; a selector without pods is NoReadyPod",
  ignore: !node,
  fn: async () => {
    const { admin, ns } = await suite.ready();
    const r = await execWorkload(admin, { kind: "Service", name: "echo" }, {
      namespace: ns,
      command: ["hostname"],
      signal: AbortSignal.timeout(30_000),
    });
    assert.equal(r.exitCode, 0);
    assert.equal(new TextDecoder().decode(r.stdout).trim(), r.pod);
    assert.ok((await podNames()).includes(r.pod));
    const err = await rejection(
      execWorkload(admin, { selector: "app=nobody" }, {
        namespace: ns,
        command: ["true"],
      }),
      TunnelError,
    );
    assert.equal(err.reason, "NoReadyPod");
    assert.match(
      err.message,
      /pods app=nobody: no Running and Ready pod matches app=nobody \(no pods\)/,
    );
  },
});

Deno.test({
  name:
    "a streaming exec runs in a Ready pod of the Deployment: stdin in, stdout out, the pod named; a selector without pods is NoReadyPod",
  ignore: !node,
  fn: async () => {
    const { admin, ns } = await suite.ready();
    const session = await openExecWorkload(
      admin,
      { kind: "Deployment", name: "echo" },
      {
        namespace: ns,
        command: ["sh", "-c", 'read line; echo "got $line in $(hostname)"'],
        stdin: true,
        signal: AbortSignal.timeout(30_000),
      },
    );
    try {
      assert.ok((await podNames()).includes(session.pod));
      const out = new Response(session.stdout).text();
      await session.stdin!.getWriter().write(
        new TextEncoder().encode("hello\n"),
      );
      assert.equal((await session.status).exitCode, 0);
      assert.equal(await out, `got hello in ${session.pod}\n`);
    } finally {
      await session.stop();
    }
    const err = await rejection(
      openExecWorkload(admin, { selector: "app=nobody" }, {
        namespace: ns,
        command: ["sh"],
        stdin: true,
      }),
      TunnelError,
    );
    assert.equal(err.reason, "NoReadyPod");
  },
});

Deno.test({
  name: "node workload suite teardown",
  ignore: !node,
  fn: () => suite.teardown(),
});
