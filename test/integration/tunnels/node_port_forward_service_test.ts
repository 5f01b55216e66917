// Port-forward to a Service and to a Deployment on the real node: the
// Service's named targetPort leads through the pod's container ports to
// httpd, the bound loopback port is reported, and a page comes back; dead
// targets fail the call itself, on the bare apiserver too (a missing
// Service or Deployment, a selector matching nothing, no selector, an
// ExternalName, a port the Service does not have) and on the node (a named
// targetPort no container declares); with `reconnect` a deleted pod's
// replacement serves the next connection, without it connections fail and
// onError hears why; close() stops listening. Each pod's page names the pod,
// so the test sees which pod answered.

import assert from "node:assert/strict";
import {
  apply,
  DynamicClient,
  type JSONObject,
  type KubeConfigRestClient,
  KubernetesApiError,
  type KubernetesObject,
  TunnelError,
  waitFor,
} from "../../../mod.ts";
import { deploymentAvailable } from "../../../lib/objects/mod.ts";
import {
  portForwardDeployment,
  portForwardService,
} from "../../../lib/tunnels/mod.ts";
import { controlPlane } from "../../harness.ts";
import {
  deleteNamespace,
  nodeOf,
  nodeSuite,
  nodeTransports,
} from "../../_node_pods.ts";
import { until } from "../../_helpers.ts";

const cp = await controlPlane();
const node = nodeOf(cp, "node_port_forward_service_test");

function objects(ns: string): KubernetesObject[] {
  const container = {
    name: "httpd",
    image: node?.images.busybox ?? "busybox",
    imagePullPolicy: node?.imagePullPolicy ?? "IfNotPresent",
    command: [
      "sh",
      "-c",
      "mkdir -p /www && echo page from $HOSTNAME > /www/index.html && exec httpd -f -p 8080 -h /www",
    ],
    // protocol: server-side apply before 1.21 needs the list key spelled out.
    ports: [{ name: "http", containerPort: 8080, protocol: "TCP" }],
  };
  const service = (name: string, spec: JSONObject): KubernetesObject => ({
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace: ns },
    spec,
  });
  return [
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "web", namespace: ns },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: "web" } },
        template: {
          metadata: { labels: { app: "web" } },
          spec: {
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            terminationGracePeriodSeconds: 0,
            containers: [container],
          },
        },
      },
    },
    service("web", {
      selector: { app: "web" },
      ports: [
        { name: "front", port: 80, targetPort: "http", protocol: "TCP" },
        { name: "other", port: 81, targetPort: 8080, protocol: "TCP" },
      ],
    }),
    service("nobody", {
      selector: { app: "nobody" },
      ports: [{ port: 80, protocol: "TCP" }],
    }),
    service("manual", { ports: [{ port: 80, protocol: "TCP" }] }),
    service("misnamed", {
      selector: { app: "web" },
      ports: [{ port: 80, targetPort: "grpc", protocol: "TCP" }],
    }),
  ];
}

const suite = nodeSuite(cp, "node-forward-svc", async (admin, ns) => {
  await apply(admin, objects(ns), { fieldManager: "forward-test" });
  await waitFor(
    admin,
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      name: "web",
      namespace: ns,
    },
    deploymentAvailable(),
    { timeoutMs: 120_000 },
  );
});
let ns = "";
let admin: KubeConfigRestClient | undefined;
async function setUp(): Promise<void> {
  ({ ns, admin } = await suite.ready());
}

async function webPods(): Promise<string[]> {
  return (await DynamicClient.for(admin!).list(
    { apiVersion: "v1", kind: "Pod", namespace: ns },
    { labelSelector: "app=web" },
  )).items.filter((p) =>
    !p.metadata?.deletionTimestamp &&
    (p.status as { phase?: string })?.phase === "Running"
  ).map((p) => p.metadata!.name!);
}

async function page(port: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/`);
  return (await res.text()).trim();
}

for (const t of nodeTransports(cp).filter((t) => t.portForward)) {
  Deno.test({
    name:
      `${t.name}: a Service's named targetPort and a Deployment's named port lead to the pod, and a page comes back`,
    ignore: !node,
    fn: async () => {
      await setUp();
      const client = await t.open();
      try {
        const [pod] = await webPods();
        await using svc = await portForwardService(client, {
          namespace: ns,
          service: "web",
          port: 80,
        });
        assert.ok(svc.localPort > 0);
        assert.equal(svc.hostname, "127.0.0.1");
        assert.equal(svc.pod, pod);
        assert.equal(svc.remotePort, 8080);
        assert.equal(await page(svc.localPort), `page from ${pod}`);

        await using byName = await portForwardService(client, {
          namespace: ns,
          service: "web",
          port: "other",
        });
        assert.equal(await page(byName.localPort), `page from ${pod}`);

        await using dep = await portForwardDeployment(client, {
          namespace: ns,
          deployment: "web",
          port: "http",
        });
        assert.equal(dep.pod, pod);
        assert.equal(await page(dep.localPort), `page from ${pod}`);
      } finally {
        await client.close?.();
      }
    },
  });
}

Deno.test("a dead target fails the call on the real apiserver: missing Service or Deployment, no matching pod, no selector, ExternalName, unknown port", async () => {
  using client = await cp.adminClient();
  const ns = await cp.createNamespace("forward-dead");
  try {
    for (const obj of objects(ns).filter((o) => o.kind === "Service")) {
      await DynamicClient.for(client).create(obj);
    }
    await DynamicClient.for(client).create({
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "elsewhere", namespace: ns },
      spec: { type: "ExternalName", externalName: "example.com" },
    });
    const fails = (opts: { service: string; port?: number | string }) =>
      portForwardService(client, { namespace: ns, ...opts }).then(
        (f) => f.close().then(() => assert.fail("it listened")),
        (e) => e,
      );
    const missing = await fails({ service: "none" });
    assert.ok(missing instanceof KubernetesApiError, String(missing));
    assert.ok(missing.isNotFound());

    const cases: [{ service: string; port?: number }, string, RegExp][] = [
      [{ service: "nobody" }, "NoReadyPod", /matches app=nobody \(no pods\)/],
      [{ service: "web", port: 80 }, "NoReadyPod", /matches app=web/],
      [{ service: "manual" }, "NoSelector", /has no selector/],
      [{ service: "elsewhere" }, "NoSelector", /ExternalName/],
      [{ service: "web", port: 8080 }, "PortNotFound", /no port 8080/],
      [{ service: "web" }, "PortNotFound", /has 2 ports/],
    ];
    for (const [opts, reason, message] of cases) {
      const err = await fails(opts);
      assert.ok(err instanceof TunnelError, `${opts.service}: ${err}`);
      assert.equal(err.reason, reason, err.message);
      assert.match(err.message, message);
      assert.ok(err.message.startsWith(`${ns}/service/${opts.service}: `));
    }
    const noDeploy = await portForwardDeployment(client, {
      namespace: ns,
      deployment: "none",
      port: 80,
    }).then(() => undefined, (e) => e);
    assert.ok(noDeploy?.isNotFound?.(), String(noDeploy));
    await assert.rejects(
      portForwardService(client, { namespace: ns, service: "web", port: 0 }),
      RangeError,
    );
  } finally {
    await deleteNamespace(client, ns);
  }
});

Deno.test({
  name:
    "a named targetPort that no container of the pod declares fails the call with PortNotFound",
  ignore: !node,
  fn: async () => {
    await setUp();
    const err = await portForwardService(admin!, {
      namespace: ns,
      service: "misnamed",
    }).then(() => undefined, (e) => e);
    assert.ok(err instanceof TunnelError, String(err));
    assert.equal(err.reason, "PortNotFound");
    assert.match(
      err.message,
      new RegExp(
        `^${ns}/service/misnamed \\(pod web-\\S+\\): no container of the pod declares a port named "grpc"$`,
      ),
    );
  },
});

Deno.test({
  name:
    "with reconnect a replaced pod serves the next connection; without it connections fail and onError hears why",
  ignore: !node,
  fn: async () => {
    await setUp();
    const [before] = await webPods();
    const errors: Error[] = [];
    const followErrors: Error[] = [];
    await using stuck = await portForwardService(admin!, {
      namespace: ns,
      service: "web",
      port: "front",
      onError: (e) => errors.push(e),
    });
    await using follows = await portForwardService(admin!, {
      namespace: ns,
      service: "web",
      port: "front",
      reconnect: true,
      onError: (e) => followErrors.push(e),
    });
    assert.equal(await page(follows.localPort), `page from ${before}`);

    await DynamicClient.for(admin!).delete({
      apiVersion: "v1",
      kind: "Pod",
      namespace: ns,
      name: before,
    }, { gracePeriodSeconds: 0 });
    let after = "";
    await until(
      async () => {
        after = (await webPods()).find((p) => p !== before) ?? "";
        if (!after) return false;
        const pod = await DynamicClient.for(admin!).get({
          apiVersion: "v1",
          kind: "Pod",
          namespace: ns,
          name: after,
        });
        // Parsed, not matched as text: 1.36 adds observedGeneration to conditions.
        const conditions =
          (pod.status as { conditions?: { type: string; status: string }[] })
            ?.conditions ?? [];
        return conditions.some((c) =>
          c.type === "Ready" && c.status === "True"
        );
      },
      60_000,
      "a Ready replacement pod",
    );

    assert.equal(await page(follows.localPort), `page from ${after}`);
    assert.equal(follows.pod, after);
    assert.deepEqual(followErrors, []);

    const failed = await page(stuck.localPort).then(
      (text) => `served: ${text}`,
      (e) => e,
    );
    assert.ok(failed instanceof TypeError, String(failed));
    await until(() => errors.length > 0, 10_000, "an error reported");
    assert.equal(stuck.pod, before);
  },
});

Deno.test({
  name: "close() stops listening and ends open connections",
  ignore: !node,
  fn: async () => {
    await setUp();
    const fwd = await portForwardService(admin!, {
      namespace: ns,
      service: "web",
      port: 80,
    });
    const conn = await Deno.connect({
      hostname: "127.0.0.1",
      port: fwd.localPort,
    });
    await fwd.close();
    assert.equal(await conn.read(new Uint8Array(10)).catch(() => null), null);
    conn.close();
    await assert.rejects(
      Deno.connect({ hostname: "127.0.0.1", port: fwd.localPort }),
      Deno.errors.ConnectionRefused,
    );
  },
});

Deno.test({
  name: "node port-forward to a Service suite: tear down its namespace",
  ignore: !node,
  fn: () => suite.teardown(),
});
