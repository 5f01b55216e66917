// Shared watches' keys and handles without a cluster (a stand-in client
// whose list answers at once and whose watch stays open until aborted):
// what is shared (same path, selectors, metadataOnly, compact and
// transform function) and what is not, a released handle's pending next() ends at
// once (Reflector.observeAll's signal), onError reaches every holder, and
// the last release stops the Reflector with its watch cancelled. The real
// apiserver's request counts are in
// test/integration/watch/shared_watches_apiserver_test.ts.

import assert from "node:assert/strict";
import { until } from "../../_helpers.ts";
import type {
  JSONValue,
  KubernetesTunnel,
  RequestOptions,
  RestClient,
} from "../../../lib/contract.ts";
import {
  dropManagedFields,
  type ReflectorError,
  SharedWatches,
} from "../../../lib/watch/mod.ts";

/** Lists answer one ConfigMap; watches stay open until their signal aborts. */
class StandIn implements RestClient {
  requests: RequestOptions[] = [];
  openWatches = 0;
  failLists = false;
  performRequest(
    opts: RequestOptions & { expectTunnel: string[] },
  ): Promise<KubernetesTunnel>;
  performRequest(
    opts: RequestOptions & { expectStream: true; expectJson: true },
  ): Promise<ReadableStream<JSONValue>>;
  performRequest(
    opts: RequestOptions & { expectStream: true },
  ): Promise<ReadableStream<Uint8Array>>;
  performRequest(
    opts: RequestOptions & { expectJson: true },
  ): Promise<JSONValue>;
  performRequest(opts: RequestOptions): Promise<Uint8Array>;
  // deno-lint-ignore require-await
  async performRequest(opts: RequestOptions): Promise<unknown> {
    this.requests.push(opts);
    if (opts.expectStream) {
      this.openWatches++;
      // Parsed events, or bytes for a compact Reflector's raw watch (none come).
      return new ReadableStream<JSONValue | Uint8Array>({
        start: (c) => {
          opts.abortSignal?.addEventListener("abort", () => {
            this.openWatches--;
            c.error(opts.abortSignal!.reason);
          }, { once: true });
        },
      });
    }
    if (this.failLists) throw new Error("list refused by the stand-in");
    const list = {
      metadata: { resourceVersion: "5" },
      items: [{
        metadata: {
          name: "a",
          namespace: "ns",
          uid: "u",
          resourceVersion: "5",
        },
      }],
    };
    return opts.expectJson
      ? list
      : new TextEncoder().encode(JSON.stringify(list));
  }
}

const opts = { initialList: "list" as const };

Deno.test("shared watches are keyed by path, selectors, metadataOnly, compact and the transform function", async () => {
  const client = new StandIn();
  const shared = SharedWatches.for(client);
  const other = <T>(o: T): T => o;
  const handles = [
    shared.reflector("/api/v1/configmaps", opts),
    shared.reflector("/api/v1/configmaps", opts),
    shared.reflector("/api/v1/configmaps", { ...opts, labelSelector: "a=b" }),
    shared.reflector("/api/v1/configmaps", { ...opts, fieldSelector: "x=y" }),
    shared.reflector("/api/v1/configmaps", { ...opts, metadataOnly: true }),
    shared.reflector("/api/v1/configmaps", {
      ...opts,
      transform: dropManagedFields,
    }),
    shared.reflector("/api/v1/configmaps", {
      ...opts,
      transform: dropManagedFields,
    }),
    shared.reflector("/api/v1/configmaps", { ...opts, transform: other }),
    shared.reflector("/api/v1/secrets", opts),
    shared.reflector("/api/v1/configmaps", { ...opts, compact: true }),
    shared.reflector("/api/v1/configmaps", { ...opts, compact: true }),
  ];
  assert.equal(shared.size, 8);
  assert.equal(handles[9].store, handles[10].store);
  assert.notEqual(handles[0].store, handles[9].store);
  await until(() => handles[9].isSynced(), 5_000, "the compact one's sync", 0);
  assert.equal(handles[9].getCached("ns", "a")?.metadata.uid, "u");
  assert.equal(handles[0].store, handles[1].store);
  assert.equal(handles[5].store, handles[6].store);
  assert.notEqual(handles[5].store, handles[7].store);
  await Promise.all(handles.map((h) => h.release()));
  assert.equal(shared.size, 0);
  assert.equal(client.openWatches, 0);
});

Deno.test("releasing a handle ends its pending observeAll at once; the others go on", async () => {
  const client = new StandIn();
  const shared = SharedWatches.for(client);
  const a = shared.reflector("/api/v1/configmaps", opts);
  const b = shared.reflector("/api/v1/configmaps", opts);
  const iter = a.observeAll();
  assert.equal((await iter.next()).value?.type, "ADDED");
  assert.equal((await iter.next()).value?.type, "SYNCED");
  const pending = iter.next(); // nothing more comes: it waits
  await a.release();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const outcome = await Promise.race([
    pending,
    new Promise((r) => timer = setTimeout(() => r("still pending"), 2_000)),
  ]);
  clearTimeout(timer);
  assert.deepEqual(outcome, { done: true, value: undefined });
  assert.equal(shared.size, 1);
  assert.equal(b.isSynced(), true);
  assert.equal(b.getCached("ns", "a")?.metadata.uid, "u");
  await b.release();
  await b.release(); // twice is fine
  assert.equal(shared.size, 0);
  assert.equal(client.openWatches, 0);
});

Deno.test("every holder's onError hears a shared failure", async () => {
  const client = new StandIn();
  client.failLists = true;
  const shared = SharedWatches.for(client);
  const heard: string[] = [];
  const hook = (who: string) => (err: ReflectorError) =>
    heard.push(`${who} ${err.reason}`);
  const a = shared.reflector("/api/v1/configmaps", {
    ...opts,
    onError: hook("a"),
  });
  const b = shared.reflector("/api/v1/configmaps", {
    ...opts,
    onError: hook("b"),
  });
  const deadline = Date.now() + 5_000;
  while (heard.length < 2 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.deepEqual(heard.sort(), [
    "a InitialListFailed",
    "b InitialListFailed",
  ]);
  await a.release();
  await b.release();
});
