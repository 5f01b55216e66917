// The Reflector against the real apiserver: live changes, a real 410 after
// an etcd compaction, a 403 for the limited user, and a fault-injecting TCP
// proxy that cuts connections and blacks out while writes go on; and the
// default initialList "auto", by the server's release: a server without
// WatchList by default (before 1.32, and 1.33 — ours is 1.20) refuses it
// (422), or ignores it when asked without resourceVersionMatch as a pre-1.27
// server would: the Reflector lists, exactly, and no Reflector on that
// client asks again; a server with WatchList on by default (1.32, 1.34+)
// answers it, and nothing is listed. Deno's sanitizers stay on: nothing
// may leak.

import assert from "node:assert/strict";
import {
  KubeConfigRestClient,
  listWatch,
  Reflector,
  type WatchEvent,
} from "../../../mod.ts";
import {
  ExponentialBackoff,
  type ReflectorEvent,
  WatchListSupport,
  type WatchOpts,
} from "../../../lib/watch/mod.ts";
import { controlPlane, serverVersion } from "../../harness.ts";
import {
  adminUserFields,
  closeAll,
  kubeconfigFor,
  until,
  withTempDir,
  writeKubeconfig,
} from "../../_helpers.ts";
import { withNamespace as sharedNamespace } from "./_apiserver_fixtures.ts";

const cp = await controlPlane();
const server = await serverVersion();
// WatchList's gate (staging/src/k8s.io/apiserver/pkg/features/kube_features.go):
// alpha and off 1.27–1.31, beta and on in 1.32, off again in 1.33, on from
// 1.34. A cluster with the gate set otherwise is not what this expects.
const watchListOn = server.minor === 32 || server.minor >= 34;

type CM = {
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    resourceVersion: string;
  };
  data?: Record<string, string>;
};
type Status = { code?: number; reason?: string; message?: string };

const withNamespace = (
  fn: (client: KubeConfigRestClient, ns: string) => Promise<void>,
) => sharedNamespace(cp, "reflector", fn);

const cmPath = (ns: string) => `/api/v1/namespaces/${ns}/configmaps`;
const create = (c: KubeConfigRestClient, ns: string, name: string, v = "1") =>
  c.performRequest({
    method: "POST",
    path: cmPath(ns),
    bodyJson: {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name },
      data: { v },
    },
  });
const update = (c: KubeConfigRestClient, ns: string, name: string, v: string) =>
  c.performRequest({
    method: "PATCH",
    path: `${cmPath(ns)}/${name}`,
    contentType: "application/merge-patch+json",
    bodyJson: { data: { v } },
  });
const remove = (c: KubeConfigRestClient, ns: string, name: string) =>
  c.performRequest({ method: "DELETE", path: `${cmPath(ns)}/${name}` });

async function freshList(
  c: KubeConfigRestClient,
  ns: string,
): Promise<string[]> {
  const list = await c.performRequest({
    method: "GET",
    path: cmPath(ns),
    expectJson: true,
  }) as { items: CM[] };
  return list.items.map((i) =>
    `${i.metadata.name}@${i.metadata.resourceVersion}`
  ).sort();
}
const cached = (r: Reflector<CM, Status>) =>
  [...r.listCached()].map((i) =>
    `${i.metadata.name}@${i.metadata.resourceVersion}`
  ).sort();

/** Rebuilds a state from observer events, as a consumer would. */
function replay(events: ReflectorEvent<CM, Status>[]): string[] {
  const state = new Map<string, string>();
  for (const e of events) {
    if (e.type === "ADDED" || e.type === "MODIFIED") {
      state.set(e.object.metadata.name, e.object.metadata.resourceVersion);
    } else if (e.type === "DELETED") state.delete(e.object.metadata.name);
  }
  return [...state].map(([n, rv]) => `${n}@${rv}`).sort();
}

function observe(r: Reflector<CM, Status>) {
  const events: ReflectorEvent<CM, Status>[] = [];
  const done = (async () => {
    for await (const e of r.observeAll()) events.push(e);
  })();
  return { events, done };
}

/**
 * While the reflector's watch is held: changes keep/change/drop/new, compacts
 * etcd, releases the watch (whose resume then meets a real 410), and waits
 * until the reflector relisted to the fresh list, which it returns.
 */
async function changeWhileHeld(
  client: KubeConfigRestClient,
  ns: string,
  release: () => void,
  r: Reflector<CM, Status>,
): Promise<string[]> {
  await update(client, ns, "change", "2");
  await remove(client, ns, "drop");
  await create(client, ns, "new");
  await cp.compactEtcd();
  release();
  const want = await freshList(client, ns);
  await until(
    () => cached(r).join() === want.join() && r.isSynced(),
    15_000,
    "the relist",
  );
  return want;
}

Deno.test("live changes: a paginated sync, then creates, updates and deletes as they happen", async () => {
  await withNamespace(async (client, ns) => {
    for (const n of ["a", "b", "c", "d", "e"]) await create(client, ns, n);
    const { lister, watcher } = listWatch<CM, Status>(client, cmPath(ns));
    let pages = 0;
    // A list, on every release: a server with WatchList would stream the
    // initial state instead of serving pages.
    const r = new Reflector<CM, Status>((o) => (pages++, lister(o)), watcher, {
      pageSize: 2,
      initialList: "list",
    });
    const ctl = new AbortController();
    const running = r.run(ctl.signal);
    const obs = observe(r);
    await until(() => r.isSynced(), 10_000, "SYNCED");
    assert.equal(pages, 3, "5 objects in pages of 2");
    await create(client, ns, "f");
    await update(client, ns, "a", "2");
    await remove(client, ns, "b");
    const want = await freshList(client, ns);
    await until(
      () => cached(r).join() === want.join(),
      10_000,
      "the cache to match",
    );
    ctl.abort();
    await running;
    await obs.done;
    assert.deepEqual(replay(obs.events), want);
    const types = obs.events.map((e) => e.type).join(" ");
    assert.match(types, /^(ADDED ){5}SYNCED ADDED MODIFIED DELETED/);
  });
});

Deno.test({
  name:
    "a real 410: resuming from a version older than an etcd compaction relists with the exact difference",
  ignore: !cp.etcdUrl,
  fn: () =>
    withNamespace(async (client, ns) => {
      for (const n of ["keep", "change", "drop"]) await create(client, ns, n);
      const { lister, watcher } = listWatch<CM, Status>(client, cmPath(ns));
      // The first watch is held open without events, so the reflector misses what happens next.
      let release!: () => void;
      const held = new Promise<void>((r) => release = r);
      let watches = 0;
      const gatedWatcher = (opts: Parameters<typeof watcher>[0]) => {
        if (watches++ > 0) return watcher(opts);
        return Promise.resolve(
          new ReadableStream<WatchEvent<CM, Status>>({
            start: (c) => void held.then(() => c.close()),
          }),
        );
      };
      const r = new Reflector<CM, Status>(lister, gatedWatcher);
      const ctl = new AbortController();
      const running = r.run(ctl.signal);
      const obs = observe(r);
      await until(() => r.isSynced(), 10_000, "SYNCED");
      const want = await changeWhileHeld(client, ns, release, r);
      ctl.abort();
      await running;
      await obs.done;
      const after = obs.events.slice(
        obs.events.findIndex((e) => e.type === "DESYNCED"),
      );
      assert.deepEqual(
        after.map((e) =>
          e.type === "ADDED" || e.type === "MODIFIED" || e.type === "DELETED"
            ? `${e.type} ${e.object.metadata.name}`
            : e.type
        ),
        [
          "DESYNCED",
          "MODIFIED change",
          "ADDED new",
          "DELETED drop",
          "SYNCED",
        ],
      );
      assert.deepEqual(replay(obs.events), want);
    }),
});

Deno.test({
  name:
    "403 for the limited user reaches observers as ERROR, and the reflector keeps trying",
  ignore: !cp.kubeconfigs.limited,
  fn: async () => {
    const limited = await KubeConfigRestClient.readKubeConfig(
      cp.kubeconfigs.limited!,
    );
    try {
      const { lister, watcher } = listWatch<CM, Status>(
        limited,
        cmPath("default"),
      );
      const r = new Reflector<CM, Status>(lister, watcher, {
        backoff: new ExponentialBackoff({ initialMs: 20, random: () => 0 }),
      });
      const ctl = new AbortController();
      const running = r.run(ctl.signal);
      const obs = observe(r);
      await until(
        () => obs.events.filter((e) => e.type === "ERROR").length >= 2,
        10_000,
        "two ERROR events",
      );
      ctl.abort();
      await running;
      await obs.done;
      const first = obs.events[0];
      assert.ok(first.type === "ERROR");
      assert.equal(first.object.code, 403);
      assert.match(first.object.message ?? "", /kube-test-limited/);
      assert.ok(!r.isSynced());
    } finally {
      limited.close();
    }
  },
});

/** A TCP proxy to the apiserver that can cut every connection and black out. */
class FaultyProxy {
  readonly #listener: Deno.TcpListener;
  readonly #open = new Set<Deno.Conn>();
  #blackout = false;
  cuts = 0;
  constructor(readonly target: URL) {
    this.#listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    this.#accept();
  }
  get port(): number {
    return this.#listener.addr.port;
  }
  async #accept() {
    try {
      for await (const conn of this.#listener) {
        if (this.#blackout) {
          conn.close();
          continue;
        }
        this.#pipe(conn).catch(() => {});
      }
    } catch { /* closed */ }
  }
  async #pipe(conn: Deno.Conn) {
    this.#open.add(conn);
    let up: Deno.Conn | undefined;
    try {
      up = await Deno.connect({
        hostname: this.target.hostname,
        port: Number(this.target.port),
      });
      this.#open.add(up);
      await Promise.allSettled([
        conn.readable.pipeTo(up.writable),
        up.readable.pipeTo(conn.writable),
      ]);
    } finally {
      this.#open.delete(conn);
      if (up) this.#open.delete(up);
      closeAll([conn, ...(up ? [up] : [])]);
    }
  }
  cutAll() {
    this.cuts += this.#open.size;
    closeAll(this.#open);
    this.#open.clear();
  }
  setBlackout(on: boolean) {
    this.#blackout = on;
    if (on) this.cutAll();
  }
  close() {
    this.#listener.close();
    this.cutAll();
  }
}

Deno.test({
  name:
    "faults: cut connections and blackouts while writes go on; the cache ends equal to a fresh list",
  ignore: !cp.etcdUrl || cp.external,
  fn: () =>
    withTempDir((dir) =>
      withNamespace(async (admin, ns) => {
        const proxy = new FaultyProxy(new URL(cp.server));
        const kc = await writeKubeconfig(
          dir,
          "via-proxy",
          kubeconfigFor(`https://127.0.0.1:${proxy.port}`, {
            "certificate-authority": cp.caFile,
          }, adminUserFields(cp)),
        );
        const client = await KubeConfigRestClient.readKubeConfig(
          kc,
          undefined,
          { retry: false },
        );
        const { lister, watcher } = listWatch<CM, Status>(client, cmPath(ns));
        // client-go's shape, scaled down so the test takes seconds, not minutes.
        const r = new Reflector<CM, Status>(lister, watcher, {
          pageSize: 7,
          inactivityTimeoutMs: 3000,
          backoff: new ExponentialBackoff({
            initialMs: 50,
            maxMs: 1000,
            resetAfterMs: 5000,
          }),
        });
        const ctl = new AbortController();
        const running = r.run(ctl.signal);
        const obs = observe(r);

        let writing = true;
        let writes = 0;
        const writer = (async () => {
          let i = 0;
          while (writing) {
            const n = `cm-${i % 25}`;
            const op = i++ % 3;
            try {
              if (op === 0) await create(admin, ns, n, String(i));
              else if (op === 1) await update(admin, ns, n, String(i));
              else await remove(admin, ns, n);
            } catch { /* 404/409: the name is in another state; fine */ }
            writes++;
            await new Promise((res) => setTimeout(res, 5));
          }
        })();

        // Seeded, so a failure can be replayed.
        let seed = 42;
        const rand = () =>
          (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
        const chaosUntil = Date.now() + 12_000;
        let blackouts = 0;
        let compactions = 0;
        while (Date.now() < chaosUntil) {
          await new Promise((res) => setTimeout(res, 100 + rand() * 600));
          const roll = rand();
          if (roll < 0.1) {
            proxy.setBlackout(true);
            blackouts++;
            await new Promise((res) => setTimeout(res, 500 + rand() * 1000));
            // Writes went on while the reflector was cut off; compacting now
            // makes its resume version too old: a 410 and a relist.
            await cp.compactEtcd();
            compactions++;
            await new Promise((res) => setTimeout(res, 500 + rand() * 500));
            proxy.setBlackout(false);
          } else if (roll < 0.2) {
            await cp.compactEtcd();
            compactions++;
          } else {
            proxy.cutAll();
          }
        }
        writing = false;
        await writer;

        const want = await freshList(admin, ns);
        await until(
          () => r.isSynced() && cached(r).join() === want.join(),
          30_000,
          "the cache to settle",
        );
        ctl.abort();
        await running;
        await obs.done;
        proxy.close();
        client.close();

        assert.deepEqual(
          cached(r),
          want,
          "names and resourceVersions equal a fresh list",
        );
        assert.deepEqual(
          replay(obs.events),
          want,
          "replaying the observer's events gives the same state",
        );
        assert.ok(writes > 100, `writes went on (${writes})`);
        assert.ok(proxy.cuts > 10, `connections were cut (${proxy.cuts})`);
        assert.ok(
          blackouts === 0 || obs.events.some((e) => e.type === "DESYNCED"),
          "a blackout with compaction forced a relist",
        );
        console.log(
          `faults: ${proxy.cuts} connections cut, ${blackouts} blackouts, ${compactions} compactions, ${writes} writes, ` +
            `${
              obs.events.filter((e) => e.type === "DESYNCED").length
            } relists, ${want.length} objects at the end`,
        );
      })
    ),
});

/** Counts the WatchList requests `watcher` is asked for; `edit` may change the options first. */
function countingWatchList(
  watcher: (o: WatchOpts) => Promise<ReadableStream<WatchEvent<CM, Status>>>,
  edit: (o: WatchOpts) => WatchOpts = (o) => o,
) {
  const counter = {
    asked: 0,
    watcher: (o: WatchOpts) => {
      if (o.sendInitialEvents) counter.asked++;
      return watcher(edit(o));
    },
  };
  return counter;
}

Deno.test({
  name: watchListOn
    ? `auto on a v1.${server.minor} apiserver (WatchList on): the initial state streams, nothing is listed, and another Reflector on the client streams too`
    : `auto on a v1.${server.minor} apiserver (no WatchList): its one WatchList request is refused (422), the Reflector lists at once, and neither a real 410 nor another Reflector on the client asks again`,
  ignore: !cp.etcdUrl || watchListOn,
  fn: () =>
    withNamespace(async (client, ns) => {
      for (const n of ["keep", "change", "drop"]) await create(client, ns, n);
      const { lister, watcher } = listWatch<CM, Status>(client, cmPath(ns));
      const support = WatchListSupport.for(client);
      // The first resumed watch is held open without events, so the
      // reflector misses what happens next and meets a real 410.
      let release!: () => void;
      const held = new Promise<void>((r) => release = r);
      let resumed = 0;
      const counted = countingWatchList(watcher);
      const gated = (opts: WatchOpts) => {
        if (opts.sendInitialEvents || resumed++ > 0) {
          return counted.watcher(opts);
        }
        return Promise.resolve(
          new ReadableStream<WatchEvent<CM, Status>>({
            start: (c) => void held.then(() => c.close()),
          }),
        );
      };
      let lists = 0;
      const r = new Reflector<CM, Status>((o) => (lists++, lister(o)), gated, {
        watchListSupport: support,
      });
      assert.equal(r.usesWatchList, true);
      const ctl = new AbortController();
      const t0 = Date.now();
      const running = r.run(ctl.signal);
      const obs = observe(r);
      await until(() => r.isSynced(), 10_000, "SYNCED");
      assert.ok(Date.now() - t0 < 5_000, "no wait for an end marker");
      assert.equal(counted.asked, 1);
      assert.equal(support.verdict, "unsupported");
      assert.equal(lists, 1);
      assert.deepEqual(cached(r), await freshList(client, ns));
      const want = await changeWhileHeld(client, ns, release, r);
      assert.ok(obs.events.some((e) => e.type === "DESYNCED"), "a real 410");
      assert.equal(counted.asked, 1, "the relist was a plain list");
      assert.equal(lists, 2);
      ctl.abort();
      await running;
      await obs.done;
      assert.deepEqual(replay(obs.events), want);
      // Another Reflector through the same client (listWatch attaches the
      // client's record) lists straight away.
      const again = listWatch<CM, Status>(client, cmPath(ns));
      const other = new Reflector<CM, Status>(again.lister, again.watcher);
      assert.equal(other.usesWatchList, false);
      const ctl2 = new AbortController();
      const running2 = other.run(ctl2.signal);
      await until(() => other.isSynced(), 10_000, "the other SYNCED");
      assert.deepEqual(cached(other), want);
      ctl2.abort();
      await running2;
    }),
});

Deno.test({
  name:
    `auto on a v1.${server.minor} apiserver with WatchList on by default: one WatchList request, no list, the cache exact, and another Reflector on the client streams too`,
  ignore: !watchListOn,
  fn: () =>
    withNamespace(async (client, ns) => {
      for (const n of ["a", "b", "c"]) await create(client, ns, n);
      const { lister, watcher } = listWatch<CM, Status>(client, cmPath(ns));
      const support = WatchListSupport.for(client);
      const counted = countingWatchList(watcher);
      let lists = 0;
      const r = new Reflector<CM, Status>(
        (o) => (lists++, lister(o)),
        counted.watcher,
        { watchListSupport: support },
      );
      const ctl = new AbortController();
      const running = r.run(ctl.signal);
      await until(() => r.isSynced(), 10_000, "SYNCED");
      assert.equal(counted.asked, 1);
      assert.equal(support.verdict, "supported");
      assert.equal(lists, 0);
      assert.deepEqual(cached(r), await freshList(client, ns));
      ctl.abort();
      await running;
      const again = listWatch<CM, Status>(client, cmPath(ns));
      const other = new Reflector<CM, Status>(again.lister, again.watcher);
      assert.equal(other.usesWatchList, true);
    }),
});

Deno.test(
  `auto asked without resourceVersionMatch (a v1.${server.minor} apiserver ${
    server.minor < 27
      ? "ignores the WatchList parameters: no end marker within requestTimeoutMs"
      : "refuses sendInitialEvents without it (422)"
  }): it lists, exactly, and remembers`,
  async () => {
    await withNamespace(async (client, ns) => {
      for (const n of ["a", "b"]) await create(client, ns, n);
      const { lister, watcher } = listWatch<CM, Status>(client, cmPath(ns));
      const support = new WatchListSupport();
      const counted = countingWatchList(watcher, (o) => {
        const { resourceVersionMatch: _, ...rest } = o;
        return rest;
      });
      let lists = 0;
      const r = new Reflector<CM, Status>(
        (o) => (lists++, lister(o)),
        counted.watcher,
        { watchListSupport: support, requestTimeoutMs: 1_500 },
      );
      const ctl = new AbortController();
      const running = r.run(ctl.signal);
      const obs = observe(r);
      await until(() => r.isSynced(), 10_000, "SYNCED");
      assert.equal(counted.asked, 1);
      assert.equal(support.verdict, "unsupported");
      assert.equal(lists, 1);
      // The ignored stream's events were dropped: observers saw one sync.
      assert.deepEqual(
        obs.events.map((e) => e.type),
        ["ADDED", "ADDED", "SYNCED"],
      );
      await create(client, ns, "c");
      const want = await freshList(client, ns);
      await until(
        () => cached(r).join() === want.join(),
        10_000,
        "the new object",
      );
      ctl.abort();
      await running;
      await obs.done;
      assert.equal(counted.asked, 1);
    });
  },
);
