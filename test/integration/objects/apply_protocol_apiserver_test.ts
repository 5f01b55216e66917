// Server-side apply of a port without `protocol`, on the real apiserver.
// Before Kubernetes 1.21 the apiserver's structured-merge schema gave the
// `protocol` key of `ports` lists no default, so such an apply is refused
// with a 500 ("associative list with keys has an element that omits key
// field \"protocol\"") that does not say what to do; from 1.21 on the key
// defaults to TCP and the apply succeeds. `apply` turns the refusal into
// an ApplyError that names the field and the fix. The expectation is read
// per version from the server: a 1.20 server refuses (and the test checks
// the message); a 1.21+ server accepts (and the test checks it applied).
// A Deployment's container port without protocol applies on both.

import assert from "node:assert/strict";
import {
  apply,
  ApplyError,
  KubeConfigRestClient,
  KubernetesApiError,
  type KubernetesObject,
} from "../../../mod.ts";
import { controlPlane, serverVersion } from "../../harness.ts";
import { rejection } from "../../_helpers.ts";

const cp = await controlPlane();
const { minor } = await serverVersion();
const refuses = minor < 21;
const ns = `ssa-proto-${crypto.randomUUID().slice(0, 6)}`;

async function withClient(
  fn: (client: KubeConfigRestClient) => Promise<void>,
): Promise<void> {
  const client = await KubeConfigRestClient.readKubeConfig(
    cp.kubeconfigs.admin,
  );
  try {
    await apply(client, [{
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: ns },
    }]);
    await fn(client);
  } finally {
    client.close();
  }
}

const service: KubernetesObject = {
  apiVersion: "v1",
  kind: "Service",
  metadata: { name: "web" },
  spec: { selector: { app: "web" }, ports: [{ port: 80, targetPort: 8080 }] },
};

const deployment: KubernetesObject = {
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "web" },
  spec: {
    selector: { matchLabels: { app: "web" } },
    template: {
      metadata: { labels: { app: "web" } },
      spec: {
        containers: [{
          name: "httpd",
          image: "busybox",
          ports: [{ containerPort: 8080, protocol: "TCP" }, {
            containerPort: 9090,
          }],
        }],
      },
    },
  },
};

Deno.test({
  name: refuses
    ? `server-side apply of a Service port without protocol on 1.${minor} fails with an ApplyError naming spec.ports[0].protocol and the fix`
    : `server-side apply of a Service port without protocol on 1.${minor} succeeds (the key defaults to TCP from 1.21)`,
  fn: async () => {
    await withClient(async (client) => {
      if (!refuses) {
        const [a] = await apply(client, [service], { namespace: ns });
        assert.equal(a.ref.name, "web");
        return;
      }
      const err = await rejection(
        apply(client, [service], { namespace: ns }),
        ApplyError,
      );
      assert.equal(err.reason, "ServerRejected");
      assert.ok(err.cause instanceof KubernetesApiError);
      assert.equal(err.cause.httpCode, 500);
      assert.match(
        err.message,
        /spec\.ports\[0\]\.protocol: set protocol: TCP; servers before 1\.21 require it for server-side apply/,
      );
      assert.match(
        err.message,
        /^apply Service ssa-proto-\w+\/web \(v1\): spec\.ports/,
      );
    });
  },
});

// Measured on 1.20.2: container ports (keys containerPort and protocol)
// already carry a default for protocol in its schema, so only Service ports
// are refused; a Deployment with a port lacking protocol applies on every
// version this test meets.
Deno.test(`server-side apply of a Deployment's container port without protocol on 1.${minor} succeeds`, async () => {
  await withClient(async (client) => {
    const [a] = await apply(client, [deployment], { namespace: ns });
    assert.equal(a.ref.kind, "Deployment");
  });
});
