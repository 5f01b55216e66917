// Client-side rate limiting (client-go's QPS and Burst token bucket) and
// retries under a flood of 429s. The bucket is checked on a fake clock
// (burst, refill, order, abort); the client's limit against a loopback
// server that records when each request arrived: a flood of concurrent
// requests, from several helpers on one client, arrives no faster than the
// limit allows, and a server answering 429 with Retry-After to most of a
// flood still gets every request through, each within its retries.

import assert from "node:assert/strict";
import {
  DynamicClient,
  KubeConfig,
  KubeConfigRestClient,
  KubectlRawRestClient,
  KubernetesApiError,
} from "../../../mod.ts";
import {
  type BucketClock,
  TokenBucket,
} from "../../../lib/_internal/token_bucket.ts";
import { rejection } from "../../_helpers.ts";

/** A clock whose sleeps end when the test advances it. */
function fakeClock() {
  let now = 0;
  const sleepers: { at: number; resolve: () => void }[] = [];
  const clock: BucketClock = {
    now: () => now,
    sleep: (ms, signal) =>
      new Promise<void>((resolve, reject) => {
        const entry = { at: now + ms, resolve };
        sleepers.push(entry);
        signal?.addEventListener("abort", () => {
          sleepers.splice(sleepers.indexOf(entry), 1);
          reject(signal.reason);
        }, { once: true });
      }),
  };
  return {
    clock,
    async advance(ms: number) {
      now += ms;
      for (const s of sleepers.filter((s) => s.at <= now)) {
        sleepers.splice(sleepers.indexOf(s), 1);
        s.resolve();
      }
      await new Promise((r) => setTimeout(r, 0));
    },
  };
}

Deno.test("the token bucket lets a burst through at once, then one request per 1/qps, in call order", async () => {
  const t = fakeClock();
  const bucket = new TokenBucket({ qps: 2, burst: 3 }, t.clock);
  const done: number[] = [];
  const takes = Array.from(
    { length: 6 },
    (_, i) => bucket.take().then(() => void done.push(i)),
  );
  await t.advance(0);
  assert.deepEqual(done, [0, 1, 2], "the burst goes at once");
  await t.advance(499);
  assert.deepEqual(done, [0, 1, 2], "not before 1/qps");
  await t.advance(1);
  assert.deepEqual(done, [0, 1, 2, 3]);
  await t.advance(500);
  await t.advance(500);
  assert.deepEqual(done, [0, 1, 2, 3, 4, 5], "in call order");
  await Promise.all(takes);
  // A quiet period refills up to the burst, not beyond.
  await t.advance(10_000);
  for (let i = 0; i < 3; i++) await bucket.take();
  let fourth = false;
  const pending = bucket.take().then(() => (fourth = true));
  await t.advance(0);
  assert.equal(fourth, false);
  await t.advance(500);
  await pending;
});

Deno.test("an aborted wait rejects with the signal's reason and gives its token back", async () => {
  const t = fakeClock();
  const bucket = new TokenBucket({ qps: 1, burst: 1 }, t.clock);
  await bucket.take();
  const ctl = new AbortController();
  const waiting = bucket.take(ctl.signal);
  const reason = new Error("stop");
  ctl.abort(reason);
  assert.equal(await rejection(waiting), reason);
  // The token the aborted call reserved is free again: one second, not two.
  let went = false;
  const next = bucket.take().then(() => (went = true));
  await t.advance(1000);
  await next;
  assert.equal(went, true);
  await assert.rejects(() => bucket.take(AbortSignal.abort(reason)));
});

Deno.test("a rate limit that is not a positive rate or a whole burst is refused when the client is built", () => {
  for (
    const rateLimit of [{ qps: 0 }, { qps: -1 }, { qps: NaN }, {
      qps: 1,
      burst: 0,
    }, { qps: 1, burst: 1.5 }]
  ) {
    assert.throws(
      () =>
        new KubeConfigRestClient(
          KubeConfig.getSimpleUrlConfig({ baseUrl: "http://127.0.0.1:1" })
            .fetchContext(),
          null,
          { rateLimit },
        ),
      RangeError,
      JSON.stringify(rateLimit),
    );
    assert.throws(
      () => new KubectlRawRestClient(undefined, { rateLimit }),
      RangeError,
    );
  }
});

/** A loopback API server that records when each request arrived. */
function recordingServer(
  answer: (req: Request, n: number) => Response = () =>
    Response.json({ kind: "ConfigMap", metadata: { name: "x" } }),
) {
  const arrivals: number[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (req) => {
      arrivals.push(performance.now());
      return answer(req, arrivals.length);
    },
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    arrivals,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

Deno.test("a client's rate limit holds for a flood of concurrent requests from several helpers on it", async () => {
  await using server = recordingServer((req) => {
    const url = new URL(req.url);
    if (url.pathname === "/api") {
      return Response.json({ kind: "APIVersions", versions: ["v1"] });
    }
    if (url.pathname === "/apis") {
      return Response.json({ kind: "APIGroupList", groups: [] });
    }
    if (url.pathname === "/api/v1") {
      return Response.json({
        kind: "APIResourceList",
        groupVersion: "v1",
        resources: [{
          name: "configmaps",
          kind: "ConfigMap",
          namespaced: true,
          verbs: ["get", "list"],
        }],
      });
    }
    return Response.json({ kind: "ConfigMap", metadata: { name: "x" } });
  });
  using client = await KubeConfigRestClient.forKubeConfig(
    KubeConfig.getSimpleUrlConfig({ baseUrl: server.url }),
    undefined,
    { rateLimit: { qps: 40, burst: 4 } },
  );
  const dyn = new DynamicClient(client);
  const started = performance.now();
  await Promise.all([
    ...Array.from({ length: 20 }, () =>
      client.performRequest({
        method: "GET",
        path: "/api/v1/namespaces/default/configmaps/x",
      })),
    ...Array.from(
      { length: 10 },
      () => dyn.get({ apiVersion: "v1", kind: "ConfigMap", name: "x" }),
    ),
  ]);
  const n = server.arrivals.length;
  assert.ok(n >= 31, `${n} requests (30 and discovery)`);
  // After the burst of 4, one request per 25 ms: n requests need (n - 4) / 40 s.
  const span = server.arrivals[n - 1] - started;
  const floor = (n - 4) / 40 * 1000;
  assert.ok(span >= floor * 0.9, `${n} requests in ${span} ms, below ${floor}`);
  // In no window of 250 ms after the burst did more than burst + 10 arrive.
  for (const t of server.arrivals) {
    const inWindow = server.arrivals.filter((a) => a >= t && a < t + 250);
    assert.ok(inWindow.length <= 4 + 10 + 1, `${inWindow.length} in 250 ms`);
  }
});

Deno.test("under a flood of 429s with Retry-After every request gets through within its retries, POSTs too", async () => {
  // The first 60 requests are rejected as APF rejects: before running.
  await using server = recordingServer((_req, n) =>
    n <= 60
      ? Response.json({
        kind: "Status",
        code: 429,
        reason: "TooManyRequests",
        message: "too many requests, please try again later",
      }, { status: 429, headers: { "retry-after": "1" } })
      : Response.json({ kind: "ConfigMap", metadata: { name: "x" } })
  );
  using client = await KubeConfigRestClient.forKubeConfig(
    KubeConfig.getSimpleUrlConfig({ baseUrl: server.url }),
  );
  const started = performance.now();
  const results = await Promise.allSettled(
    Array.from({ length: 40 }, (_, i) =>
      client.performRequest({
        method: i % 2 ? "GET" : "POST",
        path: "/api/v1/namespaces/default/configmaps",
        ...(i % 2 ? {} : { bodyJson: { kind: "ConfigMap" } }),
        expectJson: true,
      })),
  );
  const failed = results.filter((r) => r.status === "rejected");
  assert.equal(failed.length, 0, String(failed.map((f) => f.reason)));
  // 40 first tries and 20 retries were refused; the rest went through.
  assert.equal(server.arrivals.length, 100);
  const took = performance.now() - started;
  assert.ok(took >= 2000, `the server's 1 s waits were honoured (${took} ms)`);
  assert.ok(took < 6000, `no retry storm, no long wait (${took} ms)`);
  // Past its retries (3), a request fails with the server's 429.
  await using refusing = recordingServer(() =>
    Response.json({ kind: "Status", code: 429, reason: "TooManyRequests" }, {
      status: 429,
      headers: { "retry-after": "0" },
    })
  );
  using c2 = await KubeConfigRestClient.forKubeConfig(
    KubeConfig.getSimpleUrlConfig({ baseUrl: refusing.url }),
  );
  const err = await rejection(
    c2.performRequest({ method: "GET", path: "/api" }),
    KubernetesApiError,
  );
  assert.ok(err.isTooManyRequests());
  assert.equal(refusing.arrivals.length, 4);
});
