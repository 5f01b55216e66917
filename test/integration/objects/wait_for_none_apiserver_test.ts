// waitForNone on the real apiserver, no node (ConfigMaps stand for the pods
// of a workload scaled to zero): it returns at once when nothing matches;
// it waits while matching objects remain and returns once the last is
// deleted, not before; an object created meanwhile that matches is waited
// for too ("none", not "these gone"); objects outside the selector do not
// hold it up; at the deadline a WaitError Timeout names what is still
// there; a malformed selector's 400 ends it at once. And the path a shared
// watch needs comes from apiVersion/kind + namespace through
// DynamicClient.collectionPathOf, not from a hand-written string.

import assert from "node:assert/strict";
import {
  DynamicClient,
  KubeConfigRestClient,
  KubernetesApiError,
} from "../../../mod.ts";
import { WaitError, waitForNone } from "../../../lib/objects/mod.ts";
import { SharedWatches } from "../../../lib/watch/mod.ts";
import { controlPlane } from "../../harness.ts";
import { rejection } from "../../_helpers.ts";

const cp = await controlPlane();
const ns = `none-${crypto.randomUUID().slice(0, 6)}`;
const configMaps = { apiVersion: "v1", kind: "ConfigMap", namespace: ns };
const cm = (name: string, app: string) => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name, namespace: ns, labels: { app } },
});
const ref = (name: string) => ({ ...configMaps, name });
const settled = (p: Promise<unknown>) =>
  Promise.race([
    p.then(() => true, () => true),
    new Promise((r) => setTimeout(() => r(false), 300)),
  ]);

Deno.test("waitForNone waits until no object matches the selector, including one created meanwhile, and names what is left at its deadline", async () => {
  using client = await KubeConfigRestClient.readKubeConfig(
    cp.kubeconfigs.admin,
  );
  const dyn = DynamicClient.for(client);
  await dyn.create({
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name: ns },
  });
  try {
    // Nothing matches: at once.
    const t = performance.now();
    await waitForNone(client, configMaps, {
      labelSelector: "app=web",
      timeoutMs: 10_000,
    });
    assert.ok(performance.now() - t < 5_000);

    await dyn.create(cm("web-a", "web"));
    await dyn.create(cm("web-b", "web"));
    await dyn.create(cm("db", "db"));
    const waiting = waitForNone(client, configMaps, {
      labelSelector: "app=web",
      timeoutMs: 20_000,
    });
    await new Promise((r) => setTimeout(r, 500));
    await dyn.delete(ref("web-a"));
    assert.equal(await settled(waiting), false, "web-b is still there");
    await dyn.create(cm("web-c", "web")); // created meanwhile: waited for too
    await dyn.delete(ref("web-b"));
    assert.equal(await settled(waiting), false, "web-c is still there");
    await dyn.delete(ref("web-c"));
    await waiting; // db (app=db) does not hold it up
    assert.deepEqual(
      (await dyn.list(configMaps, { labelSelector: "app=web" })).items,
      [],
    );

    // At the deadline: a Timeout naming what is left.
    await dyn.create(cm("web-d", "web"));
    const late = await rejection(
      waitForNone(client, configMaps, {
        labelSelector: "app=web",
        timeoutMs: 1_500,
      }),
      WaitError,
    );
    assert.equal(late.reason, "Timeout");
    assert.match(
      late.message,
      new RegExp(
        `no ConfigMap matching "app=web" not reached within 1500 ms; still there: ${ns}/web-d$`,
      ),
    );

    // A selector the server cannot parse: its 400, at once.
    const t2 = performance.now();
    const bad = await rejection(
      waitForNone(client, configMaps, {
        labelSelector: "app in (",
        timeoutMs: 20_000,
      }),
      KubernetesApiError,
    );
    assert.equal(bad.httpCode, 400);
    assert.ok(performance.now() - t2 < 5_000);
  } finally {
    await dyn.delete({ apiVersion: "v1", kind: "Namespace", name: ns })
      .catch(() => {});
  }
});

Deno.test("a shared watch's path comes from apiVersion/kind and namespace through collectionPathOf", async () => {
  using client = await KubeConfigRestClient.readKubeConfig(
    cp.kubeconfigs.admin,
  );
  const dyn = DynamicClient.for(client);
  const other = `${ns}-w`;
  await dyn.create({
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name: other },
  });
  try {
    const where = { apiVersion: "v1", kind: "ConfigMap", namespace: other };
    const path = await dyn.collectionPathOf(where);
    assert.equal(path, `/api/v1/namespaces/${other}/configmaps`);
    await dyn.create({
      ...cm("seen", "web"),
      metadata: { name: "seen", namespace: other },
    });
    {
      await using watched = SharedWatches.for(client).reflector(path, {
        signal: AbortSignal.timeout(20_000),
      });
      for await (const evt of watched.observeAll()) {
        if (evt.type === "SYNCED") break;
      }
      assert.ok(
        watched.listCached().some((o) => o.metadata.name === "seen"),
      );
    }
    // A namespace that cannot be a path segment fails before any request.
    await assert.rejects(
      dyn.collectionPathOf({ ...where, namespace: ".." }),
      TypeError,
    );
  } finally {
    await dyn.delete({ apiVersion: "v1", kind: "Namespace", name: other })
      .catch(() => {});
  }
});
