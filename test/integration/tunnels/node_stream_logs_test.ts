// streamLogs against the real apiserver and kubelet. Without a node: the
// apiserver's own 400s (a two-container pod and no container; a container
// the pod does not have) are LogErrors naming the choices, and a missing pod
// is the API's 404. With a node: a whole log as lines, including UTF-8 the
// container wrote byte by byte and a 100 000-byte line the runtime stored in
// pieces; tailLines and timestamps; `previous` after a restart and
// PreviousNotFound before one; follow delivering lines as they are written
// and an abort ending it promptly, on every transport that carries logs.

import assert from "node:assert/strict";
import {
  type KubeConfigRestClient,
  KubernetesApiError,
  streamLogs,
} from "../../../mod.ts";
import { LogError } from "../../../lib/tunnels/mod.ts";
import { controlPlane } from "../../harness.ts";
import {
  deleteNamespace,
  nodeOf,
  nodeSuite,
  nodeTransports,
  podManifest,
  runPod,
} from "../../_node_pods.ts";

const cp = await controlPlane();
const node = nodeOf(cp, "node_stream_logs_test");

async function lines(stream: ReadableStream<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const line of stream) out.push(line);
  return out;
}

Deno.test("streamLogs: the apiserver's 400s for a missing or unknown container are LogErrors, a missing pod is a 404", async () => {
  using admin = await cp.adminClient();
  const ns = await cp.createNamespace("logs-api");
  try {
    // Bound to a node that does not exist: no kubelet ever runs it.
    await admin.performRequest({
      method: "POST",
      path: `/api/v1/namespaces/${ns}/pods`,
      bodyJson: {
        metadata: { name: "two" },
        spec: {
          nodeName: "nowhere",
          automountServiceAccountToken: false,
          containers: [{ name: "a", image: "x" }, { name: "b", image: "x" }],
        },
      },
    });
    const required = await streamLogs(admin, { namespace: ns, name: "two" })
      .then(() => undefined, (e) => e);
    assert.ok(required instanceof LogError, String(required));
    assert.equal(required.reason, "ContainerRequired");
    assert.deepEqual(required.containers, ["a", "b"]);
    assert.ok(required.cause instanceof KubernetesApiError);

    const unknown = await streamLogs(admin, { namespace: ns, name: "two" }, {
      container: "c",
    }).then(() => undefined, (e) => e);
    assert.ok(unknown instanceof LogError, String(unknown));
    assert.equal(unknown.reason, "ContainerNotFound");
    assert.match(unknown.message, /container c is not valid for pod two/);

    const missing = await streamLogs(admin, { namespace: ns, name: "none" })
      .then(() => undefined, (e) => e);
    assert.ok(missing instanceof KubernetesApiError, String(missing));
    assert.ok(missing.isNotFound());
  } finally {
    await deleteNamespace(admin, ns);
  }
});

const suite = nodeSuite(cp, "node-stream-logs", async (admin, ns) => {
  await Promise.all([
    runPod(
      admin,
      ns,
      podManifest(node!, "writer", [
        {
          name: "text",
          // é, 日 and 🙂 written as raw bytes; a 100 000-byte line; CRLF; an empty line.
          script:
            "printf 'caf\\303\\251 \\346\\227\\245 \\360\\237\\231\\202\\n'; " +
            "head -c 100000 /dev/zero | tr '\\0' x; echo; " +
            "printf 'crlf\\r\\n\\nafter empty\\n'; exec sleep 3600",
        },
        {
          name: "ticker",
          script:
            'i=0; while true; do i=$((i+1)); echo "tick $i"; sleep 0.2; done',
        },
      ]),
    ),
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
});
let ns = "";
let admin: KubeConfigRestClient | undefined;
async function setUp(): Promise<void> {
  ({ ns, admin } = await suite.ready());
}

Deno.test({
  name:
    "streamLogs reads a real container's log as lines: UTF-8 written byte by byte, a 100 000-byte line, CRLF, empty lines, tail and timestamps",
  ignore: !node,
  fn: async () => {
    await setUp();
    const pod = { namespace: ns, name: "writer" };
    const all = await lines(
      await streamLogs(admin!, pod, { container: "text" }),
    );
    assert.deepEqual(all.map((l) => l.length > 50 ? l.length : l), [
      "café 日 🙂",
      100_000,
      "crlf",
      "",
      "after empty",
    ]);
    assert.equal(all[1], "x".repeat(100_000));
    assert.deepEqual(
      await lines(
        await streamLogs(admin!, pod, { container: "text", tailLines: 2 }),
      ),
      ["", "after empty"],
    );
    const stamped = await lines(
      await streamLogs(admin!, pod, {
        container: "text",
        tailLines: 1,
        timestamps: true,
      }),
    );
    assert.match(stamped[0], /^\d{4}-\d\d-\d\dT\S+Z after empty$/);
  },
});

Deno.test({
  name:
    "streamLogs reads the previous run of a restarted container, and PreviousNotFound for one that never restarted",
  ignore: !node,
  fn: async () => {
    await setUp();
    const restarter = { namespace: ns, name: "restarter" };
    assert.deepEqual(
      await lines(await streamLogs(admin!, restarter, { previous: true })),
      ["first run"],
    );
    assert.deepEqual(await lines(await streamLogs(admin!, restarter)), [
      "second run",
    ]);
    const err = await streamLogs(admin!, { namespace: ns, name: "writer" }, {
      container: "text",
      previous: true,
    }).then(() => undefined, (e) => e);
    assert.ok(err instanceof LogError, String(err));
    assert.equal(err.reason, "PreviousNotFound");
  },
});

for (
  const t of nodeTransports(cp).filter((t) =>
    t.name !== "KubeConfigRestClient with a bearer token"
  )
) {
  Deno.test({
    name:
      `${t.name}: streamLogs follows new lines as they are written, and an abort ends the stream promptly`,
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
        const started = performance.now();
        const stream = await streamLogs(
          client,
          { namespace: ns, name: "writer" },
          {
            container: "ticker",
            follow: true,
            tailLines: 1,
            abortSignal: ctl.signal,
          },
        );
        const ticks: number[] = [];
        let aborted = 0;
        for await (const line of stream) {
          const m = /^tick (\d+)$/.exec(line);
          assert.ok(m, line);
          ticks.push(Number(m[1]));
          if (ticks.length === 5) {
            aborted = performance.now();
            ctl.abort();
          }
        }
        assert.ok(aborted > 0, "the stream stayed open until the abort");
        assert.ok(performance.now() - aborted < 2000, "the abort is prompt");
        assert.ok(ticks.length >= 5);
        for (let i = 1; i < ticks.length; i++) {
          assert.equal(ticks[i], ticks[i - 1] + 1, ticks.join(","));
        }
        assert.ok(
          aborted - started >= 600,
          "lines arrived over time, not all at once",
        );
      } finally {
        await client.close?.();
      }
    },
  });
}

Deno.test({
  name: "node stream logs suite: tear down its namespace",
  ignore: !node,
  fn: () => suite.teardown(),
});
