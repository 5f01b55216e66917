// WatchList in the Reflector (initialList: "watch"), against a loopback
// peer that answers like the apiserver does (test/_watch_list_peer.ts):
// the initial state arrives as events and replaces the cache once, at the
// annotated BOOKMARK; servers that refuse the parameters (1.19–1.26, or the
// feature gate off) or ignore them are detected and listed instead; a cut
// during the initial events starts over, and a 410 later relists exactly.

import assert from "node:assert/strict";
import {
  KubeConfig,
  KubeConfigRestClient,
  listWatch,
  Reflector,
  type ReflectorEvent,
} from "../mod.ts";
import { type PeerMode, WatchListPeer } from "./_watch_list_peer.ts";

type Cm = {
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    resourceVersion: string;
  };
};

async function withReflector(
  mode: PeerMode,
  body: (ctx: {
    peer: WatchListPeer;
    reflector: Reflector<Cm>;
    next: (pred: (e: ReflectorEvent<Cm>) => boolean) => Promise<void>;
    seen: ReflectorEvent<Cm>[];
  }) => Promise<void>,
  prepare?: (peer: WatchListPeer) => void,
): Promise<void> {
  const peer = new WatchListPeer(mode);
  prepare?.(peer);
  const client = await KubeConfigRestClient.forKubeConfig(
    KubeConfig.getSimpleUrlConfig({ baseUrl: peer.url }),
  );
  const { lister, watcher } = listWatch<Cm>(
    client,
    "/api/v1/namespaces/ns/configmaps",
  );
  const reflector = new Reflector<Cm>(lister, watcher, {
    initialList: "watch",
    backoff: { next: () => 5, reset() {} },
  });
  const ctl = new AbortController();
  const seen: ReflectorEvent<Cm>[] = [];
  const iter = reflector.observeAll();
  const next = async (pred: (e: ReflectorEvent<Cm>) => boolean) => {
    for (;;) {
      const r = await iter.next();
      if (r.done) throw new Error("the observer ended early");
      seen.push(r.value);
      if (pred(r.value)) return;
    }
  };
  const running = reflector.run(ctl.signal);
  try {
    await body({ peer, reflector, next, seen });
  } finally {
    ctl.abort();
    await running;
    await iter.return(undefined);
    client.close();
    await peer.close();
  }
}

const summary = (events: ReflectorEvent<Cm>[]) =>
  events.map((e) =>
    e.type === "SYNCED" || e.type === "BOOKMARK"
      ? `${e.type} ${e.object.metadata.resourceVersion}`
      : e.type === "DESYNCED"
      ? "DESYNCED"
      : e.type === "ERROR"
      ? "ERROR"
      : `${e.type} ${e.object.metadata.name}@${e.object.metadata.resourceVersion}`
  );

const synced = (e: ReflectorEvent<Cm>) => e.type === "SYNCED";
const watchRequests = (peer: WatchListPeer) =>
  peer.requests.filter((q) => q.get("watch") === "true");
const listRequests = (peer: WatchListPeer) =>
  peer.requests.filter((q) => q.get("watch") !== "true");

Deno.test("WatchList: the initial state arrives as events, replaces the cache once at the annotated BOOKMARK, and no list is made", async () => {
  await withReflector("watchlist", async ({ peer, reflector, next, seen }) => {
    await next(synced);
    assert.deepEqual(summary(seen), [
      "ADDED a@101",
      "ADDED b@102",
      "SYNCED 102",
    ]);
    const first = watchRequests(peer)[0];
    assert.equal(first.get("sendInitialEvents"), "true");
    assert.equal(first.get("resourceVersionMatch"), "NotOlderThan");
    assert.equal(first.get("allowWatchBookmarks"), "true");
    assert.equal(first.get("resourceVersion"), null, "a consistent read");
    assert.equal(listRequests(peer).length, 0);
    peer.change("MODIFIED", "a", "2");
    await next((e) => e.type === "MODIFIED");
    assert.equal(
      reflector.getCached("ns", "a")?.metadata.resourceVersion,
      "103",
    );
    assert.equal(reflector.usesWatchList, true);
  }, (peer) => {
    peer.change("ADDED", "a");
    peer.change("ADDED", "b");
  });
});

for (
  const [mode, server] of [
    ["rejects", "a 1.19–1.26 server (422 for resourceVersionMatch on a watch)"],
    [
      "gate-off",
      "a server without the WatchList feature (422 for sendInitialEvents)",
    ],
    [
      "ignores",
      "a server that ignores the parameters (a BOOKMARK without the end annotation)",
    ],
  ] as const
) {
  Deno.test(`WatchList falls back to list+watch, for good, on ${server}`, async () => {
    await withReflector(mode, async ({ peer, reflector, next, seen }) => {
      await next(synced);
      assert.deepEqual(summary(seen), ["ADDED a@101", "SYNCED 101"]);
      assert.equal(reflector.usesWatchList, false);
      assert.equal(listRequests(peer).length, 1);
      peer.change("ADDED", "c");
      await next((e) => e.type === "ADDED" && e.object.metadata.name === "c");
      // After the fallback, watches carry no WatchList parameters.
      const last = watchRequests(peer).at(-1)!;
      assert.equal(last.get("sendInitialEvents"), null);
      assert.equal(last.get("resourceVersion"), "101");
    }, (peer) => peer.change("ADDED", "a"));
  });
}

Deno.test("WatchList: a cut during the initial events starts over without touching the cache; a 410 later relists exactly", async () => {
  await withReflector("watchlist", async ({ peer, reflector, next, seen }) => {
    await next(synced);
    // The first stream was cut after one initial event: nothing was emitted for it.
    assert.deepEqual(summary(seen), [
      "ADDED a@101",
      "ADDED b@102",
      "ADDED c@103",
      "SYNCED 103",
    ]);
    assert.ok(watchRequests(peer).length >= 2);
    // Cut, then (before the reconnect) changes and a compaction: the
    // resumed watch gets 410.
    peer.cutAll();
    peer.change("DELETED", "b");
    peer.change("MODIFIED", "c", "new");
    peer.compact();
    await next((e) => e.type === "DESYNCED");
    await next(synced);
    assert.deepEqual(summary(seen).slice(4), [
      "DESYNCED",
      "MODIFIED c@105",
      "DELETED b@102",
      "SYNCED 105",
    ]);
    assert.deepEqual(
      [...reflector.listCached()].map((o) => o.metadata.name).sort(),
      ["a", "c"],
    );
    assert.equal(listRequests(peer).length, 0, "relisted with WatchList too");
  }, (peer) => {
    peer.change("ADDED", "a");
    peer.change("ADDED", "b");
    peer.change("ADDED", "c");
    peer.cutInitialAfter = 1;
  });
});
