// The library's one list/watch engine and its one policy (client-go's),
// without a cluster: waitFor against a loopback HTTP server that ends or
// expires every watch at once stays within a handful of requests and ends
// at its deadline; waitFor with an in-process fake whose promises resolve at
// once does not starve its own timeout; the paged list falls back once to a
// full list on an expired continue token and then gives up with a typed
// error; readAllPages never retries; and, with a fake clock, the exact
// backoff sequence, the "very short watch" rule, the wait before every
// relist and the reset after two healthy minutes, on the Reflector whose
// loop waitFor runs.
//
// On the code before the engine: the loopback server got thousands of
// watches (or hundreds of lists) in 2 s, the in-process fake spun until its
// call budget ran out, and DynamicClient.list restarted the paged list
// three times.

import assert from "node:assert/strict";
import {
  DynamicClient,
  type JSONValue,
  KubeConfigRestClient,
  KubernetesApiError,
  readAllPages,
  Reflector,
  type RequestOptions,
  type RestClient,
  TransportError,
  WaitError,
  waitFor,
  type WatchEvent,
} from "../../../mod.ts";
import {
  ExponentialBackoff,
  type ListOpts,
  ReflectorError,
  type WatchOpts,
} from "../../../lib/watch/mod.ts";
import type { Status } from "../../../lib/errors/mod.ts";
import {
  isTooLargeResourceVersion,
  needsRelist,
} from "../../../lib/watch/_retry_policy.ts";
import { rejection, until } from "../../_helpers.ts";
import { FakeClock } from "../../_fake_clock.ts";

const ref = { apiVersion: "v1", kind: "ConfigMap", name: "c", namespace: "n" };
const never = () => false;

/** Discovery for ConfigMaps, as an apiserver answers it. */
function discovery(path: string): JSONValue | undefined {
  if (path === "/api") return { kind: "APIVersions", versions: ["v1"] };
  if (path === "/apis") return { kind: "APIGroupList", groups: [] };
  if (path === "/api/v1") {
    return {
      kind: "APIResourceList",
      groupVersion: "v1",
      resources: [{
        name: "configmaps",
        kind: "ConfigMap",
        namespaced: true,
        verbs: ["list", "watch"],
      }],
    };
  }
  return undefined;
}

const expiredStatus = {
  kind: "Status",
  apiVersion: "v1",
  status: "Failure",
  code: 410,
  reason: "Expired",
  message: "too old resource version: 1 (2)",
};

/** A loopback apiserver stand-in whose every watch ends at once, or answers 410. */
function misbehavingServer(watchAnswer: "end" | "410") {
  const lists: number[] = [];
  const watches: number[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (req) => {
      const url = new URL(req.url);
      const known = discovery(url.pathname);
      if (known) return Response.json(known);
      if (url.searchParams.get("watch") !== "true") {
        lists.push(performance.now());
        return Response.json({
          kind: "ConfigMapList",
          apiVersion: "v1",
          metadata: { resourceVersion: "1" },
          items: [],
        });
      }
      watches.push(performance.now());
      return watchAnswer === "end"
        ? new Response("", { headers: { "content-type": "application/json" } })
        : Response.json(expiredStatus, { status: 410 });
    },
  );
  return {
    server,
    lists,
    watches,
    url: `http://127.0.0.1:${server.addr.port}`,
  };
}

Deno.test("waitFor against a server that ends every watch at once backs off (client-go's very short watch) and ends at its deadline", async () => {
  const peer = misbehavingServer("end");
  const client = await KubeConfigRestClient.forKubectlProxy(peer.url);
  try {
    const started = performance.now();
    const err = await rejection(
      waitFor(client, ref, never, { timeoutMs: 2000 }),
      WaitError,
    );
    const took = performance.now() - started;
    assert.equal(err.reason, "Timeout");
    assert.ok(
      took >= 1990 && took < 2500,
      `the deadline fired after ${took} ms`,
    );
    // 800 ms, then 1.6 s (+ up to 100% jitter): at most 3 watches in 2 s.
    assert.equal(peer.lists.length, 1, "one list");
    assert.ok(
      peer.watches.length >= 1 && peer.watches.length <= 3,
      `${peer.watches.length} watches in 2 s`,
    );
  } finally {
    client.close();
    await peer.server.shutdown();
  }
});

Deno.test("waitFor against a server that answers 410 to every watch relists at most every 800 ms", async () => {
  const peer = misbehavingServer("410");
  const client = await KubeConfigRestClient.forKubectlProxy(peer.url);
  try {
    const err = await rejection(
      waitFor(client, ref, never, { timeoutMs: 2000 }),
      WaitError,
    );
    assert.equal(err.reason, "Timeout");
    assert.ok(
      peer.lists.length >= 2 && peer.lists.length <= 3,
      `${peer.lists.length} lists in 2 s`,
    );
    for (let i = 1; i < peer.lists.length; i++) {
      const gap = peer.lists[i] - peer.lists[i - 1];
      assert.ok(gap >= 790, `relist ${i} came ${gap} ms after the one before`);
    }
    assert.equal(peer.watches.length, peer.lists.length, "one watch per list");
  } finally {
    client.close();
    await peer.server.shutdown();
  }
});

/**
 * An in-process RestClient, as users write for unit tests: every promise
 * resolves at once and every watch stream is already closed. It refuses
 * after `budget` requests, so code that spins ends instead of hanging.
 */
function instantFake(budget: number): RestClient & { calls: number } {
  const fake = {
    calls: 0,
    performRequest(opts: RequestOptions): Promise<unknown> {
      const known = discovery(opts.path);
      if (known) return Promise.resolve(known);
      if (++fake.calls > budget) {
        return Promise.reject(new Error(`call budget of ${budget} exhausted`));
      }
      if (opts.querystring?.get("watch") === "true") {
        return Promise.resolve(
          new ReadableStream<Uint8Array>({ start: (c) => c.close() }),
        );
      }
      return Promise.resolve({ metadata: { resourceVersion: "1" }, items: [] });
    },
  };
  return fake as RestClient & { calls: number };
}

Deno.test("waitFor with an in-process fake whose watch ends at once: the timeout fires on time and nothing spins", async () => {
  const client = instantFake(200);
  const started = performance.now();
  const err = await rejection(
    waitFor(client, ref, never, { timeoutMs: 1000 }),
    WaitError,
  );
  const took = performance.now() - started;
  assert.equal(err.reason, "Timeout", err.message);
  assert.ok(took >= 990 && took < 2500, `the deadline fired after ${took} ms`);
  // A list and a watch, then the 0.8–1.6 s backoff: one more watch at most.
  assert.ok(client.calls <= 3, `${client.calls} requests in 1 s`);
});

Deno.test("waitFor on a watch whose events are all there at once (never a pause) still ends at its deadline", async () => {
  let watches = 0;
  const event = {
    type: "MODIFIED",
    object: { metadata: { name: "c", resourceVersion: "2" } },
  };
  const client = {
    performRequest(opts: RequestOptions): Promise<unknown> {
      const known = discovery(opts.path);
      if (known) return Promise.resolve(known);
      if (opts.querystring?.get("watch") !== "true") {
        return Promise.resolve({
          metadata: { resourceVersion: "1" },
          items: [],
        });
      }
      if (++watches > 3) return Promise.reject(new Error("watch budget spent"));
      let sent = 0;
      return Promise.resolve(
        // Parsed events, as a transport's stream with expectJson is.
        new ReadableStream<JSONValue>({
          pull: (c) => (++sent > 1_000_000 ? c.close() : c.enqueue(event)),
        }),
      );
    },
  } as RestClient;
  const started = performance.now();
  const err = await rejection(
    waitFor(client, ref, never, { timeoutMs: 500 }),
    WaitError,
  );
  const took = performance.now() - started;
  assert.equal(err.reason, "Timeout", err.message);
  // Without turns to the timers it would take the seconds 3 million events
  // take; the bound leaves room for a loaded machine.
  assert.ok(took < 2000, `the deadline fired after ${took} ms`);
});

/** A RestClient serving pages of ConfigMaps c0…c4, `limit` at a time; continue tokens expire as scripted. */
function pagedFake(expireToken: (token: string) => boolean) {
  const requests: { limit?: string; continue?: string }[] = [];
  const all = Array.from({ length: 5 }, (_, i) => ({
    metadata: { name: `c${i}`, namespace: "n", resourceVersion: "7" },
  }));
  const client = {
    performRequest(opts: RequestOptions): Promise<unknown> {
      const known = discovery(opts.path);
      if (known) return Promise.resolve(known);
      const q = opts.querystring ?? new URLSearchParams();
      const limit = q.get("limit") ?? undefined;
      const token = q.get("continue") ?? undefined;
      requests.push({
        ...(limit ? { limit } : {}),
        ...(token ? { continue: token } : {}),
      });
      if (token && expireToken(token)) {
        return Promise.reject(
          new KubernetesApiError(410, expiredStatus, {
            method: "GET",
            path: opts.path,
          }),
        );
      }
      // This server paginates even a list without limit, two at a time.
      const from = token ? Number(token.split(":")[1]) : 0;
      const size = Number(limit ?? 2);
      const next = from + size < all.length
        ? `${limit ? "paged" : "full"}:${from + size}`
        : undefined;
      return Promise.resolve({
        metadata: { resourceVersion: "7", ...(next ? { continue: next } : {}) },
        items: all.slice(from, from + size),
      });
    },
  } as RestClient;
  return { client, requests };
}

Deno.test("DynamicClient.list: an expired continue token falls back once to a full list without limit (client-go's pager), nothing twice", async () => {
  const { client, requests } = pagedFake((t) => t === "paged:2");
  const list = await new DynamicClient(client).list(
    { apiVersion: "v1", kind: "ConfigMap", namespace: "n" },
    { limit: 2 },
  );
  assert.deepEqual(list.items.map((o) => o.metadata?.name), [
    "c0",
    "c1",
    "c2",
    "c3",
    "c4",
  ]);
  assert.equal(list.metadata.resourceVersion, "7");
  assert.deepEqual(requests, [
    { limit: "2" },
    { limit: "2", continue: "paged:2" },
    {}, // the full list: no limit, no continue
    { continue: "full:2" },
    { continue: "full:4" },
  ]);
});

Deno.test("DynamicClient.list: a continue token that expires every time ends, after one full list, with the server's typed 410", async () => {
  const { client, requests } = pagedFake(() => true);
  const err = await rejection(
    new DynamicClient(client).list(
      { apiVersion: "v1", kind: "ConfigMap", namespace: "n" },
      { limit: 2 },
    ),
    KubernetesApiError,
  );
  assert.ok(err.isGone());
  assert.equal(err.reason, "Expired");
  assert.deepEqual(requests, [
    { limit: "2" },
    { limit: "2", continue: "paged:2" },
    {},
    { continue: "full:2" },
  ]);
});

Deno.test("readAllPages hands out the pages it read, then the expired token's 410, and never retries on its own", async () => {
  const tokens: (string | undefined)[] = [];
  const seen: number[] = [];
  const err = await (async () => {
    for await (
      const page of readAllPages((token) => {
        tokens.push(token);
        return token
          ? Promise.reject(
            new KubernetesApiError(410, expiredStatus, {
              method: "GET",
              path: "/x",
            }),
          )
          : Promise.resolve({ metadata: { continue: "t1" }, items: [1, 2] });
      })
    ) seen.push(...page.items);
  })().catch((e) => e);
  assert.ok(err instanceof KubernetesApiError && err.isGone());
  assert.deepEqual(seen, [1, 2]);
  assert.deepEqual(tokens, [undefined, "t1"]);
});

// The engine under waitFor (the Reflector's loop), with a fake clock: the
// policy, exactly.

type Obj = { metadata: { name: string; resourceVersion: string } };

/** A lister and watcher whose answers the test scripts one by one. */
class ScriptedApi {
  lists: ListOpts[] = [];
  watches: WatchOpts[] = [];
  listAnswers: string[] = [];
  watchAnswers: (() => Promise<ReadableStream<WatchEvent<Obj, Status>>>)[] = [];
  lister = (opts: ListOpts) => {
    this.lists.push(opts);
    const rv = this.listAnswers.shift();
    if (!rv) return new Promise<never>(() => {});
    return Promise.resolve({
      metadata: { resourceVersion: rv },
      items: [] as Obj[],
    });
  };
  watcher = (opts: WatchOpts) => {
    this.watches.push(opts);
    const next = this.watchAnswers.shift();
    return next ? next() : new Promise<never>(() => {});
  };
}

const ended = () =>
  Promise.resolve(
    new ReadableStream<WatchEvent<Obj, Status>>({ start: (c) => c.close() }),
  );

/** A stream the test ends by hand. */
function held() {
  let end!: (events?: WatchEvent<Obj, Status>[]) => void;
  const stream = new ReadableStream<WatchEvent<Obj, Status>>({
    start: (c) => {
      end = (events = []) => {
        for (const e of events) c.enqueue(e);
        c.close();
      };
    },
  });
  return { stream, end: (events?: WatchEvent<Obj, Status>[]) => end(events) };
}

/** Runs a Reflector over `api` on `clock`, recording its backoffs and the failures it reports. */
function run(api: ScriptedApi, clock: FakeClock) {
  const real = new ExponentialBackoff({ random: () => 0 });
  const delays: number[] = [];
  const errors: unknown[] = [];
  const reflector = new Reflector<Obj, Status>(api.lister, api.watcher, {
    clock,
    initialList: "list",
    backoff: {
      next: (now) => {
        const d = real.next(now);
        delays.push(d);
        return d;
      },
      reset: () => real.reset(),
    },
    onError: (err) => errors.push(err),
  });
  const running = reflector.run();
  return { reflector, running, delays, errors };
}

/** Lets the pending backoff of `ms` pass. */
async function pass(clock: FakeClock, ms: number): Promise<void> {
  await until(() => clock.sleeping(ms), 5_000, `a ${ms} ms backoff`, 0);
  clock.advance(ms);
}

Deno.test("policy: very short watches back off 800, 1600, 3200 ms; a watch that lasted a second resumes at once; two healthy minutes reset the backoff", async () => {
  const api = new ScriptedApi();
  const clock = new FakeClock();
  api.listAnswers.push("5");
  api.watchAnswers.push(ended, ended, ended);
  const lasting = held();
  api.watchAnswers.push(() => Promise.resolve(lasting.stream));
  const healthy = held();
  api.watchAnswers.push(() => Promise.resolve(healthy.stream));
  const e = run(api, clock);
  await pass(clock, 800);
  await pass(clock, 1600);
  await pass(clock, 3200);
  await until(() => api.watches.length === 4, 5_000, "the fourth watch", 0);
  clock.time += 1000; // this one lasts a second: a clean end, resumed at once
  lasting.end();
  await until(() => api.watches.length === 5, 5_000, "the fifth watch", 0);
  assert.deepEqual(e.delays, [800, 1600, 3200], "no wait before it");
  clock.time += 120_000; // two minutes without a failure
  // The watch after it fails at once: the backoff starts over at 800 ms.
  api.watchAnswers.push(() =>
    Promise.reject(new TransportError("reset", { kind: "connection-reset" }))
  );
  healthy.end([{
    type: "BOOKMARK",
    object: { metadata: { resourceVersion: "9" } },
  }]);
  await until(() => e.delays.length === 4, 5_000, "a fourth backoff", 0);
  assert.deepEqual(e.delays, [800, 1600, 3200, 800]);
  assert.equal(
    api.lists.length,
    1,
    "a watch that ends is resumed, not relisted",
  );
  assert.deepEqual(
    api.watches.map((w) => w.resourceVersion),
    ["5", "5", "5", "5", "5", "9"],
  );
  assert.match(String(e.errors[0]), /very short watch/);
  e.reflector.stop();
  await e.running;
});

Deno.test("policy: a 410 relists only after a backoff, so does a too-large resourceVersion; a 503 backs off and resumes; every failure reaches onError", async () => {
  const api = new ScriptedApi();
  const clock = new FakeClock();
  const status = (code: number, extra: Partial<Status> = {}) =>
    new KubernetesApiError(code, { ...extra }, { method: "GET", path: "/x" });
  api.listAnswers.push("10", "20", "30");
  const first = held();
  const tooLarge = status(504, {
    reason: "Timeout",
    details: {
      causes: [{
        reason: "ResourceVersionTooLarge",
        message: "Too large resource version",
      }],
    },
  });
  api.watchAnswers.push(
    () => Promise.resolve(first.stream),
    () => Promise.reject(tooLarge),
    () => Promise.reject(status(503)),
    () => Promise.reject(status(403)),
  );
  const e = run(api, clock);
  await until(() => api.watches.length === 1, 5_000, "the first watch", 0);
  first.end([{ type: "ERROR", object: expiredStatus }]);
  await until(() => clock.sleeping(800), 5_000, "the wait before relisting", 0);
  assert.equal(api.lists.length, 1, "no relist before the wait");
  clock.advance(800);
  await pass(clock, 1600); // the too-large version: relist after a wait too
  await pass(clock, 3200); // the 503: back off, then watch again
  await until(() => e.errors.length === 2, 5_000, "the 403 reported", 0);
  e.reflector.stop();
  await e.running;
  assert.equal(api.lists.length, 3);
  assert.deepEqual(
    api.watches.map((w) => w.resourceVersion),
    ["10", "20", "30", "30"],
  );
  // A 410 and a too-large version are not failures (they relist); the 503
  // and the 403 are, and onError hears of each.
  assert.deepEqual(
    e.errors.map((err) => {
      assert.ok(err instanceof ReflectorError);
      return [err.reason, (err.cause as KubernetesApiError).code];
    }),
    [["WatchStartFailed", 503], ["WatchStartFailed", 403]],
  );
});

Deno.test("the policy's predicates: an expired version or a too-large one (any server version's wording) lists again", () => {
  const err = (code: number, s: Partial<Status>) =>
    new KubernetesApiError(code, s, { method: "GET", path: "/x" });
  assert.ok(needsRelist(err(410, { reason: "Expired" })));
  assert.ok(needsRelist(err(410, { reason: "Gone" }))); // servers up to 1.17
  // 1.18.6+: a cause of type ResourceVersionTooLarge.
  assert.ok(isTooLargeResourceVersion(err(504, {
    reason: "Timeout",
    details: { causes: [{ reason: "ResourceVersionTooLarge" }] },
  })));
  // 1.17.0–1.18.5: a Timeout whose cause says so.
  assert.ok(isTooLargeResourceVersion(err(504, {
    reason: "Timeout",
    details: { causes: [{ message: "Too large resource version" }] },
  })));
  // Before 1.17: only the message.
  assert.ok(isTooLargeResourceVersion(err(504, {
    reason: "Timeout",
    message: "Too large resource version: 12, current: 10",
  })));
  assert.ok(!isTooLargeResourceVersion(err(504, { reason: "Timeout" })));
  assert.ok(!needsRelist(err(500, {})));
  assert.ok(!needsRelist(new Error("Expired")));
});

/** A ConfigMapList as the apiserver writes it: the items carry no apiVersion or kind, except one that does. */
const typedList = {
  kind: "ConfigMapList",
  apiVersion: "v1",
  metadata: { resourceVersion: "7" },
  items: [
    {
      metadata: {
        name: "bare",
        namespace: "n",
        uid: "u1",
        resourceVersion: "7",
      },
    },
    {
      apiVersion: "example.com/v2",
      kind: "Own",
      metadata: {
        name: "own",
        namespace: "n",
        uid: "u2",
        resourceVersion: "7",
      },
    },
  ],
};

Deno.test("listed items get the list's apiVersion and kind (client-go's decodeToList), in DynamicClient.list and in the Reflector's initial state; an item's own are kept", async () => {
  const client = {
    performRequest(opts: RequestOptions): Promise<unknown> {
      return Promise.resolve(
        discovery(opts.path) ?? structuredClone(typedList),
      );
    },
  } as RestClient;
  const kinds = (items: { apiVersion?: string; kind?: string }[]) =>
    items.map((o) => `${o.apiVersion} ${o.kind}`);
  const list = await new DynamicClient(client).list({
    apiVersion: "v1",
    kind: "ConfigMap",
    namespace: "n",
  });
  assert.deepEqual(kinds(list.items), ["v1 ConfigMap", "example.com/v2 Own"]);

  const stop = new AbortController();
  const reflector = new Reflector<
    { apiVersion?: string; kind?: string; metadata: { name: string } }
  >(
    () => Promise.resolve(structuredClone(typedList)),
    (opts: WatchOpts) =>
      Promise.resolve(
        new ReadableStream({
          start(c) {
            opts.abortSignal?.addEventListener("abort", () => c.close());
          },
        }),
      ),
  );
  const running = reflector.run(stop.signal);
  const added: string[] = [];
  for await (const evt of reflector.observeAll(stop.signal)) {
    if (evt.type === "SYNCED") break;
    if (evt.type === "ADDED") added.push(...kinds([evt.object]));
  }
  stop.abort();
  await running;
  assert.deepEqual(added.sort(), ["example.com/v2 Own", "v1 ConfigMap"]);
});
