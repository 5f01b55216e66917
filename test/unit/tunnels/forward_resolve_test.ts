// How a Service or Deployment leads to a pod and a port, without a cluster:
// selectors become label-selector queries (matchExpressions included), the
// pod chosen is Running, Ready, not being deleted and Ready the longest, a
// Service port is found by number or name (or is the only one) and must be
// TCP, a named target port is looked up in the pod's containers; every dead
// end is a TunnelError with its reason, naming the workload and what was
// found.

import assert from "node:assert/strict";
import { TunnelError } from "../../../mod.ts";
import {
  pickPod,
  type PodLike,
  podPort,
  selectorString,
  servicePort,
} from "../../../lib/tunnels/_forward_resolve.ts";

const where = { namespace: "shop", pod: "", via: "service/web" };

function pod(
  name: string,
  phase: string,
  ready: string | undefined,
  extra: { deleting?: boolean } = {},
): PodLike {
  return {
    metadata: {
      name,
      ...(extra.deleting ? { deletionTimestamp: "2024-01-01T00:00:00Z" } : {}),
    },
    spec: {
      containers: [{
        name: "c",
        ports: [{ name: "http", containerPort: 8080 }],
      }],
    },
    status: {
      phase,
      conditions: ready === undefined
        ? [{ type: "Ready", status: "False" }]
        : [{ type: "Ready", status: "True", lastTransitionTime: ready }],
    },
  };
}

Deno.test("selectors become label-selector queries, matchExpressions included", () => {
  assert.equal(
    selectorString({ app: "web", tier: "fe" }, where),
    "app=web,tier=fe",
  );
  assert.equal(
    selectorString({
      matchLabels: { app: "web" },
      matchExpressions: [
        { key: "env", operator: "In", values: ["a", "b"] },
        { key: "track", operator: "NotIn", values: ["canary"] },
        { key: "owner", operator: "Exists" },
        { key: "legacy", operator: "DoesNotExist" },
      ],
    }, where),
    "app=web,env in (a,b),track notin (canary),owner,!legacy",
  );
  assert.equal(selectorString({}, where), undefined);
  assert.equal(selectorString(undefined, where), undefined);
  assert.throws(
    () =>
      selectorString({
        matchExpressions: [{ key: "k", operator: "Near" }],
      }, where),
    (e) => e instanceof TunnelError && e.reason === "NoSelector",
  );
});

Deno.test("the pod chosen is Running, Ready and not being deleted, Ready the longest", () => {
  const pods = [
    pod("new", "Running", "2024-05-02T00:00:00Z"),
    pod("pending", "Pending", undefined),
    pod("old-deleting", "Running", "2024-01-01T00:00:00Z", { deleting: true }),
    pod("unready", "Running", undefined),
    pod("old", "Running", "2024-05-01T00:00:00Z"),
  ];
  assert.equal(pickPod(pods, "app=web", where).metadata?.name, "old");
  assert.equal(
    pickPod([pod("b", "Running", "t"), pod("a", "Running", "t")], "x", where)
      .metadata?.name,
    "a",
  );
});

Deno.test("no usable pod is NoReadyPod, naming the selector and the pods seen", () => {
  const err = (() => {
    try {
      pickPod(
        [
          pod("p", "Pending", undefined),
          pod("u", "Running", undefined),
          pod("d", "Running", "t", { deleting: true }),
        ],
        "app=web",
        where,
      );
    } catch (e) {
      return e;
    }
    return undefined;
  })();
  assert.ok(err instanceof TunnelError);
  assert.equal(err.reason, "NoReadyPod");
  assert.equal(
    err.message,
    "shop/service/web: no Running and Ready pod matches app=web (3 pods: p Pending, u Running, not Ready, d being deleted)",
  );
  assert.throws(
    () => pickPod([], "app=web", where),
    /matches app=web \(no pods\)$/,
  );
});

Deno.test("a Service port is found by number or name, or is the only one, and must be TCP", () => {
  const ports = [
    { name: "http", port: 80, targetPort: "http" },
    { name: "metrics", port: 9090, targetPort: 9090, protocol: "TCP" },
    { name: "dns", port: 53, protocol: "UDP" },
  ];
  assert.equal(servicePort(ports, 80, where).name, "http");
  assert.equal(servicePort(ports, "metrics", where).port, 9090);
  assert.equal(servicePort([{ port: 8080 }], undefined, where).port, 8080);
  const cases: [number | string | undefined, RegExp][] = [
    [
      undefined,
      /the service has 3 ports \(80\/http, 9090\/metrics, 53\/dns\): name one with `port`/,
    ],
    [
      81,
      /the service has no port 81 \(ports: 80\/http, 9090\/metrics, 53\/dns\)/,
    ],
    ["admin", /the service has no port "admin"/],
    ["dns", /service port 53 is UDP: port-forward carries TCP only/],
  ];
  for (const [want, message] of cases) {
    assert.throws(
      () => servicePort(ports, want, where),
      (e) =>
        e instanceof TunnelError && e.reason === "PortNotFound" &&
        message.test(e.message) && e.message.startsWith("shop/service/web: "),
    );
  }
});

Deno.test("a named port is looked up in the pod's containers; numbers pass as they are", () => {
  const p = pod("web-1", "Running", "t");
  assert.equal(podPort(p, "http", where), 8080);
  assert.equal(podPort(p, 9000, where), 9000);
  assert.equal(podPort(p, "9000", where), 9000);
  assert.throws(
    () => podPort(p, "grpc", { ...where, pod: "web-1" }),
    (e) =>
      e instanceof TunnelError && e.reason === "PortNotFound" &&
      e.message ===
        'shop/service/web (pod web-1): no container of the pod declares a port named "grpc"',
  );
});
