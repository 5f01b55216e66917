// Custom resources against the real apiserver. Kubernetes 1.20.2 vendors
// modern-go/reflect2 1.0.1, which crashes the apiserver under Go ≥ 1.18 on
// custom-resource requests and on pretty-printed JSON (what it sends a
// client whose User-Agent is curl); lib/testing/install_binaries.sh builds it with
// Debian's fixed 1.0.2. These tests would take the apiserver down without
// that fix: a CRD created and Established, create / get / list / update /
// delete and a watch on a custom resource, and a pretty-printed answer.

import assert from "node:assert/strict";
import { KubeConfigRestClient, KubernetesApiError } from "../../../mod.ts";
import {
  adminHeaders,
  adminHttpClient,
} from "../../../lib/testing/descriptor.ts";
import { controlPlane } from "../../harness.ts";
import { until } from "../../_helpers.ts";

const cp = await controlPlane();
const group = "kubetest.example.com";
const plural = `widgets${crypto.randomUUID().slice(0, 4)}`;
const crdName = `${plural}.${group}`;

Deno.test("a CRD becomes Established and its custom resources support CRUD and watch", async () => {
  using client = await KubeConfigRestClient.readKubeConfig(
    cp.kubeconfigs.admin,
  );
  await client.performRequest({
    method: "POST",
    path: "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
    bodyJson: {
      apiVersion: "apiextensions.k8s.io/v1",
      kind: "CustomResourceDefinition",
      metadata: { name: crdName },
      spec: {
        group,
        scope: "Namespaced",
        names: { plural, singular: plural.slice(0, -1), kind: "Widget" },
        versions: [{
          name: "v1",
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: {
              type: "object",
              properties: {
                spec: {
                  type: "object",
                  properties: { size: { type: "integer" } },
                },
              },
            },
          },
        }],
      },
    },
  });
  try {
    await until(
      async () => {
        const crd = await client.performRequest({
          method: "GET",
          path:
            `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crdName}`,
          expectJson: true,
        }) as { status?: { conditions?: { type: string; status: string }[] } };
        return (crd.status?.conditions ?? []).some((c) =>
          c.type === "Established" && c.status === "True"
        );
      },
      30_000,
      "CRD Established",
    );

    const base = `/apis/${group}/v1/namespaces/default/${plural}`;
    // The first requests after Established may still see 404 while discovery settles.
    const list = async () =>
      await client.performRequest({
        method: "GET",
        path: base,
        expectJson: true,
      }) as { metadata: { resourceVersion: string }; items: unknown[] };
    await until(() => list().then(() => true, () => false), 10_000, "served");
    const listed = await list();
    assert.deepEqual(listed.items, []);

    const ctl = new AbortController();
    const events = await client.performRequest({
      method: "GET",
      path: base,
      querystring: new URLSearchParams({
        watch: "true",
        resourceVersion: listed.metadata.resourceVersion,
      }),
      expectStream: true,
      expectJson: true,
      abortSignal: ctl.signal,
    });
    const seen: string[] = [];
    const watching = (async () => {
      try {
        for await (const ev of events) {
          const e = ev as {
            type: string;
            object: { spec?: { size?: number } };
          };
          seen.push(`${e.type}:${e.object.spec?.size}`);
          if (e.type === "DELETED") break;
        }
      } catch (err) {
        if (!ctl.signal.aborted) throw err;
      }
    })();

    const created = await client.performRequest({
      method: "POST",
      path: base,
      bodyJson: {
        apiVersion: `${group}/v1`,
        kind: "Widget",
        metadata: { name: "w1" },
        spec: { size: 1 },
      },
      expectJson: true,
    }) as { metadata: { resourceVersion: string } };
    const got = await client.performRequest({
      method: "GET",
      path: `${base}/w1`,
      expectJson: true,
    }) as { spec: { size: number }; metadata: { resourceVersion: string } };
    assert.equal(got.spec.size, 1);
    await client.performRequest({
      method: "PUT",
      path: `${base}/w1`,
      bodyJson: {
        apiVersion: `${group}/v1`,
        kind: "Widget",
        metadata: {
          name: "w1",
          resourceVersion: created.metadata.resourceVersion,
        },
        spec: { size: 2 },
      },
      expectJson: true,
    });
    const stale = await client.performRequest({
      method: "PUT",
      path: `${base}/w1`,
      bodyJson: {
        apiVersion: `${group}/v1`,
        kind: "Widget",
        metadata: {
          name: "w1",
          resourceVersion: created.metadata.resourceVersion,
        },
        spec: { size: 3 },
      },
      expectJson: true,
    }).then(() => undefined, (e) => e);
    assert.ok(stale instanceof KubernetesApiError && stale.isConflict());
    await client.performRequest({
      method: "DELETE",
      path: `${base}/w1`,
      expectJson: true,
    });
    await watching;
    ctl.abort();
    assert.deepEqual(seen, ["ADDED:1", "MODIFIED:2", "DELETED:2"]);
  } finally {
    await client.performRequest({
      method: "DELETE",
      path:
        `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crdName}`,
      expectJson: true,
    }).catch(() => {});
  }
});

Deno.test({
  name:
    "pretty-printed JSON (what the apiserver sends curl) is served, and the apiserver stays up",
  ignore: cp.external,
  fn: async () => {
    const client = adminHttpClient(cp);
    try {
      const r = await fetch(`${cp.server}/api/v1/namespaces/default`, {
        client,
        headers: { ...adminHeaders(cp), "user-agent": "curl/7.88.1" },
      });
      const text = await r.text();
      assert.equal(r.status, 200);
      assert.match(text, /^\{\n {2}"kind": "Namespace",/);
      const again = await fetch(`${cp.server}/readyz`, { client });
      assert.equal(again.status, 200);
      await again.body?.cancel();
    } finally {
      client.close();
    }
  },
});
