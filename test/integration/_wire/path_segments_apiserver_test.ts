// Names that are path segments, against the real apiserver, with the objects
// that used to be lost: in a fresh namespace holding ConfigMaps `a` and `b`,
// `deleteApplied` of a ConfigMap named `.` (which sent `DELETE
// …/configmaps/`, deleting every ConfigMap) and `DynamicClient.delete` of
// one named `..` (which sent `DELETE /api/v1/namespaces/NS`, deleting the
// namespace) now fail with a typed error and leave everything in place; a
// list in namespace `..` (which listed every namespace's ConfigMaps) fails.
// Then `performRequest` itself, on each transport — fetch
// (KubeConfigRestClient), `kubectl --raw` (no kubectl started), kubectl
// proxy and in-cluster (a service account allowed to delete ConfigMaps in
// the namespace) — refuses `.`/`..` segments, encoded or not, with
// `invalid-request`, and the ConfigMaps and the namespace are still there;
// paths that merely contain dots still reach the server. What each refusal
// prevents does not depend on the server's version: the URL is resolved
// before it is sent.

import assert from "node:assert/strict";
import {
  ApplyError,
  DynamicClient,
  InClusterRestClient,
  KubeConfigRestClient,
  KubectlProxyRestClient,
  KubectlRawRestClient,
  KubernetesApiError,
  type RestClient,
  TransportError,
} from "../../../mod.ts";
import { PathSegmentError } from "../../../lib/errors/mod.ts";
import { deleteApplied, scale } from "../../../lib/objects/mod.ts";
import { controlPlane } from "../../harness.ts";
import { rejection, withTempDir, writeScript } from "../../_helpers.ts";

const cp = await controlPlane();

/** A fresh namespace with ConfigMaps `a` and `b`, deleted afterwards. */
async function withTwoConfigMaps(
  fn: (ns: string, admin: KubeConfigRestClient) => Promise<void>,
): Promise<void> {
  const ns = await cp.createNamespace("segments");
  const admin = await cp.adminClient();
  try {
    for (const name of ["a", "b"]) {
      await admin.performRequest({
        method: "POST",
        path: `/api/v1/namespaces/${ns}/configmaps`,
        bodyJson: { apiVersion: "v1", kind: "ConfigMap", metadata: { name } },
      });
    }
    await fn(ns, admin);
  } finally {
    admin.close();
    await cp.deleteNamespace(ns);
  }
}

/** Asserts that the namespace and both ConfigMaps still exist (and are not being deleted). */
async function assertUntouched(
  admin: RestClient,
  ns: string,
  after: string,
): Promise<void> {
  const namespace = await admin.performRequest({
    method: "GET",
    path: `/api/v1/namespaces/${ns}`,
    expectJson: true,
  }) as { metadata: { deletionTimestamp?: string } };
  assert.equal(
    namespace.metadata.deletionTimestamp,
    undefined,
    `${after}: the namespace is being deleted`,
  );
  const list = await admin.performRequest({
    method: "GET",
    path: `/api/v1/namespaces/${ns}/configmaps`,
    expectJson: true,
  }) as { items: { metadata: { name: string } }[] };
  assert.deepEqual(
    list.items.map((i) => i.metadata.name).filter((n) =>
      n !== "kube-root-ca.crt"
    )
      .sort(),
    ["a", "b"],
    `${after}: ConfigMaps were deleted`,
  );
}

Deno.test("deleteApplied of a ConfigMap named '.' fails typed, and every ConfigMap of the namespace survives", async () => {
  await withTwoConfigMaps(async (ns, admin) => {
    const err = await rejection(
      deleteApplied(admin, [{
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: ".", namespace: ns },
      }]),
      ApplyError,
    );
    assert.ok(err.cause instanceof PathSegmentError, String(err));
    assert.equal(err.cause.field, "name");
    assert.match(
      err.message,
      /invalid resource name "\.": \[may not be '\.'\]/,
    );
    await assertUntouched(admin, ns, "deleteApplied '.'");
  });
});

Deno.test("DynamicClient.delete of a ConfigMap named '..' fails typed, and the namespace survives", async () => {
  await withTwoConfigMaps(async (ns, admin) => {
    const dyn = new DynamicClient(admin);
    for (const name of ["..", ".", "a/..", "%2e%2e"]) {
      const err = await rejection(
        dyn.delete({
          apiVersion: "v1",
          kind: "ConfigMap",
          name,
          namespace: ns,
        }),
        PathSegmentError,
      );
      assert.equal(err.value, name);
      await assertUntouched(admin, ns, `delete ${JSON.stringify(name)}`);
    }
  });
});

Deno.test("a list or watch in namespace '..' fails typed instead of reading every namespace", async () => {
  await withTwoConfigMaps(async (ns, admin) => {
    const dyn = new DynamicClient(admin);
    for (const namespace of ["..", "."]) {
      const coll = { apiVersion: "v1", kind: "ConfigMap", namespace };
      const err = await rejection(dyn.list(coll), PathSegmentError);
      assert.equal(err.field, "namespace");
      assert.match(err.message, /invalid namespace/);
      await rejection(dyn.watch(coll), PathSegmentError);
    }
    // The same list in the namespace itself works.
    const list = await dyn.list({
      apiVersion: "v1",
      kind: "ConfigMap",
      namespace: ns,
    });
    assert.ok(list.items.some((i) => i.metadata?.name === "a"));
  });
});

Deno.test("get, patch and scale by a name that is not one path segment fail typed; the objects are unchanged", async () => {
  await withTwoConfigMaps(async (ns, admin) => {
    const dyn = new DynamicClient(admin);
    for (const name of [".", "..", "a/b", "a%2fb"]) {
      const ref = { apiVersion: "v1", kind: "ConfigMap", name, namespace: ns };
      await rejection(dyn.get(ref), PathSegmentError);
      await rejection(dyn.patch(ref, { data: { x: "1" } }), PathSegmentError);
      await rejection(
        scale(dyn, { ...ref, apiVersion: "apps/v1", kind: "Deployment" }, 0),
        PathSegmentError,
      );
    }
    const a = await dyn.get({
      apiVersion: "v1",
      kind: "ConfigMap",
      name: "a",
      namespace: ns,
    });
    assert.equal(a.data, undefined, "no patch reached a ConfigMap");
    await assertUntouched(admin, ns, "get/patch/scale");
  });
});

interface Transport {
  /** A client; `started()` counts kubectl processes, for kubectl --raw. */
  open(ns: string, dir: string): Promise<{
    client: RestClient;
    close(): Promise<void>;
    started?(): Promise<number>;
  }>;
}

const transports: Record<string, Transport> = {
  fetch: {
    open: async () => {
      const client = await KubeConfigRestClient.readKubeConfig(
        cp.kubeconfigs.admin,
      );
      return { client, close: () => Promise.resolve(client.close()) };
    },
  },
  "kubectl --raw": {
    open: async (_ns, dir) => {
      const marker = `${dir}/kubectl-started`;
      const kubectl = await writeScript(
        dir,
        "kubectl",
        `echo x >> '${marker}'\nexec '${cp.binaries.kubectl}' "$@"`,
      );
      const client = new KubectlRawRestClient(undefined, {
        kubeconfig: cp.kubeconfigs.admin,
        kubectl,
      });
      return {
        client,
        close: () => Promise.resolve(),
        started: async () =>
          (await Deno.readTextFile(marker).catch(() => "")).split("\n")
            .filter(Boolean).length,
      };
    },
  },
  "kubectl proxy": {
    open: async () => {
      const client = await KubectlProxyRestClient.start({
        kubeconfig: cp.kubeconfigs.admin,
        kubectl: cp.binaries.kubectl,
      });
      return { client, close: () => client.close() };
    },
  },
  "in-cluster": {
    open: async (ns, dir) => {
      const user = await cp.addUser({
        name: "segments-editor",
        namespace: ns,
        rules: [{
          apiGroups: [""],
          resources: ["configmaps"],
          verbs: ["get", "list", "delete", "deletecollection"],
        }],
      });
      await Deno.writeTextFile(`${dir}/token`, user.token);
      await Deno.writeTextFile(`${dir}/ca.crt`, cp.caPem);
      await Deno.writeTextFile(`${dir}/namespace`, ns);
      const client = await InClusterRestClient.create({
        secretsPath: dir,
        baseUrl: cp.server,
      });
      return { client, close: () => Promise.resolve(client.close()) };
    },
  },
};

for (const [name, transport] of Object.entries(transports)) {
  Deno.test(`${name}: performRequest refuses '.' and '..' segments, encoded or not, before sending; nothing is deleted; dotted names still reach the server`, async () => {
    await withTwoConfigMaps(async (ns, admin) => {
      await withTempDir(async (dir) => {
        const t = await transport.open(ns, dir);
        try {
          const base = `/api/v1/namespaces/${ns}/configmaps`;
          // The server answers a dotted name: a 404, so the request went out.
          const missing = await rejection(
            t.client.performRequest({ method: "GET", path: `${base}/a.b` }),
            KubernetesApiError,
          );
          assert.ok(missing.isNotFound(), String(missing));
          const filtered = await t.client.performRequest({
            method: "GET",
            path: `${base}?fieldSelector=metadata.name%3D..`,
            expectJson: true,
          }) as { items: unknown[] };
          assert.deepEqual(filtered.items, [], "a query may hold '..'");
          const startedBefore = await t.started?.();
          for (
            const path of [
              `${base}/.`,
              `${base}/..`,
              `${base}/%2e`,
              `${base}/%2E%2e`,
              `${base}/.%2E`,
              `${base}/..?propagationPolicy=Background`,
              `/api/v1/namespaces/${ns}/configmaps/a/../..`,
            ]
          ) {
            const err = await rejection(
              t.client.performRequest({ method: "DELETE", path }),
              TransportError,
            );
            assert.equal(err.kind, "invalid-request", `${path}: ${err}`);
            assert.ok(!err.isRetriable());
            assert.equal(err.request?.method, "DELETE");
          }
          if (t.started) {
            assert.equal(
              await t.started(),
              startedBefore,
              "kubectl was started for a refused request",
            );
          }
          await assertUntouched(admin, ns, name);
        } finally {
          await t.close();
        }
      });
    });
  });
}
