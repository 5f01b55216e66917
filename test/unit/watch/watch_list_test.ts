// WatchList in the Reflector, against a loopback peer that answers like the
// apiserver does (test/_watch_list_peer.ts): the initial state arrives as
// events and replaces the cache once, at the annotated BOOKMARK; servers
// that refuse the parameters (1.19–1.26, or the feature gate off) or ignore
// them are detected and listed instead; a cut, a 410 or an abort during the
// initial events leaves the cache untouched, and a 410 later relists
// exactly. The default, initialList "auto", asks a server once per client:
// the answer — supported or not — is remembered, so Reflectors on the same
// client use WatchList from the start, or never ask an old server again.
// Each test runs with the default cache and with `compact: true`
// (./_both_modes.ts), which reads listWatch()'s raw bytes from the peer.

import assert from "node:assert/strict";
import {
  KubeConfig,
  KubeConfigRestClient,
  listWatch,
  Reflector,
} from "../../../mod.ts";
import {
  type ReflectorEvent,
  type ReflectorOptions,
  WatchListSupport,
} from "../../../lib/watch/mod.ts";
import {
  reflectorState,
  stepReflector,
} from "../../../lib/watch/_reflector_seam.ts";
import { type PeerMode, WatchListPeer } from "../../_watch_list_peer.ts";
import { bothModes, mode as cache } from "./_both_modes.ts";

type Cm = {
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    resourceVersion: string;
  };
};

type Ctx = {
  peer: WatchListPeer;
  client: KubeConfigRestClient;
  reflector: Reflector<Cm>;
  next: (pred: (e: ReflectorEvent<Cm>) => boolean) => Promise<void>;
  seen: ReflectorEvent<Cm>[];
  running: Promise<void>;
  ctl: AbortController;
};

const fastBackoff = { next: () => 5, reset() {} };

async function withReflector(
  mode: PeerMode,
  body: (ctx: Ctx) => Promise<void>,
  prepare?: (peer: WatchListPeer) => void,
  options: ReflectorOptions<Cm> = { initialList: "watch" },
  wrapWatcher = false,
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
  const reflector = new Reflector<Cm>(
    lister,
    wrapWatcher ? (o) => watcher(o) : watcher,
    { backoff: fastBackoff, ...options, compact: cache.compact },
  );
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
    await body({ peer, client, reflector, next, seen, running, ctl });
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

/** Servers that refuse or ignore WatchList, as the peer plays them. */
const oldServers = [
  ["rejects", "a 1.19–1.26 server (422 for resourceVersionMatch on a watch)"],
  [
    "gate-off",
    "a server without the WatchList feature (422 for sendInitialEvents)",
  ],
  [
    "ignores",
    "a server that ignores the parameters (a BOOKMARK without the end annotation)",
  ],
] as const;

/**
 * Cuts the watch, deletes b and changes c while the Reflector reconnects,
 * and compacts: the resumed watch gets 410. Checks that observers then get
 * DESYNCED and exactly the difference from the three-object state a, b, c.
 */
async function relistAfterCompaction(
  peer: WatchListPeer,
  next: Ctx["next"],
  seen: ReflectorEvent<Cm>[],
): Promise<void> {
  const before = seen.length;
  peer.cutAll();
  peer.change("DELETED", "b");
  peer.change("MODIFIED", "c", "new");
  peer.compact();
  await next((e) => e.type === "DESYNCED");
  await next(synced);
  assert.deepEqual(summary(seen).slice(before), [
    "DESYNCED",
    "MODIFIED c@105",
    "DELETED b@102",
    "SYNCED 105",
  ]);
}

bothModes(
  "WatchList: the initial state arrives as events, replaces the cache once at the annotated BOOKMARK, and no list is made",
  async () => {
    await withReflector(
      "watchlist",
      async ({ peer, reflector, next, seen }) => {
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
      },
      (peer) => {
        peer.change("ADDED", "a");
        peer.change("ADDED", "b");
      },
    );
  },
);

for (const [mode, server] of oldServers) {
  bothModes(
    `WatchList falls back to list+watch, for good, on ${server}`,
    async () => {
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
    },
  );
}

bothModes(
  "WatchList: a cut during the initial events starts over without touching the cache; a 410 later relists exactly",
  async () => {
    await withReflector(
      "watchlist",
      async ({ peer, reflector, next, seen }) => {
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
        await relistAfterCompaction(peer, next, seen);
        assert.deepEqual(
          [...reflector.listCached()].map((o) => o.metadata.name).sort(),
          ["a", "c"],
        );
        assert.equal(
          listRequests(peer).length,
          0,
          "relisted with WatchList too",
        );
      },
      (peer) => {
        peer.change("ADDED", "a");
        peer.change("ADDED", "b");
        peer.change("ADDED", "c");
        peer.cutInitialAfter = 1;
      },
    );
  },
);

/** Syncs one more Reflector (built from a new listWatch() on `client`) and stops it. */
async function syncAnother(
  client: KubeConfigRestClient,
  options: ReflectorOptions<Cm> = {},
): Promise<{ names: string[]; usedWatchList: boolean }> {
  const { lister, watcher } = listWatch<Cm>(
    client,
    "/api/v1/namespaces/ns/configmaps",
  );
  const r = new Reflector<Cm>(lister, watcher, {
    backoff: fastBackoff,
    ...options,
    compact: cache.compact,
  });
  const usedWatchList = r.usesWatchList;
  const ctl = new AbortController();
  const running = r.run(ctl.signal);
  for await (const e of r.observeAll()) if (synced(e)) break;
  ctl.abort();
  await running;
  return {
    names: [...r.listCached()].map((o) => o.metadata.name).sort(),
    usedWatchList,
  };
}

const names = (r: Reflector<Cm>) =>
  [...r.listCached()].map((o) => o.metadata.name).sort();

bothModes(
  "auto (the default) on a WatchList server: the first Reflector asks, and every Reflector on the same client then uses WatchList, no list at all",
  async () => {
    await withReflector("watchlist", async (ctx) => {
      const { peer, client, reflector, next, seen } = ctx;
      await next(synced);
      assert.deepEqual(summary(seen), [
        "ADDED a@101",
        "ADDED b@102",
        "SYNCED 102",
      ]);
      assert.equal(WatchListSupport.for(client).verdict, "supported");
      assert.equal(reflector.usesWatchList, true);
      assert.deepEqual(await syncAnother(client), {
        names: ["a", "b"],
        usedWatchList: true,
      });
      assert.equal(peer.watchListRequests, 2, "one initial state each");
      // A 410 later: the relist is a WatchList stream too, and exact.
      peer.cutAll();
      peer.change("DELETED", "a");
      peer.change("ADDED", "c");
      peer.compact();
      await next((e) => e.type === "DESYNCED");
      await next(synced);
      assert.deepEqual(summary(seen).slice(3), [
        "DESYNCED",
        "ADDED c@104",
        "DELETED a@101",
        "SYNCED 104",
      ]);
      assert.deepEqual(names(reflector), ["b", "c"]);
      assert.equal(listRequests(peer).length, 0);
    }, (peer) => {
      peer.change("ADDED", "a");
      peer.change("ADDED", "b");
    }, {});
  },
);

for (const [mode, server] of oldServers) {
  bothModes(
    `auto on ${server}: one WatchList request per client, then lists only — through a 410 and for other Reflectors on the client`,
    async () => {
      await withReflector(
        mode,
        async (ctx) => {
          const { peer, client, reflector, next, seen } = ctx;
          await next(synced);
          assert.deepEqual(summary(seen), ["ADDED a@101", "SYNCED 101"]);
          assert.equal(peer.watchListRequests, 1);
          assert.equal(listRequests(peer).length, 1);
          assert.equal(WatchListSupport.for(client).verdict, "unsupported");
          assert.equal(reflector.usesWatchList, false);
          // A 410 later relists with a plain list, exactly.
          peer.cutAll();
          peer.change("ADDED", "c");
          peer.compact();
          await next((e) => e.type === "DESYNCED");
          await next(synced);
          assert.deepEqual(summary(seen).slice(2), [
            "DESYNCED",
            "ADDED c@102",
            "SYNCED 102",
          ]);
          assert.equal(listRequests(peer).length, 2);
          // Another Reflector on the same client does not ask again.
          assert.deepEqual(await syncAnother(client), {
            names: ["a", "c"],
            usedWatchList: false,
          });
          assert.equal(peer.watchListRequests, 1, "asked once per client");
        },
        (peer) => peer.change("ADDED", "a"),
        {},
      );
    },
  );
}

bothModes(
  "auto with a watcher not known to pass the WatchList options on lists; given a support record, it uses WatchList",
  async () => {
    await withReflector(
      "watchlist",
      async ({ peer, client, next }) => {
        await next(synced);
        assert.equal(peer.watchListRequests, 0);
        assert.equal(listRequests(peer).length, 1);
        assert.equal(WatchListSupport.for(client).verdict, "unknown");
        const { lister, watcher } = listWatch<Cm>(
          client,
          "/api/v1/namespaces/ns/configmaps",
        );
        const own = new Reflector<Cm>(lister, (o) => watcher(o), {
          watchListSupport: WatchListSupport.for(client),
        });
        assert.equal(own.usesWatchList, true);
        const ctl = new AbortController();
        const running = own.run(ctl.signal);
        for await (const e of own.observeAll()) if (synced(e)) break;
        ctl.abort();
        await running;
        assert.deepEqual(names(own), ["a"]);
        assert.equal(peer.watchListRequests, 1);
        assert.equal(listRequests(peer).length, 1);
        assert.equal(WatchListSupport.for(client).verdict, "supported");
      },
      (peer) => peer.change("ADDED", "a"),
      {},
      true,
    );
  },
);

bothModes(
  "a 410 in the middle of a WatchList relist: the cache stays as it was, observers hear nothing of it, and the next attempt syncs exactly",
  async () => {
    await withReflector("watchlist", async (ctx) => {
      const { peer, client, reflector, next, seen } = ctx;
      await next(synced);
      // The first initial state was cut short by a 410 too: nothing of it reached observers.
      assert.deepEqual(summary(seen), [
        "ADDED a@101",
        "ADDED b@102",
        "ADDED c@103",
        "SYNCED 103",
      ]);
      assert.equal(peer.watchListRequests, 2);
      peer.goneInitialAfter = 1;
      await relistAfterCompaction(peer, next, seen);
      assert.equal(peer.goneInitialAfter, undefined, "the relist met the 410");
      assert.equal(peer.watchListRequests, 4);
      assert.equal(listRequests(peer).length, 0);
      assert.deepEqual(names(reflector), ["a", "c"]);
      assert.equal(WatchListSupport.for(client).verdict, "supported");
    }, (peer) => {
      peer.change("ADDED", "a");
      peer.change("ADDED", "b");
      peer.change("ADDED", "c");
      peer.goneInitialAfter = 1;
    }, {});
  },
);

bothModes(
  "aborting during the initial events returns promptly, emits nothing, and concludes nothing about the server",
  async () => {
    await withReflector("watchlist", async (ctx) => {
      const { peer, client, reflector, seen, running, ctl } = ctx;
      while (peer.watchListRequests === 0) {
        await new Promise((r) => setTimeout(r, 5));
      }
      await new Promise((r) => setTimeout(r, 50)); // the first event is in
      const t0 = performance.now();
      ctl.abort();
      await running;
      assert.ok(performance.now() - t0 < 500, "run() returned promptly");
      assert.equal(reflectorState(reflector).kind, "Stopped");
      assert.deepEqual(seen, []);
      assert.equal([...reflector.listCached()].length, 0);
      assert.equal(WatchListSupport.for(client).verdict, "unknown");
      assert.equal(listRequests(peer).length, 0);
    }, (peer) => {
      peer.change("ADDED", "a");
      peer.change("ADDED", "b");
      peer.holdInitialAfter = 1;
    }, {});
  },
);

bothModes(
  "no end marker within requestTimeoutMs: a server not known to support WatchList is taken as ignoring it; one known to support it is asked again",
  async () => {
    await withReflector("watchlist", async ({ peer, client, next }) => {
      await next(synced);
      assert.equal(WatchListSupport.for(client).verdict, "unsupported");
      assert.equal(peer.watchListRequests, 1);
      assert.equal(listRequests(peer).length, 1);
    }, (peer) => {
      peer.change("ADDED", "a");
      peer.holdInitialAfter = 1;
    }, { requestTimeoutMs: 200 });
    await withReflector("watchlist", async ({ peer, client, next, seen }) => {
      WatchListSupport.for(client).accepted(); // learnt earlier
      await next(synced);
      assert.deepEqual(summary(seen), ["ADDED a@101", "SYNCED 101"]);
      assert.equal(WatchListSupport.for(client).verdict, "supported");
      assert.equal(peer.watchListRequests, 2);
      assert.equal(listRequests(peer).length, 0);
    }, (peer) => {
      peer.change("ADDED", "a");
      peer.holdInitialAfter = 1;
    }, { requestTimeoutMs: 200 });
  },
);

bothModes(
  "WatchListSupport: one record per client; unsupported is final",
  async () => {
    const a = await KubeConfigRestClient.forKubeConfig(
      KubeConfig.getSimpleUrlConfig({ baseUrl: "http://127.0.0.1:1" }),
    );
    const b = await KubeConfigRestClient.forKubeConfig(
      KubeConfig.getSimpleUrlConfig({ baseUrl: "http://127.0.0.1:1" }),
    );
    try {
      assert.equal(WatchListSupport.for(a), WatchListSupport.for(a));
      assert.notEqual(WatchListSupport.for(a), WatchListSupport.for(b));
      const s = new WatchListSupport();
      assert.equal(s.verdict, "unknown");
      s.accepted();
      assert.equal(s.verdict, "supported");
      s.refused();
      s.accepted();
      assert.equal(s.verdict, "unsupported");
    } finally {
      a.close();
      b.close();
    }
  },
);

bothModes(
  "a 410 or another ERROR before the end marker backs off before asking again, so a server that keeps failing cannot make the loop spin",
  async () => {
    for (
      const [status, heard] of [
        [{ code: 410, reason: "Expired" }, []],
        [{ code: 500, reason: "InternalError" }, ["ERROR"]],
      ] as const
    ) {
      const obj = (name: string) => ({
        metadata: { name, namespace: "ns", uid: name, resourceVersion: "7" },
      });
      const r = new Reflector<Cm>(
        () => Promise.reject(new Error("no list expected")),
        () =>
          Promise.resolve(
            new ReadableStream({
              start(c) {
                c.enqueue({ type: "ADDED", object: obj("a") });
                c.enqueue({ type: "ERROR", object: status });
                c.close();
              },
            }),
          ),
        { initialList: "watch", backoff: { next: () => 1234, reset() {} } },
      );
      const seen: string[] = [];
      const iter = r.observeAll();
      const pump = (async () => {
        for await (const e of iter) seen.push(e.type);
      })();
      const ctl = new AbortController();
      assert.deepEqual(await stepReflector(r, { kind: "Empty" }, ctl.signal), {
        kind: "Backoff",
        delayMs: 1234,
        next: { kind: "Empty" },
      });
      assert.equal([...r.listCached()].length, 0, "the cache is untouched");
      assert.equal(r.usesWatchList, true, "nothing concluded");
      await r.run(AbortSignal.abort());
      await pump;
      assert.deepEqual(seen, heard);
    }
  },
);

bothModes(
  "a 403 to the WatchList request (a user who may list but not watch) is reported, and the initial state is listed, as list+watch would",
  async () => {
    await withReflector("watchlist", async ({ peer, client, next, seen }) => {
      await next(synced);
      assert.deepEqual(summary(seen), ["ERROR", "ADDED a@101", "SYNCED 101"]);
      const first = seen[0];
      assert.ok(first.type === "ERROR");
      assert.equal((first.object as { code?: number }).code, 403);
      assert.equal(peer.watchListRequests, 1);
      assert.equal(listRequests(peer).length, 1);
      assert.equal(WatchListSupport.for(client).verdict, "unknown");
      await next((e) => e.type === "ERROR"); // the watch is forbidden too
    }, (peer) => {
      peer.change("ADDED", "a");
      peer.forbidWatch = true;
    }, {});
  },
);
