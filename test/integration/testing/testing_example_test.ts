// The testing guide (test/README.md, "The testing module"), as a test that
// runs: an operator's test with the public testing module — a control plane
// of its own with a CRD installed, a Reflector over the custom resources,
// and assertions on what the watch delivers. It starts its own cluster on
// purpose (about 5 s), as a user's test file would.

import assert from "node:assert/strict";
import { listWatch, Reflector } from "../../../mod.ts";
import { startCluster } from "@denokube/testing";

const crd = {
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: { name: "backups.example.com" },
  spec: {
    group: "example.com",
    scope: "Namespaced",
    names: { plural: "backups", singular: "backup", kind: "Backup" },
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
              properties: { schedule: { type: "string" } },
            },
          },
        },
      },
    }],
  },
};

Deno.test("an operator's Reflector sees custom resources come and go", async () => {
  await using cluster = await startCluster({ crds: [crd] });
  using client = await cluster.adminClient();
  const ns = await cluster.createNamespace("backups");
  const path = `/apis/example.com/v1/namespaces/${ns}/backups`;

  const { lister, watcher } = listWatch(client, path);
  const reflector = new Reflector(lister, watcher);
  const stop = new AbortController();
  const running = reflector.run(stop.signal);
  const seen: string[] = [];
  // Create the resource only once the cache is synced: created and deleted
  // before the first list, it would never be seen.
  const synced = Promise.withResolvers<void>();
  const observing = (async () => {
    for await (const evt of reflector.observeAll()) {
      if (evt.type === "SYNCED") synced.resolve();
      if (evt.type === "SYNCED" || evt.type === "BOOKMARK") continue;
      const name = (evt as { object?: { metadata?: { name?: string } } })
        .object?.metadata?.name;
      seen.push(`${evt.type} ${name}`);
      if (evt.type === "DELETED") break;
    }
  })();

  await synced.promise;
  await client.performRequest({
    method: "POST",
    path,
    bodyJson: {
      apiVersion: "example.com/v1",
      kind: "Backup",
      metadata: { name: "nightly" },
      spec: { schedule: "0 3 * * *" },
    },
  });
  await client.performRequest({ method: "DELETE", path: `${path}/nightly` });
  await observing;

  assert.deepEqual(seen, ["ADDED nightly", "DELETED nightly"]);
  assert.equal(reflector.getCached(ns, "nightly"), undefined);
  stop.abort();
  await running;
});

Deno.test("a limited user gets exactly the rules it was given", async () => {
  await using cluster = await startCluster();
  const ns = await cluster.createNamespace("rbac");
  const reader = await cluster.addUser({
    name: "reader",
    namespace: ns,
    rules: [{ apiGroups: [""], resources: ["configmaps"], verbs: ["list"] }],
  });
  using client = await reader.client();
  const list = await client.performRequest({
    method: "GET",
    path: `/api/v1/namespaces/${ns}/configmaps`,
    expectJson: true,
  }) as { items: unknown[] };
  assert.ok(Array.isArray(list.items));
  const denied = await client.performRequest({
    method: "GET",
    path: `/api/v1/namespaces/${ns}/secrets`,
    expectJson: true,
  }).then(() => undefined, (e) => e);
  assert.equal(denied?.httpCode, 403);
  assert.match(
    denied.message,
    new RegExp(`system:serviceaccount:${ns}:reader`),
  );
});
