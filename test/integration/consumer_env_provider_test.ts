// The acceptance of the consumer helpers, part four: an environment
// provider's deploy / connect / stop / start / status / metrics, each step a
// few lines, on the real apiserver and node, through the public entry points
// only (mod.ts and /objects, /tunnels). It applies a Namespace and a
// Deployment (a busybox "workspace") and waits until it is available;
// connects an interactive-style session (a shell on stdin, commands written
// one at a time and their output read back before the next, the remote exit
// code at the end); stops the environment (scale to 0, waits until every
// pod is gone); starts it again (scale to 1, waits until available); reports
// status by evaluating conditions once on what it fetched; and asks for pod
// metrics, which this cluster does not serve (a typed MetricsUnavailable).
// Skipped without a node.
//
// The connect step speaks whatever exec protocol the server offers: the
// harness's 1.20 apiserver has only v4.channel.k8s.io, on which stdin cannot
// be closed, so the session ends by the shell's own `exit`, and
// `execCommand` with input is refused at once (`StdinCloseUnsupported`)
// instead of hanging; from 1.30 (v5.channel.k8s.io) it runs.
//
// Lines per step, as deno fmt lays them out, between one step comment and
// the next (blank lines, comments, asserts and `// Check:` statements — the
// test's own verification — excluded):
//   deploy: apply and wait until available                      11
//   connect: a ready pod's shell, two commands, the exit code  21  (+15: readUntil below)
//   a one-shot command with input (v5) or its typed refusal (v4) 10
//   stop: scale to 0, wait until no pod matches                  5
//   start: scale to 1, wait until available                      4
//   status: conditions evaluated once                            9
//   metrics: a typed "unavailable"                               4
//   teardown: delete what was applied, wait until gone           4
// Connect opens the shell on a ready pod of the Deployment
// (`openExecWorkload`: no pod list of the consumer's own); most of its
// lines read a command's output back from a live shell, the consumer's own
// framing. Stop waits for the selector to match nothing (`waitForNone`,
// `kubectl wait --for=delete -l`), not for each pod it listed. The terminal
// helper issue #23 asks for (`execInTerminal`: raw mode, resize, restore)
// is for a human at a terminal; this session is driven by code, so it is
// not used here.

import assert from "node:assert/strict";
import {
  apply,
  DynamicClient,
  KubeConfigRestClient,
  parseManifests,
  waitFor,
} from "../../mod.ts";
import {
  deleteApplied,
  deploymentAvailable,
  MetricsError,
  podMetrics,
  podReady,
  podRunning,
  refOf,
  scale,
  waitForNone,
} from "../../lib/objects/mod.ts";
import {
  execCommand,
  openExecWorkload,
  TunnelError,
} from "../../lib/tunnels/mod.ts";
import { controlPlane, serverVersion } from "../harness.ts";
import { nodeOf } from "../_node_pods.ts";
import { rejection } from "../_helpers.ts";

const cp = await controlPlane();
const node = nodeOf(cp, "consumer_env_provider_test");
const ns = `envp-${crypto.randomUUID().slice(0, 6)}`;
// WebSocket exec offers v5.channel.k8s.io (stdin can be closed) from 1.30.
const v5 = (await serverVersion()).minor >= 30;

function manifest(image: string, pullPolicy: string): string {
  return `
apiVersion: v1
kind: Namespace
metadata: {name: ${ns}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: workspace}
spec:
  replicas: 1
  selector: {matchLabels: {app: workspace}}
  template:
    metadata: {labels: {app: workspace}}
    spec:
      automountServiceAccountToken: false
      enableServiceLinks: false
      terminationGracePeriodSeconds: 0
      containers:
      - name: shell
        image: ${image}
        imagePullPolicy: ${pullPolicy}
        command: [sleep, "3600"]
`;
}

/** Reads the session's stdout until `marker` has arrived; returns what came before it. */
async function readUntil(
  reader: ReadableStreamDefaultReader<string>,
  seen: { text: string },
  marker: string,
): Promise<string> {
  while (!seen.text.includes(marker)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`stdout ended before ${marker}: ${seen.text}`);
    seen.text += value;
  }
  const at = seen.text.indexOf(marker);
  const before = seen.text.slice(0, at);
  seen.text = seen.text.slice(at + marker.length);
  return before;
}

Deno.test({
  name:
    "an environment provider deploys, connects, stops, starts, reports status and metrics, each in a few lines",
  ignore: !node,
  fn: async () => {
    using client = await KubeConfigRestClient.readKubeConfig(
      cp.kubeconfigs.admin,
    );
    const dyn = DynamicClient.for(client);
    const workspace = {
      apiVersion: "apps/v1",
      kind: "Deployment",
      name: "workspace",
      namespace: ns,
    };
    const workload = { kind: "Deployment", name: "workspace" } as const;
    const allPods = { apiVersion: "v1", kind: "Pod", namespace: ns };
    const podsOf = async () =>
      (await dyn.list(allPods, {
        labelSelector: "app=workspace",
      })).items;
    let applied: Awaited<ReturnType<typeof apply>> = [];
    try {
      // Deploy: apply the manifest and wait until available.
      const objects = parseManifests(
        manifest(node!.images.busybox, node!.imagePullPolicy),
        { source: "env.yaml" },
      );
      applied = await apply(client, objects, {
        fieldManager: "envp",
        namespace: ns,
      });
      await waitFor(client, workspace, deploymentAvailable(), {
        timeoutMs: 120_000,
      });

      // Connect: a shell on stdin, commands one at a time, output read back, the exit code.
      const session = await openExecWorkload(client, workload, {
        namespace: ns,
        command: ["sh"],
        stdin: true,
        signal: AbortSignal.timeout(60_000),
      });
      try {
        const stdin = session.stdin!.getWriter();
        const stdout = session.stdout.pipeThrough(new TextDecoderStream())
          .getReader();
        const seen = { text: "" };
        const run = async (cmd: string) => {
          await stdin.write(new TextEncoder().encode(`${cmd}; echo @@done\n`));
          return await readUntil(stdout, seen, "@@done\n");
        };
        assert.equal(await run("cd /tmp && pwd"), "/tmp\n");
        assert.equal(await run("echo $((6 * 7)) > answer; cat answer"), "42\n");
        await stdin.write(new TextEncoder().encode("exit 3\n"));
        const { exitCode } = await session.status;
        assert.equal(exitCode, 3);
        await stdout.cancel(); // done reading; stop() ends the session
      } finally {
        await session.stop();
      }
      // A one-shot command with input: needs v5 to end its stdin; refused at once on v4.
      const oneShot = execCommand(client, {
        namespace: ns,
        pod: session.pod,
        command: ["cat"],
        stdin: "hi\n",
      });
      if (v5) {
        assert.equal(new TextDecoder().decode((await oneShot).stdout), "hi\n");
      } else {
        const refused = await rejection(oneShot, TunnelError);
        assert.equal(refused?.reason, "StdinCloseUnsupported");
      }

      // Stop: scale to 0 and wait until every pod is gone.
      await scale(client, workspace, 0);
      await waitForNone(client, allPods, {
        labelSelector: "app=workspace",
        timeoutMs: 60_000,
      });
      assert.deepEqual(await podsOf(), []);

      // Start: scale to 1 and wait until available.
      await scale(client, workspace, 1);
      await waitFor(client, workspace, deploymentAvailable(), {
        timeoutMs: 120_000,
      });

      // Status: conditions evaluated once on what was fetched (no waiting).
      const [started] = await podsOf();
      const status = {
        running: podRunning().test(started, refOf(started)),
        ready: podReady().test(started, refOf(started)),
        available: deploymentAvailable().test(
          await dyn.get(workspace),
          workspace,
        ),
      };
      assert.deepEqual(status, { running: true, ready: true, available: true });
      assert.notEqual(started.metadata!.name, session.pod);

      // Metrics: this cluster serves no metrics.k8s.io, a typed error says so.
      const noMetrics = await rejection(
        podMetrics(client, { namespace: ns }),
        MetricsError,
      );
      assert.equal(noMetrics?.reason, "MetricsUnavailable");
    } finally {
      // Teardown: delete what was applied, in reverse, and wait until it is gone.
      await deleteApplied(client, applied, {
        wait: true,
        timeoutMs: 120_000,
      });
    }
    const gone = await rejection(
      dyn.get({ apiVersion: "v1", kind: "Namespace", name: ns }),
      Error,
    );
    assert.ok(gone, "the namespace is gone");
  },
});
