// Pod logs from the real kubelet on every transport: the whole log,
// tailLines, sinceSeconds, one container of two, the previous run of a
// restarted container, follow (new lines arrive; an abort ends the stream
// promptly), and the typed 400s the kubelet and apiserver answer for a
// two-container pod without `container` and for `previous` on a container
// that never restarted.

import assert from "node:assert/strict";
import {
  type KubeConfigRestClient,
  KubernetesApiError,
  type RestClient,
} from "../../../mod.ts";
import { controlPlane } from "../../harness.ts";
import {
  nodeOf,
  nodeSuite,
  nodeTransports,
  podManifest,
  runPod,
} from "../../_node_pods.ts";

const cp = await controlPlane();
const node = nodeOf(cp, "node_logs_test");
const dec = new TextDecoder();

const suite = nodeSuite(cp, "node-logs", async (admin, ns) => {
  await Promise.all([
    runPod(
      admin,
      ns,
      podManifest(node!, "two", [
        {
          name: "a",
          script: "for i in 1 2 3 4 5; do echo a-$i; done; exec sleep 3600",
        },
        {
          name: "b",
          script:
            'i=0; while true; do i=$((i+1)); echo "tick $i"; sleep 0.2; done',
        },
      ]),
    ),
    // Fails once, then runs: `previous` has the first run's log. (The
    // kubelet keeps one dead container per container, so a container that
    // keeps crashing may have lost its previous run's log already.)
    runPod(
      admin,
      ns,
      podManifest(node!, "restarter", [{
        script:
          "if [ -f /scratch/ran ]; then echo second run; exec sleep 3600; " +
          "else touch /scratch/ran; echo first run; exit 1; fi",
        scratch: "/scratch",
      }]),
      90_000,
      1, // its second run: the first may look Running and Ready before it exits
    ),
  ]);
  // Old enough that sinceSeconds=1 excludes container a's startup lines.
  await new Promise((r) => setTimeout(r, 2500));
});
let ns = "";
let admin: KubeConfigRestClient | undefined;
async function setUp(): Promise<void> {
  ({ ns, admin } = await suite.ready());
}

function logPath(pod: string): string {
  return `/api/v1/namespaces/${ns}/pods/${pod}/log`;
}

async function logText(
  client: RestClient,
  pod: string,
  query: Record<string, string>,
): Promise<string> {
  const body = await client.performRequest({
    method: "GET",
    path: logPath(pod),
    querystring: new URLSearchParams(query),
  });
  return dec.decode(body);
}

for (
  const t of nodeTransports(cp).filter((t) =>
    t.name !== "KubeConfigRestClient with a bearer token"
  )
) {
  Deno.test({
    name:
      `${t.name}: pod logs whole, by tailLines, sinceSeconds and container, and a typed 400 without a container`,
    ignore: !node,
    fn: async () => {
      await setUp();
      const client = await t.open();
      try {
        assert.equal(
          await logText(client, "two", { container: "a" }),
          "a-1\na-2\na-3\na-4\na-5\n",
        );
        assert.equal(
          await logText(client, "two", { container: "a", tailLines: "2" }),
          "a-4\na-5\n",
        );
        assert.equal(
          await logText(client, "two", { container: "a", sinceSeconds: "1" }),
          "",
        );
        const recent = await logText(client, "two", {
          container: "b",
          sinceSeconds: "1",
        });
        const recentLines = recent.trim().split("\n");
        assert.ok(
          recentLines.length >= 2 && recentLines.length <= 8,
          `about 1 s of ticks: ${recentLines.length}`,
        );
        assert.ok(!recentLines.includes("tick 1"));

        const err = await logText(client, "two", {}).then(
          () => undefined,
          (e) => e,
        );
        assert.ok(err instanceof KubernetesApiError, String(err));
        assert.equal(err.httpCode, 400);
        assert.match(err.message, /container name must be specified/);
        assert.match(err.message, /\[a b\]/);
      } finally {
        await client.close?.();
      }
    },
  });

  Deno.test({
    name:
      `${t.name}: follow streams new lines as they are written, and an abort ends it promptly`,
    ignore: !node,
    fn: async () => {
      await setUp();
      const client = await t.open();
      try {
        const ctl = new AbortController();
        // A deadline: a transport that never starts the stream fails the test, not the run.
        const deadline = setTimeout(
          () => ctl.abort(new Error("no 5 followed lines within 30 s")),
          30_000,
        );
        using _ = { [Symbol.dispose]: () => clearTimeout(deadline) };
        const stream = await client.performRequest({
          method: "GET",
          path: logPath("two"),
          querystring: new URLSearchParams({
            container: "b",
            follow: "true",
            tailLines: "1",
          }),
          expectStream: true,
          abortSignal: ctl.signal,
        });
        const reader = stream.getReader();
        let text = "";
        const started = performance.now();
        while ((text.match(/\n/g) ?? []).length < 5) {
          const { value, done } = await reader.read();
          assert.ok(!done, "the stream stays open while following");
          text += dec.decode(value);
        }
        const ticks = text.trim().split("\n").map((l) =>
          Number(l.split(" ")[1])
        );
        for (let i = 1; i < ticks.length; i++) {
          assert.equal(ticks[i], ticks[i - 1] + 1, text);
        }
        assert.ok(
          performance.now() - started >= 600,
          "lines arrived over time, not all at once",
        );
        const aborted = performance.now();
        ctl.abort();
        const end = await (async () => {
          try {
            for (;;) {
              const { done } = await reader.read();
              if (done) return "ended";
            }
          } catch (e) {
            return (e as Error).name;
          }
        })();
        assert.ok(["ended", "AbortError"].includes(end), end);
        assert.ok(performance.now() - aborted < 2000, "abort is prompt");
      } finally {
        await client.close?.();
      }
    },
  });
}

Deno.test({
  name:
    "previous: the log of a restarted container's last run, and a typed 400 for a container that never restarted",
  ignore: !node,
  fn: async () => {
    await setUp();
    assert.equal(
      await logText(admin!, "restarter", { previous: "true" }),
      "first run\n",
    );
    assert.equal(await logText(admin!, "restarter", {}), "second run\n");

    const err = await logText(admin!, "two", {
      container: "a",
      previous: "true",
    }).then(() => undefined, (e) => e);
    assert.ok(err instanceof KubernetesApiError, String(err));
    assert.equal(err.httpCode, 400);
    assert.match(err.message, /previous terminated container "a"/);
  },
});

Deno.test({
  name: "node logs suite: tear down its namespace",
  ignore: !node,
  fn: () => suite.teardown(),
});
