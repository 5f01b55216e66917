// Shared watches against the real apiserver (any release; ours is
// 1.20.2): ten consumers of one collection on one client cost one list and
// one watch request (counted by a RestClient wrapper around the real
// transport), every consumer sees the same live changes, a late consumer
// gets the current snapshot (ADDED…, SYNCED) then live events, a different
// selector or metadataOnly is a watch of its own, and the last release
// stops the watch: no request afterwards, and Deno's sanitizers (on) find
// no timer, stream or connection left.

import assert from "node:assert/strict";
import type { KubeConfigRestClient } from "../../../mod.ts";
import type { RestClient } from "../../../lib/contract.ts";
import { type ReflectorEvent, SharedWatches } from "../../../lib/watch/mod.ts";
import { controlPlane } from "../../harness.ts";
import { until } from "../../_helpers.ts";
import {
  CountingClient,
  withNamespace as sharedNamespace,
} from "./_apiserver_fixtures.ts";

const cp = await controlPlane();

type CM = {
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    resourceVersion: string;
  };
  data?: Record<string, string>;
};

const withNamespace = (
  fn: (
    client: CountingClient,
    raw: KubeConfigRestClient,
    ns: string,
  ) => Promise<void>,
) =>
  sharedNamespace(
    cp,
    "shared",
    (raw, ns) => fn(new CountingClient(raw), raw, ns),
  );

const create = (c: RestClient, ns: string, name: string, labels = {}) =>
  c.performRequest({
    method: "POST",
    path: `/api/v1/namespaces/${ns}/configmaps`,
    bodyJson: {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name, labels },
      data: { v: "1" },
    },
  });

function observe(iter: AsyncGenerator<ReflectorEvent<CM>, void, undefined>) {
  const events: string[] = [];
  const done = (async () => {
    for await (const e of iter) {
      events.push(
        e.type === "SYNCED" || e.type === "DESYNCED" || e.type === "BOOKMARK" ||
          e.type === "ERROR"
          ? e.type
          : `${e.type} ${(e.object as CM).metadata.name}`,
      );
    }
  })();
  return { events, done };
}

Deno.test("ten consumers of one collection share one list and one watch; a late one gets the snapshot; the last release stops the watch", async () => {
  await withNamespace(async (client, raw, ns) => {
    const path = `/api/v1/namespaces/${ns}/configmaps`;
    await create(raw, ns, "a", { app: "web" });
    const shared = SharedWatches.for(client);
    assert.equal(SharedWatches.for(client), shared);
    const options = { initialList: "list" as const };
    const handles = Array.from(
      { length: 10 },
      () => shared.reflector<CM>(path, options),
    );
    const observers = handles.map((h) => observe(h.observeAll()));
    assert.equal(shared.size, 1);
    await until(
      () => observers.every((o) => o.events.includes("SYNCED")),
      10_000,
      "every consumer synced",
    );
    await until(() => client.count(path).watches === 1, 10_000, "the watch");
    await create(raw, ns, "b", { app: "web" });
    await until(
      () => observers.every((o) => o.events.includes("ADDED b")),
      10_000,
      "every consumer told of b",
    );
    for (const o of observers) {
      assert.deepEqual(o.events, ["ADDED a", "SYNCED", "ADDED b"]);
    }
    assert.deepEqual(client.count(path), { lists: 1, watches: 1 });
    // One cache, indexed.
    assert.equal(handles[3].store, handles[7].store);
    assert.deepEqual(
      handles[0].store.byLabel("app", "web").map((o) => o.metadata.name).sort(),
      ["a", "b"],
    );

    // A late consumer: the current snapshot, SYNCED, then live events.
    const late = shared.reflector<CM>(path, options);
    const lateObs = observe(late.observeAll());
    await create(raw, ns, "c");
    await until(
      () => lateObs.events.includes("ADDED c"),
      10_000,
      "late told of c",
    );
    assert.deepEqual(
      [...lateObs.events.slice(0, 2)].sort().concat(lateObs.events.slice(2)),
      ["ADDED a", "ADDED b", "SYNCED", "ADDED c"],
    );
    assert.deepEqual(client.count(path), { lists: 1, watches: 1 });

    // Another selector is a watch of its own.
    const selected = shared.reflector<CM>(path, {
      ...options,
      labelSelector: "app=web",
    });
    assert.equal(shared.size, 2);
    await until(() => selected.isSynced(), 10_000, "the selected watch synced");
    assert.deepEqual(selected.listCached().map((o) => o.metadata.name).sort(), [
      "a",
      "b",
    ]);
    await selected.release();
    assert.equal(shared.size, 1);

    // Releasing all but one keeps the watch; each released stream ends.
    await Promise.all(handles.map((h) => h.release()));
    await Promise.all(observers.map((o) => o.done));
    assert.equal(shared.size, 1);
    await create(raw, ns, "d");
    await until(
      () => lateObs.events.includes("ADDED d"),
      10_000,
      "late told of d",
    );
    for (const o of observers) {
      assert.equal(o.events.includes("ADDED d"), false);
    }

    // The last release stops the watch: nothing is asked afterwards.
    await late.release();
    await lateObs.done;
    assert.equal(shared.size, 0);
    const after = client.requests.length;
    await create(raw, ns, "e");
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(client.requests.length, after);
  });
});

Deno.test("a shared handle's signal releases it, and a released key starts a fresh watch for the next consumer", async () => {
  await withNamespace(async (client, raw, ns) => {
    const path = `/api/v1/namespaces/${ns}/configmaps`;
    await create(raw, ns, "a");
    const shared = SharedWatches.for(client);
    const ctl = new AbortController();
    const first = shared.reflector<CM>(path, {
      initialList: "list",
      metadataOnly: true,
      signal: ctl.signal,
    });
    const obs = observe(first.observeAll());
    await until(() => first.isSynced(), 10_000, "synced");
    ctl.abort();
    await obs.done;
    await until(() => shared.size === 0, 5_000, "released by the signal");
    assert.deepEqual(obs.events, ["ADDED a", "SYNCED"]);
    {
      await using again = shared.reflector<CM>(path, {
        initialList: "list",
        metadataOnly: true,
      });
      await until(() => again.isSynced(), 10_000, "synced again");
      assert.equal(again.getCached(ns, "a")?.data, undefined);
    }
    assert.equal(shared.size, 0);
    assert.deepEqual(client.count(path), { lists: 2, watches: 2 });
  });
});
