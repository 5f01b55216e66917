// Metadata-only lists and watches against the real apiserver, and what it
// answers, by release. kube-apiserver 1.20.2 (ours; the partial forms exist
// since 1.15): a list asked for PartialObjectMetadataList answers one (each
// item `kind: PartialObjectMetadata`, `apiVersion: meta.k8s.io/v1`, the
// whole metadata, managedFields included), for ConfigMaps and for a custom
// resource alike; a watch asked for PartialObjectMetadata sends those; a
// media type it cannot serve is 406 NotAcceptable, unless plain
// `application/json` follows it in the Accept header, when it sends full
// objects — so the library names plain JSON second. A Reflector over
// `listWatch(…, { metadataOnly: true })` and DynamicClient.list/watch with
// `metadataOnly` hold and deliver metadata only. Sanitizers stay on.

import assert from "node:assert/strict";
import {
  DynamicClient,
  type KubeConfigRestClient,
  KubernetesApiError,
} from "../../../mod.ts";
import {
  dropManagedFields,
  listWatch,
  Reflector,
  type ReflectorEvent,
} from "../../../lib/watch/mod.ts";
import { controlPlane, serverVersion } from "../../harness.ts";
import { until } from "../../_helpers.ts";
import { withNamespace as sharedNamespace } from "./_apiserver_fixtures.ts";

const cp = await controlPlane();
const server = await serverVersion();

type Meta = {
  kind: string;
  apiVersion: string;
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    resourceVersion: string;
    labels?: Record<string, string>;
    managedFields?: unknown[];
  };
};

const withNamespace = (
  fn: (client: KubeConfigRestClient, ns: string) => Promise<void>,
) => sharedNamespace(cp, "meta", fn);

const configMap = (name: string, labels: Record<string, string> = {}) => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name, labels },
  data: { payload: "x".repeat(1000) },
});

Deno.test(`the apiserver (${server.gitVersion}) answers PartialObjectMetadataList, or 406 / full objects to a media type it cannot serve`, async () => {
  assert.ok(server.minor >= 15, "PartialObjectMetadata is served from 1.15");
  await withNamespace(async (client, ns) => {
    const path = `/api/v1/namespaces/${ns}/configmaps`;
    await client.performRequest({
      method: "POST",
      path,
      bodyJson: configMap("a"),
    });
    const list = await client.performRequest({
      method: "GET",
      path,
      accept:
        "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json",
      expectJson: true,
    }) as { kind: string; items: Meta[] & { data?: unknown }[] };
    assert.equal(list.kind, "PartialObjectMetadataList");
    assert.equal(list.items[0].kind, "PartialObjectMetadata");
    assert.equal(list.items[0].apiVersion, "meta.k8s.io/v1");
    assert.equal("data" in list.items[0], false);
    // The server keeps managedFields in the partial form.
    assert.ok(list.items[0].metadata.managedFields?.length);
    const unservable = "application/json;as=Unservable;g=meta.k8s.io;v=v1";
    const refused = await client.performRequest({
      method: "GET",
      path,
      accept: unservable,
      expectJson: true,
    }).catch((e) => e);
    assert.ok(refused instanceof KubernetesApiError);
    assert.equal(refused.code, 406);
    const fallback = await client.performRequest({
      method: "GET",
      path,
      accept: `${unservable},application/json`,
      expectJson: true,
    }) as { kind: string };
    assert.equal(fallback.kind, "ConfigMapList");
  });
});

Deno.test("a Reflector over a metadata-only listWatch caches and delivers metadata only, through live changes", async () => {
  await withNamespace(async (client, ns) => {
    const path = `/api/v1/namespaces/${ns}/configmaps`;
    await client.performRequest({
      method: "POST",
      path,
      bodyJson: configMap("a"),
    });
    const { lister, watcher } = listWatch<Meta>(client, path, {
      metadataOnly: true,
    });
    const r = new Reflector<Meta>(lister, watcher, {
      initialList: "list",
      transform: dropManagedFields,
    });
    const events: ReflectorEvent<Meta>[] = [];
    const observing = (async () => {
      for await (const e of r.observeAll()) events.push(e);
    })();
    const running = r.run();
    try {
      await until(() => r.isSynced(), 10_000, "the first sync");
      await client.performRequest({
        method: "POST",
        path,
        bodyJson: configMap("b"),
      });
      await client.performRequest({
        method: "PATCH",
        path: `${path}/a`,
        contentType: "application/merge-patch+json",
        bodyJson: { metadata: { labels: { tier: "web" } } },
      });
      await until(
        () => r.getCached(ns, "a")?.metadata.labels?.tier === "web",
        10_000,
        "a's new label",
      );
      await until(() => r.listCached().length === 2, 10_000, "b cached");
    } finally {
      r.stop();
      await running;
      await observing;
    }
    for (const obj of r.listCached()) {
      assert.deepEqual(Object.keys(obj).sort(), [
        "apiVersion",
        "kind",
        "metadata",
      ]);
      assert.equal(obj.kind, "PartialObjectMetadata");
      assert.equal(obj.metadata.managedFields, undefined);
    }
    const modified = events.find((e) => e.type === "MODIFIED");
    assert.ok(modified?.type === "MODIFIED");
    assert.equal(modified.previous.metadata.labels?.tier, undefined);
    assert.equal(modified.object.metadata.labels?.tier, "web");
  });
});

Deno.test("DynamicClient.list and watch with metadataOnly return PartialObjectMetadata for a custom resource", async () => {
  await withNamespace(async (client, ns) => {
    const group = `m${crypto.randomUUID().slice(0, 6)}.example.com`;
    const crd = `/apis/apiextensions.k8s.io/v1/customresourcedefinitions`;
    await client.performRequest({
      method: "POST",
      path: crd,
      bodyJson: {
        apiVersion: "apiextensions.k8s.io/v1",
        kind: "CustomResourceDefinition",
        metadata: { name: `gizmos.${group}` },
        spec: {
          group,
          scope: "Namespaced",
          names: { plural: "gizmos", singular: "gizmo", kind: "Gizmo" },
          versions: [{
            name: "v1",
            served: true,
            storage: true,
            schema: {
              openAPIV3Schema: {
                type: "object",
                "x-kubernetes-preserve-unknown-fields": true,
              },
            },
          }],
        },
      },
    });
    try {
      const dyn = new DynamicClient(client);
      const gizmo = {
        apiVersion: `${group}/v1`,
        kind: "Gizmo",
        metadata: { name: "g1", namespace: ns },
        spec: { size: 3 },
      };
      await until(
        async () => {
          try {
            await dyn.create(gizmo);
            return true;
          } catch {
            return false;
          }
        },
        20_000,
        "the CRD served",
      );
      const ref = { apiVersion: `${group}/v1`, kind: "Gizmo", namespace: ns };
      const list = await dyn.list<Meta>(ref, { metadataOnly: true });
      assert.equal(list.kind, "PartialObjectMetadataList");
      assert.deepEqual(
        list.items.map((i) => [i.kind, i.metadata.name, "spec" in i]),
        [
          ["PartialObjectMetadata", "g1", false],
        ],
      );
      const ctl = new AbortController();
      const stream = await dyn.watch<Meta>(ref, {
        metadataOnly: true,
        resourceVersion: list.metadata.resourceVersion,
        signal: ctl.signal,
      });
      await dyn.patch({ ...ref, name: "g1" }, {
        metadata: { labels: { a: "b" } },
      });
      const reader = stream.getReader();
      const { value } = await reader.read();
      ctl.abort();
      await reader.cancel().catch(() => {});
      assert.equal(value?.type, "MODIFIED");
      assert.ok(value?.type === "MODIFIED");
      assert.deepEqual(Object.keys(value.object).sort(), [
        "apiVersion",
        "kind",
        "metadata",
      ]);
      assert.equal(value.object.metadata.labels?.a, "b");
    } finally {
      await client.performRequest({
        method: "DELETE",
        path: `${crd}/gizmos.${group}`,
      });
    }
  });
});
