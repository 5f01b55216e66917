// The compact Reflector (`compact: true`, issue #22) on the real apiserver
// (any release; ours is 1.20.2): over ConfigMaps and over metadata-only
// Pods it stays exact through creates, updates and deletes — every event
// an observer gets and every cached object equal to what a default
// Reflector on the same client gives, and the cache equal to a fresh list
// from the server — reading the answers as bytes (no request of its asks
// for parsed JSON); and a compact shared watch with two consumers costs one
// list and one watch, both consumers see the changes, and reads are fresh
// objects. Sanitizers stay on: nothing is left running.

import assert from "node:assert/strict";
import type { KubeConfigRestClient } from "../../../mod.ts";
import type { JSONValue, RestClient } from "../../../lib/contract.ts";
import {
  dropManagedFields,
  listWatch,
  Reflector,
  type ReflectorEvent,
  type ReflectorOptions,
  SharedWatches,
} from "../../../lib/watch/mod.ts";
import { controlPlane } from "../../harness.ts";
import { until } from "../../_helpers.ts";
import {
  CountingClient,
  withNamespace as sharedNamespace,
} from "./_apiserver_fixtures.ts";

const cp = await controlPlane();

type Obj = {
  kind?: string;
  apiVersion?: string;
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    resourceVersion: string;
    labels?: Record<string, string>;
    managedFields?: unknown[];
  };
  data?: Record<string, string>;
};

const withNamespace = (
  fn: (client: KubeConfigRestClient, ns: string) => Promise<void>,
) => sharedNamespace(cp, "compact", fn);

/** A Reflector, its observed events (plain), and a stop that waits for it. */
function start(
  client: RestClient,
  path: string,
  options: ReflectorOptions<Obj> & { metadataOnly?: boolean },
) {
  const { metadataOnly, ...rest } = options;
  const { lister, watcher } = listWatch<Obj>(client, path, { metadataOnly });
  const reflector = new Reflector<Obj>(lister, watcher, rest);
  const events: unknown[] = [];
  const observing = (async () => {
    for await (const e of reflector.observeAll()) {
      const evt = e as ReflectorEvent<Obj>;
      events.push(
        evt.type === "MODIFIED"
          ? { type: evt.type, object: evt.object, previous: evt.previous }
          : { type: evt.type, object: evt.object },
      );
    }
  })();
  const running = reflector.run();
  return {
    reflector,
    events,
    cached: () =>
      reflector.listCached().sort((a, b) =>
        a.metadata.name < b.metadata.name ? -1 : 1
      ),
    stop: async () => {
      reflector.stop();
      await running;
      await observing;
    },
  };
}

/** Default and compact Reflectors side by side, for each options given. */
async function sideBySide(
  client: KubeConfigRestClient,
  path: string,
  variants: (ReflectorOptions<Obj> & { metadataOnly?: boolean })[],
  changes: () => Promise<void>,
  settled: (cached: Obj[]) => boolean,
): Promise<{ compactCached: Obj[][]; counting: CountingClient }> {
  const counting = new CountingClient(client);
  const pairs = variants.map((options) => [
    start(client, path, options),
    start(counting, path, { ...options, compact: true }),
  ]);
  const all = pairs.flat();
  try {
    await until(
      () => all.every((r) => r.reflector.isSynced()),
      15_000,
      "every Reflector synced",
    );
    await changes();
    await until(
      () => all.every((r) => settled(r.cached())),
      15_000,
      "every Reflector saw the changes",
    );
  } finally {
    await Promise.all(all.map((r) => r.stop()));
  }
  for (const [plain, compact] of pairs) {
    assert.deepStrictEqual(compact.events, plain.events);
    assert.deepStrictEqual(compact.cached(), plain.cached());
  }
  assert.ok(counting.requests.length >= 2 * variants.length);
  assert.ok(
    counting.requests.every((q) => !q.expectJson),
    "the compact Reflectors read bytes",
  );
  return { compactCached: pairs.map(([, c]) => c.cached()), counting };
}

const cm = (name: string, data: Record<string, string>, labels = {}) => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name, labels },
  data,
});

Deno.test("a compact Reflector over ConfigMaps stays exact through creates, updates and deletes: the default Reflector's events and cache, and the server's list", async () => {
  await withNamespace(async (client, ns) => {
    const path = `/api/v1/namespaces/${ns}/configmaps`;
    const post = (body: JSONValue) =>
      client.performRequest({ method: "POST", path, bodyJson: body });
    await post(cm("a", { v: "1" }, { app: "web" }));
    await post(cm("b", { v: "1" }));
    const { compactCached } = await sideBySide(
      client,
      path,
      [{}, { transform: dropManagedFields }, {
        predicate: (o) => o.metadata.labels?.app === "web",
      }],
      async () => {
        await post(cm("c", { v: "1" }, { app: "web" }));
        await client.performRequest({
          method: "PATCH",
          path: `${path}/a`,
          contentType: "application/merge-patch+json",
          bodyJson: {
            metadata: { labels: { tier: "front" } },
            data: { v: "2" },
          },
        });
        await client.performRequest({
          method: "PATCH",
          path: `${path}/b`,
          contentType: "application/merge-patch+json",
          bodyJson: { metadata: { labels: { app: "web" } } },
        });
        await client.performRequest({ method: "DELETE", path: `${path}/c` });
        // Escapes, line separators, non-ASCII and quotes in the bytes.
        await post(cm("d", {
          text: 'a "quoted"\n\u2028line\\ü名前😀',
        }, { app: "web" }));
      },
      (cached) =>
        cached.some((o) => o.metadata.name === "d") &&
        !cached.some((o) => o.metadata.name === "c") &&
        cached.some((o) => o.metadata.labels?.tier === "front"),
    );
    // Exact against the server: every object at its current version.
    const listed = await client.performRequest({
      method: "GET",
      path,
      expectJson: true,
    }) as { items: Obj[] };
    const current = listed.items.map((
      o,
    ) => [o.metadata.name, o.metadata.resourceVersion, o.data]).sort();
    assert.deepEqual(
      compactCached[0].map((
        o,
      ) => [o.metadata.name, o.metadata.resourceVersion, o.data]),
      current,
    );
    assert.deepEqual(compactCached[0].map((o) => o.metadata.name), [
      "a",
      "b",
      "d",
    ]);
    assert.equal(
      compactCached[0][2].data?.text,
      'a "quoted"\n\u2028line\\ü名前😀',
    );
    assert.ok(compactCached[0][0].metadata.managedFields, "kept by default");
    assert.ok(
      compactCached[1].every((o) => o.metadata.managedFields === undefined),
      "dropped on the bytes",
    );
  });
});

Deno.test("a compact Reflector over metadata-only Pods stays exact through creates, label changes and deletes, as the default one", async () => {
  await withNamespace(async (client, ns) => {
    // The namespace's default ServiceAccount is made by hand (no controller
    // manager without a node), Pods mount no token, and they name a
    // scheduler that does not exist: with a node, the scheduler and the
    // kubelet would otherwise write their status at times of their own, and
    // the two Reflectors, listing a moment apart, would start from different
    // versions.
    await client.performRequest({
      method: "POST",
      path: `/api/v1/namespaces/${ns}/serviceaccounts`,
      bodyJson: {
        apiVersion: "v1",
        kind: "ServiceAccount",
        metadata: { name: "default" },
      },
    }).catch((err) => {
      if (err?.code !== 409) throw err;
    });
    const path = `/api/v1/namespaces/${ns}/pods`;
    const pod = (name: string, labels: Record<string, string>) => ({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name, labels },
      spec: {
        automountServiceAccountToken: false,
        schedulerName: "no-such-scheduler",
        containers: [{ name: "c", image: "registry.example.com/x:1" }],
      },
    });
    const post = (name: string, labels: Record<string, string> = {}) =>
      client.performRequest({
        method: "POST",
        path,
        bodyJson: pod(name, labels),
      });
    await post("p1", { app: "web" });
    await post("p2");
    const { compactCached } = await sideBySide(
      client,
      path,
      [{ metadataOnly: true }, {
        metadataOnly: true,
        transform: dropManagedFields,
      }],
      async () => {
        await post("p3", { app: "db" });
        await client.performRequest({
          method: "PATCH",
          path: `${path}/p1`,
          contentType: "application/merge-patch+json",
          bodyJson: { metadata: { labels: { app: "web2" } } },
        });
        await client.performRequest({
          method: "DELETE",
          path: `${path}/p2`,
          querystring: new URLSearchParams({ gracePeriodSeconds: "0" }),
        });
      },
      (cached) =>
        cached.length === 2 &&
        cached.some((o) => o.metadata.labels?.app === "web2") &&
        cached.some((o) => o.metadata.name === "p3"),
    );
    for (const obj of compactCached.flat()) {
      assert.deepEqual(Object.keys(obj), ["kind", "apiVersion", "metadata"]);
      assert.equal(obj.kind, "PartialObjectMetadata");
    }
    assert.deepEqual(compactCached[0].map((o) => o.metadata.name), [
      "p1",
      "p3",
    ]);
    assert.ok(compactCached[0][0].metadata.managedFields);
    assert.equal(compactCached[1][0].metadata.managedFields, undefined);
  });
});

Deno.test("a compact shared watch with two consumers: one list and one watch, both see the changes, reads are fresh objects, the last release stops it", async () => {
  await withNamespace(async (client, ns) => {
    const counting = new CountingClient(client);
    const path = `/api/v1/namespaces/${ns}/configmaps`;
    const post = (body: JSONValue) =>
      client.performRequest({ method: "POST", path, bodyJson: body });
    await post(cm("a", { v: "1" }, { app: "web" }));
    const shared = SharedWatches.for(counting);
    const options = { compact: true, initialList: "list" as const };
    const one = shared.reflector<Obj>(path, options);
    const two = shared.reflector<Obj>(path, options);
    assert.equal(shared.size, 1);
    const seen = [one, two].map((h) => {
      const names: string[] = [];
      const done = (async () => {
        for await (const e of h.observeAll()) {
          names.push(
            e.type === "ADDED" || e.type === "MODIFIED" || e.type === "DELETED"
              ? `${e.type} ${e.object.metadata.name}`
              : e.type,
          );
        }
      })();
      return { names, done };
    });
    await until(() => one.isSynced(), 15_000, "synced");
    await post(cm("b", { v: "1" }, { app: "web" }));
    await client.performRequest({ method: "DELETE", path: `${path}/a` });
    await until(
      () => seen.every((s) => s.names.includes("DELETED a")),
      15_000,
      "both consumers told",
    );
    for (const s of seen) {
      assert.deepEqual(s.names, ["ADDED a", "SYNCED", "ADDED b", "DELETED a"]);
    }
    const b = one.getCached(ns, "b")!;
    assert.equal(b.data?.v, "1");
    b.data!.v = "mutated";
    assert.equal(two.getCached(ns, "b")?.data?.v, "1");
    assert.deepEqual(
      one.store.byLabel("app", "web").map((o) => o.metadata.name),
      ["b"],
    );
    await one.release();
    await two.release();
    await Promise.all(seen.map((s) => s.done));
    assert.equal(shared.size, 0);
    const mine = counting.requests.filter((q) => q.path === path);
    assert.equal(
      mine.filter((q) => q.querystring?.get("watch") === "true").length,
      1,
    );
    assert.equal(
      mine.filter((q) => q.querystring?.get("watch") !== "true").length,
      1,
    );
    assert.ok(mine.every((q) => !q.expectJson), "bytes only");
  });
});
