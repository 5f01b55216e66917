// port-forward to real pods through the harness's kubelet. What the real
// kubelet taught us (our stand-in had it wrong): it refuses the
// `portforward.k8s.io` WebSocket subprotocol with a bodiless 403 and serves
// port-forward only as `v4.channel.k8s.io`, with ports in `ports=`; each
// channel opens with a 2-byte port number; a port nobody listens on is text
// on the error channel followed by the end of the WebSocket; there is no
// half-close. These tests pin HTTP and raw TCP through it, many connections,
// large payloads both ways, the typed failures, a pod deleted mid-stream, and
// the checks `portForward` makes before it listens.

import assert from "node:assert/strict";
import {
  type KubeConfigRestClient,
  KubectlRawRestClient,
  KubernetesApiError,
  portForward,
  TunnelError,
} from "../../../mod.ts";
import { controlPlane } from "../../harness.ts";
import {
  nodeOf,
  nodeSuite,
  nodeTransports,
  podManifest,
  runPod,
} from "../../_node_pods.ts";
import { until } from "../../_helpers.ts";

const cp = await controlPlane();
const node = nodeOf(cp, "node_port_forward_test");

const suite = nodeSuite(cp, "node-forward", async (admin, ns) => {
  await runPod(
    admin,
    ns,
    podManifest(node!, "web", [{
      // A 3 MB file of known content, a web server and a persistent TCP echo server.
      script: "seq 1 400000 > /www/big.txt && " +
        "nc -ll -p 7000 -e cat & exec httpd -f -p 8080 -h /www",
      ports: [8080, 7000],
    }]),
  );
});
let ns = "";
let admin: KubeConfigRestClient | undefined;
async function setUp(): Promise<void> {
  ({ ns, admin } = await suite.ready());
}

async function readN(conn: Deno.Conn, n: number): Promise<Uint8Array> {
  const out = new Uint8Array(n);
  let at = 0;
  while (at < n) {
    const got = await conn.read(out.subarray(at));
    if (got === null) break;
    at += got;
  }
  return out.subarray(0, at);
}

function expectedBigFile(): string {
  const lines: string[] = [];
  for (let i = 1; i <= 400_000; i++) lines.push(String(i));
  return lines.join("\n") + "\n";
}

for (const t of nodeTransports(cp).filter((t) => t.portForward)) {
  Deno.test({
    name:
      `${t.name}: HTTP and raw TCP through the forward, many connections, megabytes both ways`,
    ignore: !node,
    fn: async () => {
      await setUp();
      const client = await t.open();
      const errors: Error[] = [];
      try {
        await using web = await portForward(client, {
          namespace: ns,
          pod: "web",
          remotePort: 8080,
          onError: (e) => errors.push(e),
        });
        const base = `http://127.0.0.1:${web.localPort}`;
        const pages = await Promise.all(
          Array.from(
            { length: 24 },
            () => fetch(`${base}/index.html`).then((r) => r.text()),
          ),
        );
        assert.deepEqual(new Set(pages), new Set(["kube-test busybox\n"]));
        const big = await (await fetch(`${base}/big.txt`)).text();
        assert.equal(big.length, expectedBigFile().length);
        assert.equal(big, expectedBigFile(), "3 MB from the pod, intact");

        await using echo = await portForward(client, {
          namespace: ns,
          pod: "web",
          remotePort: 7000,
          onError: (e) => errors.push(e),
        });
        const payload = crypto.getRandomValues(new Uint8Array(60_000));
        const sizes = [1, 4096, 65_537, 2 * 1024 * 1024];
        await Promise.all(sizes.map(async (size) => {
          const data = new Uint8Array(size);
          for (let i = 0; i < size; i += payload.length) {
            data.set(
              payload.subarray(0, Math.min(payload.length, size - i)),
              i,
            );
          }
          const conn = await Deno.connect({
            hostname: "127.0.0.1",
            port: echo.localPort,
          });
          const writing = (async () => {
            const w = conn.writable.getWriter();
            await w.write(data);
            w.releaseLock();
          })();
          const back = await readN(conn, size);
          await writing;
          conn.close();
          assert.equal(back.length, size, `${size} bytes echoed`);
          assert.deepEqual(back, data);
        }));
        assert.deepEqual(errors, []);
      } finally {
        await client.close?.();
      }
    },
  });
}

Deno.test({
  name:
    "a port nobody listens on: the connection closes and onError gets a typed PortForwardFailed with the kubelet's reason",
  ignore: !node,
  fn: async () => {
    await setUp();
    const errors: Error[] = [];
    await using fwd = await portForward(admin!, {
      namespace: ns,
      pod: "web",
      remotePort: 9,
      onError: (e) => errors.push(e),
    });
    const conn = await Deno.connect({
      hostname: "127.0.0.1",
      port: fwd.localPort,
    });
    assert.equal(await conn.read(new Uint8Array(10)).catch(() => null), null);
    conn.close();
    await until(() => errors.length > 0, 10_000, "an error reported");
    const err = errors[0];
    assert.ok(err instanceof TunnelError, String(err));
    assert.equal(err.reason, "PortForwardFailed");
    assert.deepEqual(err.target, { namespace: ns, pod: "web", port: 9 });
    assert.match(err.message, /connection refused/);
  },
});

Deno.test({
  name:
    "portForward fails up front: a missing pod is a 404, a pending or finished pod is PodNotRunning, kubectl raw cannot carry it",
  ignore: !node,
  fn: async () => {
    await setUp();
    const missing = await portForward(admin!, {
      namespace: ns,
      pod: "no-such-pod",
      remotePort: 80,
    }).then(() => undefined, (e) => e);
    assert.ok(missing instanceof KubernetesApiError, String(missing));
    assert.ok(missing.isNotFound());

    // Pending forever: no node carries this label.
    const pending = podManifest(node!, "pending", [{ script: "sleep 3600" }]);
    (pending.spec as Record<string, unknown>).nodeSelector = {
      "kube-test/none": "true",
    };
    await admin!.performRequest({
      method: "POST",
      path: `/api/v1/namespaces/${ns}/pods`,
      bodyJson: pending,
    });
    const notRunning = await portForward(admin!, {
      namespace: ns,
      pod: "pending",
      remotePort: 80,
    }).then(() => undefined, (e) => e);
    assert.ok(notRunning instanceof TunnelError, String(notRunning));
    assert.equal(notRunning.reason, "PodNotRunning");
    assert.match(notRunning.message, /the pod is Pending, not Running/);

    const kubectl = new KubectlRawRestClient(undefined, {
      kubeconfig: cp.kubeconfigs.admin,
      kubectl: cp.binaries.kubectl,
    });
    const unsupported = await portForward(kubectl, {
      namespace: ns,
      pod: "web",
      remotePort: 8080,
    }).then(() => undefined, (e) => e);
    assert.ok(unsupported instanceof Error);
    assert.match(unsupported.message, /portforward/);
  },
});

Deno.test({
  name:
    "the pod deleted mid-stream: open connections end, new ones fail through onError",
  ignore: !node,
  fn: async () => {
    await setUp();
    await runPod(
      admin!,
      ns,
      podManifest(node!, "doomed", [{ script: "exec nc -ll -p 7000 -e cat" }]),
    );
    const errors: Error[] = [];
    await using fwd = await portForward(admin!, {
      namespace: ns,
      pod: "doomed",
      remotePort: 7000,
      onError: (e) => errors.push(e),
    });
    const conn = await Deno.connect({
      hostname: "127.0.0.1",
      port: fwd.localPort,
    });
    await conn.write(new TextEncoder().encode("ping\n"));
    assert.equal(new TextDecoder().decode(await readN(conn, 5)), "ping\n");
    await admin!.performRequest({
      method: "DELETE",
      path: `/api/v1/namespaces/${ns}/pods/doomed`,
      bodyJson: { gracePeriodSeconds: 0 },
    });
    const ended = await Promise.race([
      conn.read(new Uint8Array(10)).then(() => "ended", () => "ended"),
      new Promise((r) => setTimeout(() => r("still open"), 30_000)),
    ]);
    assert.equal(ended, "ended");
    conn.close();
    await until(
      async () => {
        try {
          await admin!.performRequest({
            method: "GET",
            path: `/api/v1/namespaces/${ns}/pods/doomed`,
            expectJson: true,
          });
          return false;
        } catch {
          return true;
        }
      },
      30_000,
      "pod gone",
    );
    const before = errors.length;
    const late = await Deno.connect({
      hostname: "127.0.0.1",
      port: fwd.localPort,
    });
    assert.equal(await late.read(new Uint8Array(10)).catch(() => null), null);
    late.close();
    await until(() => errors.length > before, 10_000, "the failure reported");
    const err = errors.at(-1)!;
    assert.ok(err instanceof KubernetesApiError, String(err));
    assert.ok(err.isNotFound());
  },
});

Deno.test({
  name: "node port-forward suite: tear down its namespace",
  ignore: !node,
  fn: () => suite.teardown(),
});
