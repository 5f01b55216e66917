// The compact Reflector (`compact: true`, issue #22) against the default
// one, side by side on the same server answers (./_script_client.ts: list
// bodies and watch lines as JSON text, given to a compact Reflector as
// bytes and to the default one parsed, through `listWatch()`): every event
// an observer gets (type, object, previous), the errors told to onError,
// and getCached/listCached/the indexes afterwards are the same — through
// paged lists, a 410 relist's difference, DESYNCED/SYNCED, BOOKMARKs,
// ERROR events, WatchList's initial events, predicates, transforms,
// metadata-only answers (partial and full), hostile lines (escapes in
// names, duplicate keys, members in any order, `\u2028`, numbers beyond
// 2^53, -0, deep nesting, CRLF, lines cut anywhere) and a malformed line.
// Then what only compact has: fresh objects on access, objects built on
// first read and memoized per event, the store checks, and a lister and
// watcher of one's own (packed from parsed objects). Needs no cluster.

import assert from "node:assert/strict";
import {
  dropManagedFields,
  IndexedStore,
  listWatch,
  MapStore,
  Reflector,
  type ReflectorError,
  type ReflectorEvent,
  type ReflectorOptions,
  SharedWatches,
} from "../../../lib/watch/mod.ts";
import { StreamDecodeError, TransportError } from "../../../lib/errors/mod.ts";
import type { ReflectorState } from "../../../lib/watch/types.ts";
import { stepReflector } from "../../../lib/watch/_reflector_seam.ts";
import { Packed } from "../../../lib/watch/_packed.ts";
import { FakeClock } from "../../_fake_clock.ts";
import { fakePod } from "../../_pods.ts";
import { ScriptClient } from "./_script_client.ts";

type Obj = {
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    uid: string;
    resourceVersion: string;
    labels?: Record<string, string>;
    managedFields?: unknown[];
  };
  spec?: { nodeName?: string };
  data?: Record<string, unknown>;
};

const PATH = "/api/v1/pods";
const pod = (i: number, rv: number) => JSON.stringify(fakePod(i, rv));
const podName = (i: number) => (fakePod(i, 0) as Obj).metadata.name;
const list = (rv: string, items: string[], cont?: string) =>
  `{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"${rv}"${
    cont ? `,"continue":"${cont}"` : ""
  }},"items":[${items.join(",")}]}`;
const event = (type: string, object: string) =>
  `{"type":"${type}","object":${object}}`;
const bookmark = (rv: string, end = false) =>
  `{"type":"BOOKMARK","object":{"kind":"Pod","apiVersion":"v1","metadata":{"resourceVersion":"${rv}"${
    end ? `,"annotations":{"k8s.io/initial-events-end":"true"}` : ""
  }}}}`;
const status = (code: number, reason: string) =>
  `{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"m ${code}","reason":"${reason}","code":${code}}}`;

/** Objects a scanner could get wrong; each parses to what JSON.parse gives. */
const deep = "[".repeat(900) + "1" + "]".repeat(900);
const hostile = {
  escaped:
    `{"kind":"ConfigMap","metadata":{"name":"esc\\"aped\\\\n\\u2028\\ud83d\\ude00","namespace":"n\\u0073","uid":"u-e","resourceVersion":"101","labels":{"__proto__":"p","a":"1","a":"2"}},"data":{"big":123456789012345678901234,"neg":-0,"e":1E400,"deep":${deep}}}`,
  dupName:
    `{"metadata":{"name":"first","namespace":"ns","uid":"u-d","name":"second","resourceVersion":"102","managedFields":[{"m":1}],"x":{"managedFields":1},"managedFields":[{"m":2}]},"kind":"ConfigMap"}`,
  dupMeta:
    `{"metadata":{"name":"gone","namespace":"ns","uid":"u-g","resourceVersion":"1"},"metadata":{"name":"kept","namespace":"ns","uid":"u-k","resourceVersion":"103","managedFields":[]}}`,
  spaced:
    ` { "kind" : "ConfigMap" , "metadata" : { "managedFields" : [ 1 ] , "name" : "spaced" ,\t"namespace" : "ns" , "uid" : "u-s" , "resourceVersion" : "104" } , "data" : { } } `,
  unicode:
    `{"metadata":{"name":"ünïcödé-名前","namespace":"ns","uid":"u-u","resourceVersion":"105","labels":{"tier":"front","ключ":"значение"}}}`,
  irregular:
    `{"metadata":{"name":"odd","namespace":"ns","uid":7,"resourceVersion":"106","labels":{"a":1,"tier":"front"}}}`,
  cluster:
    `{"kind":"Namespace","metadata":{"name":"cluster-scoped","uid":"u-c","resourceVersion":"107","managedFields":[{"m":3}]}}`,
};
const h = (name: keyof typeof hostile) => hostile[name];

/** A watch line with its members in another order, and `object` given twice. */
const reordered = (type: string, first: string, second: string) =>
  `{"object":${first},"type":"${type}","object":${second}}`;

/** The list/watch script both Reflectors read: lists, a 410, a relist, errors. */
function listScript(c: ScriptClient): void {
  c.lists.push(
    list("200", [pod(0, 100), pod(1, 100), h("escaped"), h("unicode")], "p2"),
    list("200", [pod(2, 100), pod(3, 100), h("cluster")]),
  );
  c.watches.push(
    {
      lines: [
        event("ADDED", pod(4, 201)),
        event("MODIFIED", pod(0, 202)),
        event("DELETED", pod(1, 203)),
        bookmark("204"),
        event("ADDED", h("dupName")),
        event("ADDED", h("dupMeta")),
        reordered("ADDED", pod(9, 1), h("spaced")),
        event("ADDED", h("irregular")),
        event(
          "MODIFIED",
          pod(4, 205).replace('"tier":"back"', '"tier":"front"'),
        ),
        status(410, "Expired"),
      ],
      chunk: 7, // lines cut anywhere, several in one read
    },
  );
  // The relist after the 410: a kept, a changed, a dropped and a new object.
  c.lists.push(
    list("300", [
      pod(0, 202),
      pod(2, 301),
      h("unicode"),
      h("escaped"),
      pod(5, 302),
      h("irregular"),
    ]),
  );
  c.watches.push(
    { lines: [event("ADDED", pod(6, 303)), status(500, "InternalError")] },
    {
      lines: [
        event("MODIFIED", pod(6, 304)),
        event("DELETED", h("unicode").replace('"105"', '"305"')),
        bookmark("306"),
      ],
      eol: "\r\n",
      noFinalNewline: true,
    },
    {
      lines: [
        event("ADDED", pod(7, 307)),
        // Malformed: a Secret's value without quotes, cut off.
        `{"type":"ADDED","object":{"kind":"Secret","metadata":{"name":"s","namespace":"ns","uid":"u","resourceVersion":"308"},"data":{"token":SecretZq7MARK`,
        event("ADDED", pod(8, 309)),
      ],
    },
  );
}

/** The same state through WatchList: initial events, the end marker, live events. */
function watchListScript(c: ScriptClient): void {
  c.watches.push({
    lines: [
      event("ADDED", pod(0, 100)),
      event("ADDED", h("escaped")),
      event("ADDED", pod(1, 100)),
      event("MODIFIED", pod(1, 101)),
      event("DELETED", pod(0, 102)),
      event("ADDED", h("dupName")),
      bookmark("110", true),
      event("ADDED", pod(2, 111)),
      event("MODIFIED", pod(1, 112)),
      status(410, "Gone"),
    ],
    chunk: 1000,
  }, {
    lines: [
      event("ADDED", pod(3, 120)),
      event("ADDED", h("unicode")),
      bookmark("121", true),
    ],
  });
}

const plain = (e: ReflectorEvent<Obj>) =>
  e.type === "MODIFIED"
    ? { type: e.type, object: e.object, previous: e.previous }
    : { type: e.type, object: e.object };

interface Outcome {
  events: unknown[];
  errors: string[];
  cached: [string, unknown][];
  byKey: unknown[];
  indexes: unknown;
  /** Whether every request asked for bytes (none for parsed JSON). */
  bytes: boolean;
}

/**
 * Runs a Reflector over `script` to its end, one transition at a time
 * (backoffs skipped), with one observer; what it told and holds.
 */
async function outcome(
  script: (c: ScriptClient) => void,
  compact: boolean,
  options: ReflectorOptions<Obj> & { metadataOnly?: boolean } = {},
): Promise<Outcome> {
  const client = new ScriptClient();
  script(client);
  const { metadataOnly, ...rest } = options;
  const { lister, watcher } = listWatch<Obj>(client, PATH, { metadataOnly });
  const errors: string[] = [];
  const store = rest.store instanceof IndexedStore
    ? new IndexedStore<Obj & { metadata: { uid: string } }>({
      node: (o) => o.spec?.nodeName ? [o.spec.nodeName] : [],
    })
    : undefined;
  const r = new Reflector<Obj>(lister, watcher, {
    pageSize: 4,
    initialList: "list",
    clock: new FakeClock(),
    ...rest,
    ...(store ? { store } : {}),
    compact,
    onError: (err: ReflectorError) =>
      errors.push(
        `${err.reason}: ${err.cause?.constructor.name}: ${err.message}`,
      ),
  });
  const events: unknown[] = [];
  const observing = (async () => {
    for await (const e of r.observeAll()) {
      events.push(plain(e as ReflectorEvent<Obj>));
    }
  })();
  const signal = new AbortController().signal;
  let state: ReflectorState = { kind: "Empty" };
  for (let i = 0; i < 30 && !client.exhausted; i++) {
    state = await stepReflector(r, state, signal);
    if (state.kind === "Backoff") state = state.next;
  }
  r.stop();
  await r.run();
  await observing;
  const cached = r.listCached().map((o) =>
    [`${o.metadata.namespace ?? ""}/${o.metadata.name}`, o] as [string, unknown]
  ).sort((a, b) => a[0] < b[0] ? -1 : 1);
  const byKey = cached.map(([key]) => {
    const [ns, name] = key.split("/");
    return r.getCached(ns, name);
  });
  const indexes = store
    ? ["namespace", "label", "node"].map((index) =>
      store.indexValues(index).sort().map((v) => [
        v,
        store.byIndex(index, v).map((o) => o.metadata.name).sort(),
      ])
    )
    : undefined;
  const bytes = client.requests.every((q) => !q.expectJson);
  return { events, errors, cached, byKey, indexes, bytes };
}

const variants: [string, ReflectorOptions<Obj> & { metadataOnly?: boolean }][] =
  [
    ["no options", {}],
    ["a predicate", { predicate: (o) => o.metadata.labels?.tier === "front" }],
    ["dropManagedFields", { transform: dropManagedFields }],
    [
      "a transform of one's own",
      {
        transform: (o) => ({ ...o, data: { seen: o.metadata.uid } }),
      },
    ],
    [
      "an IndexedStore with an index function",
      { store: new IndexedStore(), transform: dropManagedFields },
    ],
    ["metadataOnly (full objects from the server: cut down)", {
      metadataOnly: true,
    }],
  ];

for (const [name, options] of variants) {
  Deno.test(`compact gives observers, onError and the cache exactly what the default Reflector gives: list+watch, 410 relist, ERROR, malformed line, hostile objects; ${name}`, async () => {
    const expected = await outcome(listScript, false, options);
    const got = await outcome(listScript, true, options);
    assert.equal(got.bytes, true, "compact reads bytes");
    assert.equal(expected.bytes, false);
    assert.ok(expected.events.length > 8, "the script ran");
    if (name === "no options") {
      const names = new Set(
        expected.events.map((e) =>
          (e as { object: { metadata?: { name?: string } } }).object.metadata
            ?.name
        ),
      );
      for (
        const hostileName of [
          'esc"aped\\n\u2028😀',
          "second",
          "kept",
          "spaced",
          "ünïcödé-名前",
          "odd",
          "cluster-scoped",
        ]
      ) assert.ok(names.has(hostileName), hostileName);
      assert.ok(!names.has("first") && !names.has("gone"), "last wins");
    }
    assert.deepStrictEqual(got.events, expected.events);
    assert.deepStrictEqual(got.errors, expected.errors);
    assert.deepStrictEqual(got.cached, expected.cached);
    assert.deepStrictEqual(got.byKey, expected.byKey);
    assert.deepStrictEqual(got.indexes, expected.indexes);
  });
}

Deno.test("compact gives exactly the default Reflector's events and cache through WatchList initial events, a 410 and a second WatchList", async () => {
  for (const options of [{}, { transform: dropManagedFields }]) {
    const o = { ...options, initialList: "watch" as const };
    const expected = await outcome(watchListScript, false, o);
    const got = await outcome(watchListScript, true, o);
    assert.equal(got.bytes, true, "compact reads bytes");
    assert.ok(
      expected.events.some((e) => (e as { type: string }).type === "SYNCED"),
    );
    assert.deepStrictEqual(got.events, expected.events);
    assert.deepStrictEqual(got.errors, expected.errors);
    assert.deepStrictEqual(got.cached, expected.cached);
  }
});

Deno.test("compact metadata-only keeps the server's PartialObjectMetadata bytes as they are and cuts full objects down, as the default does", async () => {
  const partial = (i: number, rv: number) => {
    const p = fakePod(i, rv);
    return JSON.stringify({
      kind: "PartialObjectMetadata",
      apiVersion: "meta.k8s.io/v1",
      metadata: p.metadata,
    });
  };
  const script = (c: ScriptClient) => {
    c.lists.push(
      `{"kind":"PartialObjectMetadataList","apiVersion":"meta.k8s.io/v1","metadata":{"resourceVersion":"50"},"items":[${
        partial(0, 10)
      },${partial(1, 11)}]}`,
    );
    c.watches.push({
      lines: [
        event("ADDED", partial(2, 51)),
        event("MODIFIED", pod(0, 52)), // a full object: cut down
        event("DELETED", partial(1, 53)),
      ],
    });
  };
  for (const options of [{}, { transform: dropManagedFields }]) {
    const o = { ...options, metadataOnly: true };
    const expected = await outcome(script, false, o);
    const got = await outcome(script, true, o);
    assert.equal(got.bytes, true, "compact reads bytes");
    assert.equal(expected.cached.length, 2);
    for (const [, obj] of expected.cached) {
      assert.deepEqual(Object.keys(obj as object), [
        "kind",
        "apiVersion",
        "metadata",
      ]);
    }
    assert.deepStrictEqual(got.events, expected.events);
    assert.deepStrictEqual(got.cached, expected.cached);
  }
});

Deno.test("a malformed watch line in a compact Reflector is a StreamDecodeError told to onError as WatchFailed, without the line's content, and the watch resumes from the last version", async () => {
  const client = new ScriptClient();
  client.lists.push(list("5", [pod(0, 4)]));
  const secret = "Zq7SecretMARKxK29";
  client.watches.push({
    lines: [
      event("ADDED", pod(1, 6)),
      `{"type":"ADDED","object":{"kind":"Secret","metadata":{"name":"s","resourceVersion":"7"},"data":{"token":"${secret}"}},}`,
    ],
  });
  const errors: ReflectorError[] = [];
  const { lister, watcher } = listWatch<Obj>(client, PATH);
  const r = new Reflector<Obj>(lister, watcher, {
    compact: true,
    initialList: "list",
    clock: new FakeClock(),
    onError: (err) => errors.push(err),
  });
  const signal = new AbortController().signal;
  await stepReflector(r, { kind: "Empty" }, signal);
  const next = await stepReflector(
    r,
    { kind: "Watching", resourceVersion: "5" },
    signal,
  );
  assert.equal(next.kind, "Backoff");
  assert.deepEqual(next.kind === "Backoff" && next.next, {
    kind: "Watching",
    resourceVersion: "6",
  });
  assert.equal(errors.length, 1);
  assert.equal(errors[0].reason, "WatchFailed");
  const cause = errors[0].cause;
  assert.ok(cause instanceof StreamDecodeError, String(cause));
  assert.equal(cause.reason, "MalformedJson");
  assert.equal(cause.line, 2);
  assert.match(cause.message, /^malformed JSON on line 2 of the stream/);
  for (
    const text of [
      errors[0].message,
      String(errors[0].stack),
      Deno.inspect(errors[0], { depth: 10 }),
      JSON.stringify(errors[0]),
      String(cause.cause),
      Deno.inspect(cause.cause),
    ]
  ) {
    assert.ok(!text.includes("Zq7"), `the secret leaked into: ${text}`);
  }
  assert.equal(
    r.getCached("team-1", podName(1))?.metadata.resourceVersion,
    "6",
  );
});

Deno.test("a compact Reflector hands out a fresh object on every access: mutating one changes neither the cache nor later reads", async () => {
  const client = new ScriptClient();
  client.lists.push(list("5", [pod(0, 4)]));
  client.watches.push({ lines: [event("MODIFIED", pod(0, 6))], then: "hang" });
  const { lister, watcher } = listWatch<Obj>(client, PATH);
  const store = new IndexedStore<Obj>();
  const r = new Reflector<Obj>(lister, watcher, {
    compact: true,
    initialList: "list",
    store,
  });
  const ns = "team-0";
  const name = podName(0);
  const seen: ReflectorEvent<Obj>[] = [];
  const running = r.run();
  for await (const e of r.observeAll()) {
    seen.push(e);
    if (e.type === "MODIFIED") break;
  }
  const first = r.getCached(ns, name)!;
  assert.notEqual(first, r.getCached(ns, name));
  first.metadata.labels!.app = "mutated";
  first.metadata.resourceVersion = "999";
  (seen[0].type === "ADDED" ? seen[0].object : first).metadata.labels!.tier =
    "mutated";
  const modified = seen.find((e) => e.type === "MODIFIED");
  assert.ok(modified?.type === "MODIFIED");
  modified.object.metadata.labels!.app = "mutated too";
  r.listCached()[0].metadata.name = "renamed";
  store.byLabel("app", "web")[0].metadata.labels!.app = "x";
  const again = r.getCached(ns, name)!;
  assert.equal(again.metadata.resourceVersion, "6");
  assert.equal(again.metadata.labels!.app, "web");
  assert.equal(again.metadata.labels!.tier, "back");
  assert.equal(r.listCached()[0].metadata.name, name);
  assert.equal(store.byLabel("app", "web").length, 1);
  assert.deepEqual(again, fakePod(0, 6));
  r.stop();
  await running;
});

Deno.test("a compact Reflector's events build their objects on first read, once per event for every observer", async () => {
  const client = new ScriptClient();
  client.lists.push(list("5", [pod(0, 4), pod(1, 4)]));
  client.watches.push({
    lines: [event("MODIFIED", pod(0, 6)), event("ADDED", pod(2, 7))],
    then: "hang",
  });
  const { lister, watcher } = listWatch<Obj>(client, PATH);
  const r = new Reflector<Obj>(lister, watcher, {
    compact: true,
    initialList: "list",
  });
  let unpacked = 0;
  const unpack = Packed.prototype.unpack;
  Packed.prototype.unpack = function <T>(this: Packed): T {
    unpacked++;
    return unpack.call(this) as T;
  };
  try {
    const a = r.observeAll();
    const b = r.observeAll();
    // Both registered (an observer's snapshot is taken at its first next()).
    const firstA = a.next();
    const firstB = b.next();
    const running = r.run();
    const fromA: ReflectorEvent<Obj>[] = [(await firstA).value!];
    const fromB: ReflectorEvent<Obj>[] = [(await firstB).value!];
    for (const [iter, into] of [[a, fromA], [b, fromB]] as const) {
      while (into.length < 5) into.push((await iter.next()).value!);
    }
    assert.deepEqual(fromA.map((e) => e.type), [
      "ADDED",
      "ADDED",
      "SYNCED",
      "MODIFIED",
      "ADDED",
    ]);
    assert.equal(unpacked, 0, "nothing is built until read");
    const modA = fromA[3] as ReflectorEvent<Obj> & { type: "MODIFIED" };
    const modB = fromB[3] as ReflectorEvent<Obj> & { type: "MODIFIED" };
    assert.equal(modA, modB, "observers share the event");
    assert.equal(modA.object, modB.object, "and its object");
    assert.equal(modA.object, modA.object);
    assert.equal(unpacked, 1);
    assert.equal(modA.previous.metadata.resourceVersion, "4");
    assert.equal(modB.previous, modA.previous);
    assert.equal(unpacked, 2);
    assert.deepEqual(JSON.parse(JSON.stringify(modA)), {
      type: "MODIFIED",
      object: fakePod(0, 6),
      previous: fakePod(0, 4),
    });
    r.stop();
    await running;
    await a.return(undefined);
    await b.return(undefined);
  } finally {
    Packed.prototype.unpack = unpack;
  }
});

Deno.test("a compact Reflector over a lister and watcher of one's own packs their parsed objects and gives the same events and cache", async () => {
  const scripted = (compact: boolean) => {
    const client = new ScriptClient();
    listScript(client);
    const { lister, watcher } = listWatch<Obj>(client, PATH);
    return new Reflector<Obj>((o) => lister(o), (o) => watcher(o), {
      compact,
      initialList: "list",
      pageSize: 4,
      clock: new FakeClock(),
    });
  };
  const run = async (r: Reflector<Obj>) => {
    const events: unknown[] = [];
    const observing = (async () => {
      for await (const e of r.observeAll()) {
        events.push(
          JSON.parse(JSON.stringify(plain(e as ReflectorEvent<Obj>))),
        );
      }
    })();
    const signal = new AbortController().signal;
    let state: ReflectorState = { kind: "Empty" };
    for (let i = 0; i < 8; i++) {
      state = await stepReflector(r, state, signal);
      if (state.kind === "Backoff") state = state.next;
    }
    r.stop();
    await r.run();
    await observing;
    return {
      events,
      cached: r.listCached().map((o) => JSON.stringify(o)).sort(),
    };
  };
  const expected = await run(scripted(false));
  const got = await run(scripted(true));
  // What is read back is each object's JSON form (-0 becomes 0): compared as JSON.
  assert.deepStrictEqual(got, expected);
});

Deno.test("compact refuses a store it would have to hand bytes to, at construction, naming what it expected", () => {
  const noop = () => new Promise<never>(() => {});
  assert.throws(
    () =>
      new Reflector<Obj>(noop, noop, { compact: true, store: new MapStore() }),
    {
      name: "TypeError",
      message: /compact keeps objects as bytes .*expected no store of your own/,
    },
  );
  assert.throws(
    () =>
      new Reflector<Obj>(noop, noop, {
        compact: true,
        store: new IndexedStore({}, new MapStore()),
      }),
    { name: "TypeError", message: /expected no inner store of your own/ },
  );
  const used = new IndexedStore<Obj>();
  used.add("ns/a", JSON.parse(event("x", pod(0, 1))).object);
  assert.throws(
    () => new Reflector<Obj>(noop, noop, { compact: true, store: used }),
    {
      name: "TypeError",
      message: /needs an empty store; this one holds 1 objects/,
    },
  );
});

Deno.test("a compact shared watch: consumers share one watch and one packed store, each gets the snapshot, and reads are fresh objects", async () => {
  const client = new ScriptClient();
  for (let i = 0; i < 2; i++) { // one for the compact watch, one for the other
    client.lists.push(list("5", [pod(0, 4), pod(1, 4)]));
    client.watches.push({ lines: [event("ADDED", pod(2, 6))], then: "hang" });
  }
  const shared = SharedWatches.for(client);
  const one = shared.reflector<Obj>(PATH, {
    compact: true,
    initialList: "list",
  });
  const two = shared.reflector<Obj>(PATH, {
    compact: true,
    initialList: "list",
  });
  const other = shared.reflector<Obj>(PATH, { initialList: "list" });
  assert.equal(shared.size, 2, "compact is part of the key");
  await other.release();
  assert.equal(one.store, two.store);
  for (const handle of [one, two]) {
    // The snapshot then the events, or — for a late consumer — a snapshot
    // that holds them already.
    const types: string[] = [];
    for await (const e of handle.observeAll()) {
      types.push(e.type);
      if (types.length === 4) break;
    }
    assert.deepEqual(types.filter((t) => t === "ADDED").length, 3);
    assert.ok(types.includes("SYNCED"));
  }
  const name = podName(2);
  assert.deepEqual(one.getCached("team-2", name), fakePod(2, 6));
  assert.notEqual(one.getCached("team-2", name), two.getCached("team-2", name));
  assert.equal(one.store.byNamespace("team-2").length, 1);
  assert.equal(one.listCached().length, 3);
  await one.release();
  await two.release();
  assert.equal(shared.size, 0);
  assert.equal(
    client.requests.filter((q) => q.expectStream && !q.expectJson).length,
    1,
    "one watch for both",
  );
});

Deno.test("a list body that is not JSON fails a compact Reflector's list with a TransportError naming the request, never the body", async () => {
  const client = new ScriptClient();
  client.lists.push(`{"kind":"SecretList","items":[{"data":Zq7SecretMARK}]}`);
  const errors: ReflectorError[] = [];
  const { lister, watcher } = listWatch<Obj>(client, PATH);
  const r = new Reflector<Obj>(lister, watcher, {
    compact: true,
    initialList: "list",
    clock: new FakeClock(),
    onError: (err) => errors.push(err),
  });
  const next = await stepReflector(
    r,
    { kind: "Empty" },
    new AbortController().signal,
  );
  assert.equal(next.kind, "Backoff");
  assert.equal(errors.length, 1);
  assert.equal(errors[0].reason, "InitialListFailed");
  const cause = errors[0].cause;
  assert.ok(cause instanceof TransportError, String(cause));
  assert.equal(cause.reason, "bad-response");
  assert.deepEqual(cause.request, { method: "GET", path: PATH });
  assert.match(cause.message, /^GET \/api\/v1\/pods: a list body is not JSON/);
  for (
    const text of [
      Deno.inspect(errors[0], { depth: 10 }),
      String(errors[0].stack),
    ]
  ) assert.ok(!text.includes("Zq7"), text);
});

Deno.test("a compact IndexedStore builds an object once per change for all its index functions, and none for the namespace and label indexes", async () => {
  const client = new ScriptClient();
  client.lists.push(list("5", [pod(0, 4), pod(1, 4)]));
  client.watches.push({ lines: [event("MODIFIED", pod(0, 6))] });
  const calls: string[] = [];
  const store = new IndexedStore<Obj>({
    node: (
      o,
    ) => (calls.push("node"), o.spec?.nodeName ? [o.spec.nodeName] : []),
    tier: (o) => (calls.push("tier"), [o.metadata.labels?.tier ?? ""]),
  });
  const plainOnly = new IndexedStore<Obj>();
  let unpacked = 0;
  const unpack = Packed.prototype.unpack;
  Packed.prototype.unpack = function <T>(this: Packed): T {
    unpacked++;
    return unpack.call(this) as T;
  };
  try {
    for (
      const [s, expected] of [[store, [2, 4]], [plainOnly, [0, 0]]] as const
    ) {
      const c = new ScriptClient();
      c.lists.push(...client.lists);
      c.watches.push(...client.watches);
      const { lister, watcher } = listWatch<Obj>(c, PATH);
      const r = new Reflector<Obj>(lister, watcher, {
        compact: true,
        initialList: "list",
        store: s,
        clock: new FakeClock(),
      });
      unpacked = 0;
      const signal = new AbortController().signal;
      const watching = await stepReflector(r, { kind: "Empty" }, signal);
      assert.equal(unpacked, expected[0], "one per listed object");
      await stepReflector(r, watching, signal);
      assert.equal(unpacked, expected[1], "the old object and the new one");
      assert.deepEqual(s.byLabel("tier", "back").length, 1);
    }
    assert.deepEqual(calls.filter((c) => c === "node").length, 4);
  } finally {
    Packed.prototype.unpack = unpack;
  }
  assert.deepEqual(
    store.byIndex("node", "node-0").map((o) => o.metadata.resourceVersion),
    ["6"],
  );
});
