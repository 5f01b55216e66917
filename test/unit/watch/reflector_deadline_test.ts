// A peer that accepts connections and never answers cannot hold a Reflector:
// each list page and each watch's response headers have a deadline
// (`requestTimeoutMs`), after which the request is aborted as a timeout and
// retried after a backoff; stop() still returns at once. A local TCP server
// plays the blackhole; no cluster is needed. A WatchList request that gets
// no answer is a failure like any other, not a server ignoring WatchList.
// And a lister, watcher or stream that ignores its abort signal cannot
// hold run() after a stop, nor make an abort look like a server's answer.

import assert from "node:assert/strict";
import {
  KubeConfig,
  KubeConfigRestClient,
  listWatch,
  Reflector,
  type WatchEvent,
} from "../../../mod.ts";
import { WatchListSupport } from "../../../lib/watch/mod.ts";
import { reflectorState } from "../../../lib/watch/_reflector_seam.ts";
import { until } from "../../_helpers.ts";

/** Answers list requests with an empty list; accepts watch requests and never answers them. */
async function withBlackhole(
  answerLists: boolean,
  fn: (
    baseUrl: string,
    seen: { lists: number; watches: number },
  ) => Promise<void>,
): Promise<void> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const seen = { lists: 0, watches: 0 };
  const conns = new Set<Deno.Conn>();
  const serving = (async () => {
    for await (const conn of listener) {
      conns.add(conn);
      (async () => {
        const buf = new Uint8Array(8192);
        let head = "";
        for (;;) {
          const n = await conn.read(buf).catch(() => null);
          if (n === null) return;
          head += new TextDecoder().decode(buf.subarray(0, n));
          const end = head.indexOf("\r\n\r\n");
          if (end === -1) continue;
          const request = head.slice(0, end);
          head = head.slice(end + 4);
          if (/[?&]watch=true/.test(request.split("\r\n")[0])) {
            seen.watches++;
            continue; // never answered
          }
          seen.lists++;
          if (!answerLists) continue;
          const body =
            '{"kind":"ConfigMapList","apiVersion":"v1","metadata":{"resourceVersion":"5"},"items":[]}';
          await conn.write(new TextEncoder().encode(
            `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`,
          ));
        }
      })().catch(() => {}).finally(() => conns.delete(conn));
    }
  })().catch(() => {});
  try {
    await fn(`http://127.0.0.1:${listener.addr.port}`, seen);
  } finally {
    listener.close();
    for (const c of conns) {
      try {
        c.close();
      } catch {
        // already closed
      }
    }
    await serving;
  }
}

const quickBackoff = { next: () => 20, reset() {} };

for (const answerLists of [false, true]) {
  const what = answerLists ? "watch" : "list";
  Deno.test(`a ${what} that gets no answer times out and is retried; stop() returns at once`, async () => {
    await withBlackhole(answerLists, async (baseUrl, seen) => {
      using client = await KubeConfigRestClient.forKubeConfig(
        KubeConfig.getSimpleUrlConfig({ baseUrl }),
      );
      const { lister, watcher } = listWatch(
        client,
        "/api/v1/namespaces/default/configmaps",
      );
      const reflector = new Reflector(lister, watcher, {
        requestTimeoutMs: 200,
        backoff: quickBackoff,
        initialList: "list",
      });
      const running = reflector.run();
      try {
        await until(
          () => (answerLists ? seen.watches : seen.lists) >= 3,
          5_000,
          `three ${what} attempts`,
          10,
        );
        if (answerLists) assert.ok(reflector.isSynced());
      } finally {
        const stopping = performance.now();
        reflector.stop();
        await running;
        assert.ok(performance.now() - stopping < 1000, "stop() is prompt");
      }
    });
  });
}

Deno.test("a WatchList request that gets no answer times out and is retried as WatchList: nothing is concluded about the server", async () => {
  await withBlackhole(true, async (baseUrl, seen) => {
    using client = await KubeConfigRestClient.forKubeConfig(
      KubeConfig.getSimpleUrlConfig({ baseUrl }),
    );
    const { lister, watcher } = listWatch(
      client,
      "/api/v1/namespaces/default/configmaps",
    );
    const reflector = new Reflector(lister, watcher, {
      requestTimeoutMs: 200,
      backoff: quickBackoff,
    });
    const running = reflector.run();
    try {
      await until(() => seen.watches >= 3, 5000, "three WatchList attempts");
      assert.equal(seen.lists, 0);
      assert.equal(WatchListSupport.for(client).verdict, "unknown");
      assert.equal(reflector.usesWatchList, true);
    } finally {
      reflector.stop();
      await running;
    }
  });
});

type Cm = {
  metadata: { name: string; uid: string; resourceVersion: string };
};
const never = () => new Promise<never>(() => {});
const silentStream = () =>
  Promise.resolve(new ReadableStream<WatchEvent<Cm, never>>());

for (
  const [what, lister, watcher] of [
    ["a lister that ignores its abort signal", never, silentStream],
    [
      "a watcher that ignores its abort signal",
      () => Promise.resolve({ metadata: { resourceVersion: "1" }, items: [] }),
      never,
    ],
    [
      "a watch stream that ignores its abort signal",
      () => Promise.resolve({ metadata: { resourceVersion: "1" }, items: [] }),
      silentStream,
    ],
    ["a WatchList stream that ignores its abort signal", never, silentStream],
  ] as const
) {
  Deno.test(`${what} cannot hold run() after stop()`, async () => {
    const support = new WatchListSupport();
    const reflector = new Reflector<Cm>(lister, watcher, {
      initialList: what.startsWith("a WatchList") ? "watch" : "list",
      watchListSupport: support,
    });
    const running = reflector.run();
    await new Promise((r) => setTimeout(r, 50));
    const stopping = performance.now();
    reflector.stop();
    await running;
    assert.ok(performance.now() - stopping < 500, "stop() is prompt");
    assert.equal(reflectorState(reflector).kind, "Stopped");
    assert.equal(support.verdict, "unknown", "an abort is no answer");
  });
}
