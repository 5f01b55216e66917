// Pins the RestClient contract the way generated API code uses it: every
// overload's inferred result type, checked at compile time, and the
// pagination helpers' behaviour.
// Needs no cluster: compile-time checks and a scripted client.

import assert from "node:assert/strict";
import {
  type ApiKind,
  type JSONObject,
  type JSONValue,
  type KubernetesTunnel,
  readAllItems,
  readAllPages,
  type RequestOptions,
  type RestClient,
  type WatchEvent,
} from "../../mod.ts";

/** Compile-time equality of two types. */
type IsExact<A, B> = (<T>() => T extends A ? 1 : 2) extends
  (<T>() => T extends B ? 1 : 2) ? true : false;
function assertType<_T extends true>(): void {}

/** Records each call and answers with a value of the shape the overload promises. */
class RecordingClient implements RestClient {
  calls: RequestOptions[] = [];
  defaultNamespace = "recorded";
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
    this.calls.push(opts);
    if (opts.expectStream && opts.expectJson) {
      return ReadableStream.from<JSONValue>([{ type: "ADDED", object: {} }]);
    }
    if (opts.expectStream) return ReadableStream.from([new Uint8Array([1])]);
    if (opts.expectJson) return { kind: "Status" };
    return new Uint8Array([42]);
  }
}

// What a generated `CoreV1NamespacedApi.getPod` looks like.
async function getPod(client: RestClient, name: string): Promise<JSONObject> {
  const resp = await client.performRequest({
    method: "GET",
    path: `/api/v1/namespaces/${client.defaultNamespace}/pods/${name}`,
    expectJson: true,
    abortSignal: undefined,
  });
  assertType<IsExact<typeof resp, JSONValue>>();
  return resp as JSONObject;
}

Deno.test("generated-style calls get the result type of their overload", async () => {
  const client: RestClient = new RecordingClient();

  const json = await client.performRequest({
    method: "GET",
    path: "/api/v1/pods",
    expectJson: true,
  });
  assertType<IsExact<typeof json, JSONValue>>();

  const lines = await client.performRequest({
    method: "GET",
    path: "/api/v1/pods",
    querystring: new URLSearchParams({ watch: "1" }),
    expectStream: true,
    expectJson: true,
  });
  assertType<IsExact<typeof lines, ReadableStream<JSONValue>>>();

  const bytes = await client.performRequest({
    method: "GET",
    path: "/api/v1/namespaces/default/pods/p/log",
    expectStream: true,
  });
  assertType<IsExact<typeof bytes, ReadableStream<Uint8Array>>>();

  const raw = await client.performRequest({
    method: "PATCH",
    path: "/api/v1/namespaces/default/pods/p",
    contentType: "application/merge-patch+json",
    bodyJson: { metadata: { labels: { a: "b" } } },
  });
  assertType<IsExact<typeof raw, Uint8Array>>();

  const tunnelPromise = (client as RestClient).performRequest({
    method: "POST",
    path: "/api/v1/namespaces/default/pods/p/exec",
    expectTunnel: ["v5.channel.k8s.io"],
  });
  assertType<IsExact<typeof tunnelPromise, Promise<KubernetesTunnel>>>();

  assert.deepEqual(await getPod(client, "web-0"), { kind: "Status" });
  assert.deepEqual(raw, new Uint8Array([42]));
  assert.deepEqual(await Array.fromAsync(lines), [{
    type: "ADDED",
    object: {},
  }]);
  assert.equal((await Array.fromAsync(bytes)).length, 1);
  const calls = (client as RecordingClient).calls;
  assert.equal(calls[5].path, "/api/v1/namespaces/recorded/pods/web-0");
});

Deno.test("WatchEvent narrows on its type field", () => {
  type Pod = ApiKind & { metadata: { name: string } };
  type Status = { code: number };
  const events: WatchEvent<Pod, Status>[] = [
    {
      type: "ADDED",
      object: { apiVersion: "v1", kind: "Pod", metadata: { name: "a" } },
    },
    { type: "ERROR", object: { code: 410 } },
    { type: "BOOKMARK", object: { metadata: { resourceVersion: "7" } } },
  ];
  const seen = events.map((ev) => {
    switch (ev.type) {
      case "ERROR":
        return `error ${ev.object.code}`;
      case "BOOKMARK":
        return `bookmark ${ev.object.metadata.resourceVersion}`;
      default:
        return `${ev.type} ${ev.object.metadata.name}`;
    }
  });
  assert.deepEqual(seen, ["ADDED a", "error 410", "bookmark 7"]);
});

Deno.test("readAllPages follows continue tokens and stops on an empty or missing one", async () => {
  const tokens: (string | undefined)[] = [];
  const pages = {
    first: { metadata: { continue: "t1" }, items: [1, 2] },
    t1: { metadata: { continue: "t2" }, items: [3] },
    t2: { metadata: { continue: "" }, items: [4] },
  };
  const seen = [];
  for await (
    const page of readAllPages((token) => {
      tokens.push(token);
      return Promise.resolve(pages[(token ?? "first") as keyof typeof pages]);
    })
  ) seen.push(page.items);
  assert.deepEqual(tokens, [undefined, "t1", "t2"]);
  assert.deepEqual(seen, [[1, 2], [3], [4]]);

  const items = await Array.fromAsync(
    readAllItems((token) =>
      Promise.resolve(
        token ? { metadata: {}, items: ["b"] } : {
          metadata: { continue: "x" },
          items: ["a"],
        },
      )
    ),
  );
  assert.deepEqual(items, ["a", "b"]);
});

Deno.test("readAllItems propagates a failing page", async () => {
  const gen = readAllItems<number>((token) =>
    token
      ? Promise.reject(new Error("page 2 failed"))
      : Promise.resolve({ metadata: { continue: "next" }, items: [1] })
  );
  assert.deepEqual(await gen.next(), { value: 1, done: false });
  await assert.rejects(() => gen.next(), /page 2 failed/);
});
