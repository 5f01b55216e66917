// The in-cluster transport against the real apiserver: a secrets directory
// written the way kubelet writes it (a TokenRequest-minted token, ca.crt,
// namespace) and KUBERNETES_SERVICE_HOST/PORT pointing at the loopback
// apiserver. The clock is injected: no minute-long sleeps.

import assert from "node:assert/strict";
import {
  InClusterRestClient,
  KubeConfig,
  KubeConfigError,
  KubeConfigRestClient,
  KubernetesApiError,
} from "../../../mod.ts";
import { controlPlane } from "../../harness.ts";
import { withTempDir } from "../../_helpers.ts";

const cp = await controlPlane();
const ns = cp.limitedNamespace;
const harnessOnly = cp.external || !cp.users.limited;

async function admin(): Promise<KubeConfigRestClient> {
  return await KubeConfigRestClient.readKubeConfig(cp.kubeconfigs.admin);
}

/** A service account that may read ConfigMaps in the limited namespace, and a fresh token for it. */
async function serviceAccountToken(
  client: KubeConfigRestClient,
  name: string,
): Promise<string> {
  const created = (path: string, body: unknown) =>
    client.performRequest({ method: "POST", path, bodyJson: body as never })
      .catch((err) => {
        if (!(err instanceof KubernetesApiError && err.isAlreadyExists())) {
          throw err;
        }
      });
  await created(`/api/v1/namespaces/${ns}/serviceaccounts`, {
    apiVersion: "v1",
    kind: "ServiceAccount",
    metadata: { name },
  });
  await created(
    `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/rolebindings`,
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: { name: `${name}-reads` },
      roleRef: {
        apiGroup: "rbac.authorization.k8s.io",
        kind: "Role",
        name: "kube-test-read-only",
      },
      subjects: [{ kind: "ServiceAccount", name, namespace: ns }],
    },
  );
  const tr = await client.performRequest({
    method: "POST",
    path: `/api/v1/namespaces/${ns}/serviceaccounts/${name}/token`,
    bodyJson: {
      apiVersion: "authentication.k8s.io/v1",
      kind: "TokenRequest",
      spec: { expirationSeconds: 3600 },
    },
    expectJson: true,
  }) as { status: { token: string } };
  return tr.status.token;
}

async function writeSecrets(dir: string, token: string): Promise<void> {
  await Deno.writeTextFile(`${dir}/token`, token);
  await Deno.writeTextFile(`${dir}/ca.crt`, cp.caPem);
  await Deno.writeTextFile(`${dir}/namespace`, ns);
}

/** Sets the in-cluster env vars for the duration of `fn`. */
async function withServiceEnv(
  host: string,
  port: string,
  fn: () => Promise<void>,
) {
  const old = ["KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_PORT"].map((k) =>
    [k, Deno.env.get(k)] as const
  );
  Deno.env.set("KUBERNETES_SERVICE_HOST", host);
  Deno.env.set("KUBERNETES_SERVICE_PORT", port);
  try {
    await fn();
  } finally {
    for (const [k, v] of old) {
      v === undefined ? Deno.env.delete(k) : Deno.env.set(k, v);
    }
  }
}

Deno.test({
  name:
    "InCluster: the service account works within its RBAC and is denied, typed, outside it",
  ignore: harnessOnly,
  fn: () =>
    withTempDir(async (dir) => {
      using adminClient = await admin();
      await writeSecrets(
        dir,
        await serviceAccountToken(adminClient, "incluster-reader"),
      );
      await withServiceEnv("127.0.0.1", new URL(cp.server).port, async () => {
        using client = await InClusterRestClient.create({ secretsPath: dir });
        assert.equal(client.defaultNamespace, ns);
        assert.equal(client.baseUrl, cp.server);
        const list = await client.performRequest({
          method: "GET",
          path: `/api/v1/namespaces/${client.defaultNamespace}/configmaps`,
          expectJson: true,
        }) as { kind: string };
        assert.equal(list.kind, "ConfigMapList");
        const err = await client.performRequest({
          method: "GET",
          path: "/api/v1/namespaces/default/configmaps",
        })
          .then(() => undefined, (e) => e);
        assert.ok(err instanceof KubernetesApiError && err.isForbidden());
        assert.match(
          err.message,
          new RegExp(`system:serviceaccount:${ns}:incluster-reader`),
        );
      });
    }),
});

Deno.test({
  name:
    "InCluster: a rotated token is picked up within the one-minute reload period",
  ignore: harnessOnly,
  fn: () =>
    withTempDir(async (dir) => {
      using adminClient = await admin();
      const first = await serviceAccountToken(adminClient, "rotating-a");
      const second = await serviceAccountToken(adminClient, "rotating-b");
      await writeSecrets(dir, first);
      let now = 5_000_000;
      const whoIsDenied = async (client: KubeConfigRestClient) => {
        const err = await client.performRequest({
          method: "GET",
          path: "/api/v1/namespaces/default/secrets",
        })
          .then(() => undefined, (e) => e);
        assert.ok(err instanceof KubernetesApiError && err.isForbidden());
        return err.message.match(/system:serviceaccount:[^:]+:(\S+)"/)?.[1];
      };
      await withServiceEnv("127.0.0.1", new URL(cp.server).port, async () => {
        using client = await InClusterRestClient.create({
          secretsPath: dir,
          credentials: { now: () => now },
        });
        assert.equal(await whoIsDenied(client), "rotating-a");
        await Deno.writeTextFile(`${dir}/token`, second); // kubelet rotates the token
        now += 30_000;
        assert.equal(
          await whoIsDenied(client),
          "rotating-a",
          "still within the window",
        );
        now += 31_000;
        assert.equal(
          await whoIsDenied(client),
          "rotating-b",
          "re-read after a minute",
        );
      });
    }),
});

Deno.test("InCluster: the server comes from the env, with IPv6 bracketed, and the service name only when unset", async () => {
  await withTempDir(async (dir) => {
    await writeSecrets(dir, "t");
    await withServiceEnv("fd00::1", "6443", async () => {
      const cfg = await KubeConfig.getInClusterConfig({ secretsPath: dir });
      assert.equal(cfg.fetchContext().cluster.server, "https://[fd00::1]:6443");
    });
    const old = Deno.env.get("KUBERNETES_SERVICE_HOST");
    Deno.env.delete("KUBERNETES_SERVICE_HOST");
    try {
      const cfg = await KubeConfig.getInClusterConfig({ secretsPath: dir });
      const ctx = cfg.fetchContext();
      assert.equal(ctx.cluster.server, "https://kubernetes.default.svc");
      assert.equal(ctx.user.tokenFile, `${dir}/token`);
      assert.equal(ctx.defaultNamespace, ns);
    } finally {
      if (old !== undefined) Deno.env.set("KUBERNETES_SERVICE_HOST", old);
    }
  });
});

Deno.test("InCluster: outside a pod the error names the directory", async () => {
  await withTempDir(async (dir) => {
    const err = await KubeConfig.getInClusterConfig({
      secretsPath: `${dir}/nothing-here`,
    }).then(
      () => undefined,
      (e) => e,
    );
    assert.ok(err instanceof KubeConfigError);
    assert.equal(err.message, `KubeConfig ${dir}/nothing-here: no such file`);
  });
});
