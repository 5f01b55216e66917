// The Reflector's state machine with injected list and watch functions and a
// fake clock: every transition, the events observers see, and cleanup.
// Each test runs twice (./_both_modes.ts): with the default cache and with
// `compact: true` reading the same scripted pages and events as bytes.
// Needs no cluster: everything runs in process.

import assert from "node:assert/strict";
import {
  KubernetesApiError,
  Reflector,
  type WatchEvent,
} from "../../../mod.ts";
import {
  ExponentialBackoff,
  type ListOpts,
  type ReflectorEvent,
  type WatchOpts,
} from "../../../lib/watch/mod.ts";
import {
  reflectorState,
  stepReflector,
} from "../../../lib/watch/_reflector_seam.ts";
import { until } from "../../_helpers.ts";
import { FakeClock } from "../../_fake_clock.ts";
import { ObserverQueue } from "../../../lib/watch/_observer_queue.ts";
import { bothModes, mode, withRawVariants } from "./_both_modes.ts";

type Obj = {
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    resourceVersion: string;
  };
  data?: string;
};
type Status = { code?: number; reason?: string; message?: string };

const obj = (name: string, rv: string, data?: string): Obj => ({
  metadata: { name, namespace: "ns", uid: `uid-${name}`, resourceVersion: rv },
  ...(data ? { data } : {}),
});

/** A watch stream the test feeds by hand. */
class FakeWatch {
  readonly opts: WatchOpts;
  #controller!: ReadableStreamDefaultController<WatchEvent<Obj, Status>>;
  readonly stream: ReadableStream<WatchEvent<Obj, Status>>;
  cancelled = false;
  constructor(opts: WatchOpts) {
    this.opts = opts;
    this.stream = new ReadableStream({
      start: (c) => void (this.#controller = c),
      cancel: () => void (this.cancelled = true),
    });
    opts.abortSignal?.addEventListener("abort", () => {
      try {
        this.#controller.error(opts.abortSignal!.reason);
      } catch { /* already closed */ }
    });
  }
  send(evt: WatchEvent<Obj, Status>): void {
    this.#controller.enqueue(evt);
  }
  end(): void {
    this.#controller.close();
  }
  fail(err: unknown): void {
    this.#controller.error(err);
  }
}

/** Lister and watcher backed by scripted pages and fake watches. */
class FakeApi {
  lists: ListOpts[] = [];
  watches: FakeWatch[] = [];
  pages: ((
    opts: ListOpts,
  ) => { items: Obj[]; rv: string; cont?: string } | Error)[] = [];
  watchErrors: Error[] = [];
  #waiters: (() => void)[] = [];
  lister = (opts: ListOpts) => {
    this.lists.push(opts);
    const next = this.pages.shift();
    if (!next) return Promise.reject(new Error("no page scripted"));
    const page = next(opts);
    if (page instanceof Error) return Promise.reject(page);
    return Promise.resolve({
      metadata: { resourceVersion: page.rv, continue: page.cont },
      items: page.items,
    });
  };
  watcher = (opts: WatchOpts) => {
    const err = this.watchErrors.shift();
    if (err) return Promise.reject(err);
    const w = new FakeWatch(opts);
    this.watches.push(w);
    for (const wake of this.#waiters.splice(0)) wake();
    return Promise.resolve(w.stream);
  };
  constructor() {
    withRawVariants(this.lister, this.watcher);
  }
  async nextWatch(count: number): Promise<FakeWatch> {
    while (this.watches.length < count) {
      await new Promise<void>((r) => this.#waiters.push(r));
    }
    return this.watches[count - 1];
  }
}

/** A Reflector in the running test's mode. */
const newReflector = (
  lister: ConstructorParameters<typeof Reflector<Obj, Status>>[0],
  watcher: ConstructorParameters<typeof Reflector<Obj, Status>>[1],
  options: ConstructorParameters<typeof Reflector<Obj, Status>>[2] = {},
) =>
  new Reflector<Obj, Status>(lister, watcher, {
    ...options,
    compact: mode.compact,
  });

const gone = (reason = "Expired") =>
  new KubernetesApiError(410, { reason, message: "too old resource version" }, {
    method: "GET",
    path: "/x",
  });

function collect(reflector: Reflector<Obj, Status>) {
  const events: ReflectorEvent<Obj, Status>[] = [];
  const done = (async () => {
    for await (const evt of reflector.observeAll()) events.push(evt);
  })();
  return { events, done };
}

/** Waits until the Reflector backs off, then lets its wait pass on the fake clock; returns the wait. */
async function throughBackoff(
  r: Reflector<Obj, Status>,
  clock: FakeClock,
): Promise<number> {
  await until(
    () => {
      const now = reflectorState(r);
      return now.kind === "Backoff" && clock.sleeping(now.delayMs);
    },
    5_000,
    "a backoff",
    0,
  );
  const state = reflectorState(r);
  assert.ok(state.kind === "Backoff");
  clock.advance(state.delayMs);
  return state.delayMs;
}

const summary = (events: ReflectorEvent<Obj, Status>[]) =>
  events.map((e) =>
    "metadata" in e.object && "name" in e.object.metadata
      ? `${e.type} ${e.object.metadata.name}@${e.object.metadata.resourceVersion}`
      : e.type === "SYNCED" || e.type === "BOOKMARK"
      ? `${e.type} ${e.object.metadata.resourceVersion}`
      : e.type
  );

bothModes(
  "Empty → lists every page (limit, continue), emits ADDED then SYNCED, → Watching at the list's version",
  async () => {
    const api = new FakeApi();
    api.pages.push(
      () => ({ items: [obj("a", "1"), obj("b", "2")], rv: "10", cont: "t1" }),
      () => ({ items: [obj("c", "3")], rv: "10" }),
    );
    const r = newReflector(api.lister, api.watcher, {
      pageSize: 2,
      labelSelector: "app=x",
    });
    const { events } = collect(r);
    await new Promise((res) => setTimeout(res, 0));
    const next = await stepReflector(
      r,
      { kind: "Empty" },
      new AbortController().signal,
    );
    assert.deepEqual(next, { kind: "Watching", resourceVersion: "10" });
    assert.deepEqual(
      api.lists.map((
        l,
      ) => [l.limit, l.continue, l.labelSelector, l.resourceVersion]),
      [
        [2, undefined, "app=x", undefined],
        [2, "t1", "app=x", undefined],
      ],
    );
    await until(() => events.length === 4, 5_000, "events", 0);
    assert.deepEqual(summary(events), [
      "ADDED a@1",
      "ADDED b@2",
      "ADDED c@3",
      "SYNCED 10",
    ]);
    assert.ok(r.isSynced());
    assert.equal(r.cachedCount, 3, "cachedCount counts every page's items");
    assert.equal(r.getCached("ns", "b")?.metadata.resourceVersion, "2");
    r.stop();
  },
);

bothModes(
  "a 410 on a continue token falls back to one full list (client-go's pager: no limit, no continue)",
  async () => {
    const api = new FakeApi();
    api.pages.push(
      () => ({ items: [obj("a", "1")], rv: "10", cont: "old" }),
      () => gone(),
      () => ({ items: [obj("a", "1"), obj("b", "11")], rv: "12" }),
    );
    const r = newReflector(api.lister, api.watcher, {
      pageSize: 1,
    });
    const next = await stepReflector(
      r,
      { kind: "Empty" },
      new AbortController().signal,
    );
    assert.deepEqual(next, { kind: "Watching", resourceVersion: "12" });
    assert.deepEqual(api.lists.map((l) => [l.limit, l.continue]), [
      [1, undefined],
      [1, "old"],
      [undefined, undefined],
    ]);
    assert.deepEqual([...r.listCached()].map((o) => o.metadata.name), [
      "a",
      "b",
    ]);
  },
);

bothModes(
  "Watching applies events in order, MODIFIED carries the previous object, bookmarks move the version",
  async () => {
    const api = new FakeApi();
    api.pages.push(() => ({ items: [obj("a", "1")], rv: "5" }));
    const clock = new FakeClock();
    const r = newReflector(api.lister, api.watcher, {
      clock,
      watchTimeoutSeconds: () => 321,
    });
    const ctl = new AbortController();
    const running = r.run(ctl.signal);
    const { events, done } = collect(r);
    const w = await api.nextWatch(1);
    assert.deepEqual(
      [
        w.opts.resourceVersion,
        w.opts.timeoutSeconds,
        w.opts.allowWatchBookmarks,
      ],
      ["5", 321, true],
    );
    w.send({ type: "ADDED", object: obj("b", "6") });
    w.send({ type: "MODIFIED", object: obj("a", "7", "new") });
    w.send({ type: "DELETED", object: obj("b", "8") });
    w.send({
      type: "BOOKMARK",
      object: { metadata: { resourceVersion: "9" } },
    });
    await until(() => events.length >= 6, 5_000, "live events", 0);
    assert.equal(r.cachedCount, 1, "b added then deleted, a modified");
    const modified = events.find((e) => e.type === "MODIFIED");
    assert.ok(modified?.type === "MODIFIED");
    assert.equal(modified.previous.metadata.resourceVersion, "1");
    assert.equal(modified.object.data, "new");

    clock.time += 5000; // a watch that lasted: its clean end resumes at once
    w.end();
    const w2 = await api.nextWatch(2);
    assert.equal(w2.opts.resourceVersion, "9", "resumes from the bookmark");
    ctl.abort();
    await running;
    await done;
    assert.deepEqual(summary(events), [
      "ADDED a@1",
      "SYNCED 5",
      "ADDED b@6",
      "MODIFIED a@7",
      "DELETED b@8",
      "BOOKMARK 9",
    ]);
    assert.equal(reflectorState(r).kind, "Stopped");
  },
);

bothModes(
  "410 as an ERROR event: DESYNCED, then, after a backoff, exactly the difference, then SYNCED",
  async () => {
    const api = new FakeApi();
    api.pages.push(
      () => ({
        items: [obj("keep", "1"), obj("change", "2"), obj("drop", "3")],
        rv: "10",
      }),
      () => ({
        items: [obj("keep", "1"), obj("change", "20"), obj("new", "21")],
        rv: "22",
      }),
    );
    const clock = new FakeClock();
    const r = newReflector(api.lister, api.watcher, {
      clock,
      backoff: new ExponentialBackoff({ random: () => 0 }),
    });
    const ctl = new AbortController();
    const running = r.run(ctl.signal);
    const { events, done } = collect(r);
    const w = await api.nextWatch(1);
    w.send({
      type: "ERROR",
      object: {
        code: 410,
        reason: "Expired",
        message: "too old resource version: 10 (15)",
      },
    });
    // client-go waits between relists: a server that expires every watch
    // gets a list every 800 ms at most, not one per round trip.
    await until(
      () => reflectorState(r).kind === "Backoff",
      5_000,
      "a backoff",
      0,
    );
    assert.equal(api.lists.length, 1, "no relist before the wait");
    assert.equal(await throughBackoff(r, clock), 800);
    const w2 = await api.nextWatch(2);
    assert.equal(w2.opts.resourceVersion, "22");
    ctl.abort();
    await running;
    await done;
    assert.deepEqual(summary(events), [
      "ADDED keep@1",
      "ADDED change@2",
      "ADDED drop@3",
      "SYNCED 10",
      "DESYNCED",
      "MODIFIED change@20",
      "ADDED new@21",
      "DELETED drop@3",
      "SYNCED 22",
    ]);
    assert.ok(
      !events.some((e) => e.type === "ERROR"),
      "an expiry is not an error for observers",
    );
  },
);

bothModes(
  "410 as an HTTP status from the watch request relists too",
  async () => {
    const api = new FakeApi();
    api.pages.push(
      () => ({ items: [], rv: "10" }),
      () => ({ items: [obj("x", "30")], rv: "31" }),
    );
    api.watchErrors.push(gone("Gone"));
    const r = newReflector(api.lister, api.watcher, {
      clock: new FakeClock(),
    });
    const signal = new AbortController().signal;
    assert.deepEqual(await stepReflector(r, { kind: "Empty" }, signal), {
      kind: "Watching",
      resourceVersion: "10",
    });
    const after410 = await stepReflector(r, {
      kind: "Watching",
      resourceVersion: "10",
    }, signal);
    assert.ok(after410.kind === "Backoff", "a relist waits a backoff first");
    assert.ok(after410.delayMs >= 800);
    assert.deepEqual(after410.next, { kind: "Empty" });
    assert.ok(!r.isSynced());
    assert.deepEqual(await stepReflector(r, { kind: "Empty" }, signal), {
      kind: "Watching",
      resourceVersion: "31",
    });
  },
);

bothModes(
  "any other failure backs off (client-go's numbers) and resumes from the last version",
  async () => {
    const api = new FakeApi();
    api.pages.push(() => ({ items: [], rv: "10" }));
    const clock = new FakeClock();
    const backoff = new ExponentialBackoff({ random: () => 0 });
    const r = newReflector(api.lister, api.watcher, {
      clock,
      backoff,
    });
    const signal = new AbortController().signal;
    await stepReflector(r, { kind: "Empty" }, signal);

    api.watchErrors.push(
      new TypeError("error sending request: connection reset"),
      new KubernetesApiError(503, {}, { method: "GET", path: "/x" }),
      new KubernetesApiError(429, {}, { method: "GET", path: "/x" }),
    );
    const states = [];
    for (let i = 0; i < 3; i++) {
      states.push(
        await stepReflector(
          r,
          { kind: "Watching", resourceVersion: "10" },
          signal,
        ),
      );
    }
    assert.deepEqual(states.map((s) => s.kind === "Backoff" && s.delayMs), [
      800,
      1600,
      3200,
    ]);
    assert.ok(
      states.every((s) =>
        s.kind === "Backoff" && s.next.kind === "Watching" &&
        s.next.resourceVersion === "10"
      ),
    );

    // A stream that breaks mid-way (a malformed line, a reset) keeps the version it reached.
    const stepping = stepReflector(
      r,
      { kind: "Watching", resourceVersion: "10" },
      signal,
    );
    const w = await api.nextWatch(1);
    // Once the Reflector reads (an error discards what a stream still holds).
    await new Promise((r) => setTimeout(r, 0));
    w.send({ type: "ADDED", object: obj("a", "11") });
    w.fail(new Error("malformed JSON on line 2 of the stream"));
    const after = await stepping;
    assert.equal(after.kind, "Backoff");
    assert.deepEqual(after.kind === "Backoff" && after.next, {
      kind: "Watching",
      resourceVersion: "11",
    });

    // Two minutes without failure: back to 800 ms.
    clock.time += 120_000;
    api.watchErrors.push(new Error("reset"));
    const fresh = await stepReflector(r, {
      kind: "Watching",
      resourceVersion: "11",
    }, signal);
    assert.equal(fresh.kind === "Backoff" && fresh.delayMs, 800);

    // Backoff waits on the clock, then moves on.
    const waiting = stepReflector(r, {
      kind: "Backoff",
      delayMs: 800,
      next: { kind: "Empty" },
    }, signal);
    clock.advance(800);
    assert.deepEqual(await waiting, { kind: "Empty" });
  },
);

bothModes(
  "401 and 403 reach observers as ERROR events, and the loop keeps retrying",
  async () => {
    const api = new FakeApi();
    const forbidden = () =>
      new KubernetesApiError(403, {
        reason: "Forbidden",
        message: "configmaps is forbidden",
      }, { method: "GET", path: "/x" });
    api.pages.push(
      forbidden,
      forbidden,
      () => ({ items: [obj("a", "1")], rv: "2" }),
    );
    const clock = new FakeClock();
    const r = newReflector(api.lister, api.watcher, {
      clock,
      backoff: new ExponentialBackoff({ random: () => 0 }),
    });
    const ctl = new AbortController();
    const running = r.run(ctl.signal);
    const { events, done } = collect(r);
    await until(() => clock.sleeps.includes(800), 5_000, "first backoff", 0);
    clock.advance(800);
    await until(() => clock.sleeps.includes(1600), 5_000, "second backoff", 0);
    clock.advance(1600);
    await api.nextWatch(1);
    ctl.abort();
    await running;
    await done;
    assert.deepEqual(summary(events), [
      "ERROR",
      "ERROR",
      "ADDED a@1",
      "SYNCED 2",
    ]);
    const err = events[0];
    assert.ok(err.type === "ERROR");
    assert.equal(err.object.code, 403);
    assert.equal(err.object.message, "configmaps is forbidden");
  },
);

bothModes(
  "a non-410 ERROR event is passed on, then the watch backs off and resumes",
  async () => {
    const api = new FakeApi();
    api.pages.push(() => ({ items: [], rv: "10" }));
    const r = newReflector(api.lister, api.watcher, {
      clock: new FakeClock(),
    });
    const signal = new AbortController().signal;
    await stepReflector(r, { kind: "Empty" }, signal);
    const { events } = collect(r);
    await new Promise((res) => setTimeout(res, 0));
    const stepping = stepReflector(
      r,
      { kind: "Watching", resourceVersion: "10" },
      signal,
    );
    const w = await api.nextWatch(1);
    w.send({
      type: "ERROR",
      object: { code: 500, reason: "InternalError", message: "etcd is sad" },
    });
    const next = await stepping;
    assert.equal(next.kind, "Backoff");
    assert.ok(w.opts.abortSignal?.aborted, "the watch request is aborted");
    await until(
      () => events.some((e) => e.type === "ERROR"),
      5_000,
      "the ERROR event",
      0,
    );
    r.stop();
  },
);

bothModes(
  "a stalled watch (no event within the inactivity timeout) is aborted and retried",
  async () => {
    const api = new FakeApi();
    api.pages.push(() => ({ items: [], rv: "10" }));
    const clock = new FakeClock();
    const r = newReflector(api.lister, api.watcher, {
      clock,
      inactivityTimeoutMs: 60_000,
    });
    const signal = new AbortController().signal;
    await stepReflector(r, { kind: "Empty" }, signal);
    const stepping = stepReflector(
      r,
      { kind: "Watching", resourceVersion: "10" },
      signal,
    );
    const w = await api.nextWatch(1);
    w.send({ type: "ADDED", object: obj("a", "11") });
    await until(
      () => r.getCached("ns", "a") !== undefined,
      5_000,
      "the event",
      0,
    );
    clock.advance(59_000); // each event restarts the timer
    await new Promise((res) => setTimeout(res, 0));
    clock.advance(60_000);
    const next = await stepping;
    assert.equal(next.kind, "Backoff");
    assert.deepEqual(next.kind === "Backoff" && next.next, {
      kind: "Watching",
      resourceVersion: "11",
    });
    assert.ok(w.opts.abortSignal?.aborted, "the stalled request was aborted");
  },
);

bothModes(
  "a watch that ends at once with nothing backs off instead of spinning",
  async () => {
    const api = new FakeApi();
    const clock = new FakeClock();
    const r = newReflector(api.lister, api.watcher, { clock });
    const stepping = stepReflector(
      r,
      { kind: "Watching", resourceVersion: "10" },
      new AbortController().signal,
    );
    (await api.nextWatch(1)).end();
    const next = await stepping;
    assert.equal(next.kind, "Backoff");
  },
);

bothModes(
  "observers: a consistent snapshot, then live events; several at once",
  async () => {
    const api = new FakeApi();
    api.pages.push(() => ({ items: [obj("a", "1"), obj("b", "2")], rv: "3" }));
    const r = newReflector(api.lister, api.watcher, {
      clock: new FakeClock(),
    });
    const ctl = new AbortController();
    const running = r.run(ctl.signal);
    const w = await api.nextWatch(1);
    const late1 = collect(r);
    const late2 = collect(r);
    await until(
      () => late1.events.length === 3 && late2.events.length === 3,
      5_000,
      "snapshots",
      0,
    );
    w.send({ type: "ADDED", object: obj("c", "4") });
    await until(
      () => late1.events.length === 4 && late2.events.length === 4,
      5_000,
      "live event",
      0,
    );
    ctl.abort();
    await running;
    await Promise.all([late1.done, late2.done]);
    for (const o of [late1, late2]) {
      assert.deepEqual(summary(o.events), [
        "ADDED a@1",
        "ADDED b@2",
        "SYNCED 3",
        "ADDED c@4",
      ]);
    }
  },
);

bothModes(
  "a slow observer is bounded: past its buffer it gets DESYNCED and the exact difference",
  async () => {
    const api = new FakeApi();
    api.pages.push(() => ({ items: [obj("a", "1"), obj("b", "2")], rv: "3" }));
    const r = newReflector(api.lister, api.watcher, {
      clock: new FakeClock(),
      observerBufferSize: 3,
    });
    const ctl = new AbortController();
    const running = r.run(ctl.signal);
    const w = await api.nextWatch(1);
    const iter = r.observeAll();
    const seen: ReflectorEvent<Obj, Status>[] = [];
    seen.push((await iter.next()).value!); // registered; the snapshot is being read
    for (let i = 0; i < 10; i++) {
      w.send({ type: "MODIFIED", object: obj("a", `${10 + i}`) });
    }
    w.send({ type: "DELETED", object: obj("b", "30") });
    w.send({ type: "ADDED", object: obj("z", "31") });
    await until(
      () => r.getCached("ns", "z") !== undefined,
      5_000,
      "the reflector to catch up",
      0,
    );
    ctl.abort();
    await running;
    for await (const evt of iter) seen.push(evt);
    assert.deepEqual(summary(seen), [
      "ADDED a@1",
      "ADDED b@2",
      "SYNCED 3",
      "DESYNCED",
      "MODIFIED a@19",
      "ADDED z@31",
      "DELETED b@2",
      "SYNCED 31",
    ]);
    // Replaying what the observer saw gives the reflector's cache.
    const replay = new Map<string, string>();
    for (const e of seen) {
      if (e.type === "ADDED" || e.type === "MODIFIED") {
        replay.set(e.object.metadata.name, e.object.metadata.resourceVersion);
      }
      if (e.type === "DELETED") replay.delete(e.object.metadata.name);
    }
    assert.deepEqual(
      [...replay].sort(),
      [...r.listCached()].map((
        o,
      ) => [o.metadata.name, o.metadata.resourceVersion]).sort(),
    );
  },
);

bothModes(
  "a predicate filters the cache; an object that stops matching is DELETED",
  async () => {
    const api = new FakeApi();
    api.pages.push(() => ({
      items: [obj("a", "1", "keep"), obj("b", "2", "skip")],
      rv: "3",
    }));
    const r = newReflector(api.lister, api.watcher, {
      clock: new FakeClock(),
      predicate: (o) => o.data === "keep",
    });
    const ctl = new AbortController();
    const running = r.run(ctl.signal);
    const { events, done } = collect(r);
    const w = await api.nextWatch(1);
    w.send({ type: "MODIFIED", object: obj("b", "4", "keep") });
    w.send({ type: "MODIFIED", object: obj("a", "5", "skip") });
    await until(() => events.length === 4, 5_000, "events", 0);
    ctl.abort();
    await running;
    await done;
    assert.deepEqual(summary(events), [
      "ADDED a@1",
      "SYNCED 3",
      "ADDED b@4",
      "DELETED a@1",
    ]);
  },
);

bothModes(
  "run: aborting returns promptly with everything closed; stop twice is harmless; run twice throws",
  async () => {
    const api = new FakeApi();
    api.pages.push(() => ({ items: [], rv: "1" }));
    const r = newReflector(api.lister, api.watcher);
    const running = r.run();
    const w = await api.nextWatch(1);
    const { done } = collect(r);
    r.stop();
    r.stop();
    await running;
    await done;
    assert.ok(w.opts.abortSignal?.aborted);
    await assert.rejects(() => r.run(), /already called/);
    // An observer that starts after the stop gets the snapshot and finishes.
    const after = collect(r);
    await after.done;
    assert.deepEqual(summary(after.events), ["SYNCED 1"]);
  },
);

bothModes(
  "a watch whose events are all there at once (an in-process fake) cannot starve timers: a stop() from a timer returns promptly",
  async () => {
    const api = new FakeApi();
    api.pages.push(() => ({ items: [], rv: "1" }));
    let sent = 0;
    const flood = () =>
      Promise.resolve(
        new ReadableStream<WatchEvent<Obj, Status>>({
          pull: (c) =>
            ++sent > 300_000 ? c.close() : c.enqueue({
              type: "ADDED",
              object: obj(`o${sent % 100}`, String(sent + 1)),
            }),
        }),
      );
    const r = newReflector(api.lister, flood, {
      clock: new FakeClock(),
    });
    const started = performance.now();
    const stopper = setTimeout(() => r.stop(), 100);
    await r.run();
    clearTimeout(stopper);
    const took = performance.now() - started;
    assert.ok(took < 500, `run() returned ${took} ms after the start`);
    assert.ok(sent < 300_000, "the stream was not read to its end first");
  },
);

bothModes(
  "ExponentialBackoff: 800 ms doubling to 30 s, jitter up to +100%, reset after two quiet minutes",
  () => {
    const b = new ExponentialBackoff({ random: () => 0 });
    assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 7].map((t) => b.next(t)), [
      800,
      1600,
      3200,
      6400,
      12800,
      25600,
      30000,
      30000,
    ]);
    assert.equal(b.next(8 + 120_000), 800);
    const jittery = new ExponentialBackoff({ random: () => 0.5 });
    assert.equal(jittery.next(0), 1200);
    b.reset();
    assert.equal(b.next(0), 800);
  },
);

bothModes(
  "an observer attached before a first sync of exactly 10,000 objects gets them and SYNCED, never DESYNCED",
  async () => {
    const api = new FakeApi();
    const items = Array.from({ length: 10_000 }, (_, i) => obj(`o${i}`, "5"));
    api.pages.push(() => ({ items, rv: "7" }));
    // The default buffer (10,000 events) used to overflow on 10,000 ADDED + SYNCED.
    const r = newReflector(api.lister, api.watcher, {
      clock: new FakeClock(),
    });
    const iter = r.observeAll();
    const first = iter.next(); // registered before the list
    const ctl = new AbortController();
    const running = r.run(ctl.signal);
    await api.nextWatch(1);
    ctl.abort();
    await running;
    const seen = [(await first).value!];
    for await (const evt of iter) seen.push(evt);
    assert.equal(seen.filter((e) => e.type === "DESYNCED").length, 0);
    assert.equal(seen.filter((e) => e.type === "ADDED").length, 10_000);
    assert.equal(seen.length, 10_001);
    assert.deepEqual(seen.at(-1), {
      type: "SYNCED",
      object: { metadata: { resourceVersion: "7" } },
    });
  },
);

bothModes(
  "a relist far larger than the observer buffer reaches a slow observer whole, as one batch",
  async () => {
    const api = new FakeApi();
    api.pages.push(() => ({ items: [obj("a", "1")], rv: "2" }));
    const many = Array.from({ length: 50 }, (_, i) => obj(`n${i}`, "9"));
    api.pages.push(() => ({ items: many, rv: "10" }));
    const clock = new FakeClock();
    const r = newReflector(api.lister, api.watcher, {
      clock,
      observerBufferSize: 3,
    });
    const ctl = new AbortController();
    const running = r.run(ctl.signal);
    const w = await api.nextWatch(1);
    const iter = r.observeAll();
    const seen = [(await iter.next()).value!]; // registered
    w.send({ type: "ERROR", object: { code: 410, reason: "Expired" } });
    await throughBackoff(r, clock);
    await api.nextWatch(2);
    ctl.abort();
    await running;
    for await (const evt of iter) seen.push(evt);
    assert.deepEqual(summary(seen).slice(0, 3), [
      "ADDED a@1",
      "SYNCED 2",
      "DESYNCED",
    ]);
    assert.equal(seen.filter((e) => e.type === "DESYNCED").length, 1);
    assert.equal(seen.filter((e) => e.type === "ADDED").length, 51);
    assert.deepEqual(summary(seen).slice(-2), ["DELETED a@1", "SYNCED 10"]);
  },
);

bothModes(
  "an observer's queue hands events back in order across its compactions, and its limit counts only events still waiting",
  () => {
    const q = new ObserverQueue<Obj, Status>(4000);
    const evt = (i: number): ReflectorEvent<Obj, Status> => ({
      type: "ADDED",
      object: obj(`o${i}`, String(i)),
    });
    const rv = (e: unknown) =>
      Number((e as { object: Obj }).object.metadata.resourceVersion);
    for (let i = 0; i < 3000; i++) q.push(evt(i));
    for (let i = 0; i < 2500; i++) assert.equal(rv(q.take()), i);
    // 500 waiting: 3500 more fit under the limit of 4000.
    for (let i = 3000; i < 6500; i++) q.push(evt(i));
    assert.equal(q.overflowed, false);
    assert.equal(q.length, 4000);
    for (let i = 2500; i < 6500; i++) assert.equal(rv(q.take()), i);
    assert.equal(q.take(), undefined);
    for (let i = 0; i <= 4000; i++) q.push(evt(i));
    assert.equal(q.overflowed, true);
    assert.equal(q.take(), undefined);
  },
);
