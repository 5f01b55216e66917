// Transforms (lib/watch/transforms.ts): each object is transformed once
// before it is cached and delivered — list items, watch events, DELETED
// objects — the predicate still sees the server's object, MODIFIED's
// `previous` and a relist's difference are the transformed objects, and a
// transform that changes an object's key or version fails that list with a
// TypeError told to onError. Needs no cluster: scripted lister and watcher,
// the Reflector stepped one transition at a time. Each Reflector test runs
// with the default cache and with `compact: true` (./_both_modes.ts), where
// dropManagedFields is done on the bytes and other transforms on a parse.

import assert from "node:assert/strict";
import {
  type ApiStatus,
  dropManagedFields,
  type ListOpts,
  Reflector,
  type ReflectorError,
  type ReflectorEvent,
} from "../../../lib/watch/mod.ts";
import type { WatchEvent } from "../../../lib/contract.ts";
import { stepReflector } from "../../../lib/watch/_reflector_seam.ts";
import { bothModes, mode, withRawVariants } from "./_both_modes.ts";

type Obj = {
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    resourceVersion: string;
    managedFields?: unknown[];
    labels?: Record<string, string>;
  };
  data?: string;
};

const obj = (name: string, rv: string, data = "x"): Obj => ({
  metadata: {
    name,
    namespace: "ns",
    uid: `uid-${name}`,
    resourceVersion: rv,
    managedFields: [{ manager: "kubectl", fieldsV1: { big: true } }],
  },
  data,
});

/** A lister answering scripted lists and a watcher answering scripted streams that end. */
function scripted(lists: Obj[][], watches: WatchEvent<Obj, ApiStatus>[][]) {
  let version = 10;
  const listed: ListOpts[] = [];
  const api = {
    listed,
    lister: (opts: ListOpts) => {
      listed.push(opts);
      const items = lists.shift() ?? [];
      return Promise.resolve({
        metadata: { resourceVersion: String(version++) },
        items: structuredClone(items),
      });
    },
    watcher: () =>
      Promise.resolve(
        ReadableStream.from(structuredClone(watches.shift() ?? [])),
      ),
  };
  withRawVariants(api.lister, api.watcher);
  return api;
}

function observe(r: Reflector<Obj>) {
  const events: ReflectorEvent<Obj>[] = [];
  const done = (async () => {
    for await (const e of r.observeAll()) events.push(e);
  })();
  return { events, done };
}

const signal = new AbortController().signal;

bothModes(
  "a transform is applied to list items and watch objects before they are stored and delivered",
  async () => {
    const seen: string[] = [];
    const api = scripted([[obj("a", "1")]], [[
      { type: "ADDED", object: obj("b", "2") },
      { type: "MODIFIED", object: obj("a", "3", "y") },
      { type: "DELETED", object: obj("b", "4") },
    ]]);
    const r = new Reflector<Obj>(api.lister, api.watcher, {
      compact: mode.compact,
      initialList: "list",
      // The predicate sees the server's object, managedFields included.
      predicate: (o) => {
        seen.push(`${o.metadata.name}:${o.metadata.managedFields?.length}`);
        return true;
      },
      transform: dropManagedFields,
    });
    const { events, done } = observe(r);
    let state = await stepReflector(r, { kind: "Empty" }, signal);
    state = await stepReflector(r, state, signal);
    assert.deepEqual(state, { kind: "Watching", resourceVersion: "4" });
    r.stop();
    await r.run();
    await done;
    assert.deepEqual(seen, ["a:1", "b:1", "a:1"]);
    for (const e of events) {
      if ("object" in e && e.type !== "SYNCED" && e.type !== "DESYNCED") {
        assert.equal(
          "managedFields" in (e.object as Obj).metadata,
          false,
          e.type,
        );
      }
    }
    const modified = events.find((e) => e.type === "MODIFIED");
    assert.ok(modified?.type === "MODIFIED");
    // MODIFIED's previous is what the cache held: the transformed object.
    assert.deepEqual(modified.previous, {
      metadata: {
        name: "a",
        namespace: "ns",
        uid: "uid-a",
        resourceVersion: "1",
      },
      data: "x",
    });
    assert.deepEqual(events.map((e) => e.type), [
      "ADDED",
      "SYNCED",
      "ADDED",
      "MODIFIED",
      "DELETED",
    ]);
    assert.deepEqual(r.listCached().map((o) => o.metadata), [
      { name: "a", namespace: "ns", uid: "uid-a", resourceVersion: "3" },
    ]);
  },
);

bothModes(
  "a relist under a transform compares transformed objects by resourceVersion",
  async () => {
    let calls = 0;
    const api = scripted(
      [[obj("a", "1"), obj("b", "1")], [obj("a", "1"), obj("b", "2", "z")]],
      [],
    );
    const r = new Reflector<Obj>(api.lister, api.watcher, {
      compact: mode.compact,
      initialList: "list",
      // Not pure on purpose: what it gives for an unchanged version is not compared.
      transform: (o) => ({ ...o, data: `${o.data}#${++calls}` }),
    });
    await stepReflector(r, { kind: "Empty" }, signal);
    const { events, done } = observe(r);
    await stepReflector(r, { kind: "Empty" }, signal);
    r.stop();
    await r.run();
    await done;
    const after = events.slice(3); // the snapshot: ADDED a, ADDED b, SYNCED
    assert.deepEqual(after.map((e) => e.type), ["MODIFIED", "SYNCED"]);
    assert.ok(after[0].type === "MODIFIED");
    assert.equal(after[0].object.data, "z#4");
    assert.equal(after[0].previous.data, "x#2");
    // a's object is the newly transformed one (the relist replaced the cache).
    assert.equal(r.getCached("ns", "a")?.data, "x#3");
  },
);

bothModes(
  "a transform that changes an object's name fails the list with a TypeError naming it, told to onError",
  async () => {
    const errors: ReflectorError[] = [];
    const api = scripted([[obj("a", "1")]], []);
    const r = new Reflector<Obj>(api.lister, api.watcher, {
      compact: mode.compact,
      initialList: "list",
      transform: (o) => ({ ...o, metadata: { ...o.metadata, name: "other" } }),
      onError: (err) => errors.push(err),
    });
    const state = await stepReflector(r, { kind: "Empty" }, signal);
    assert.equal(state.kind, "Backoff");
    assert.equal(errors.length, 1);
    assert.equal(errors[0].reason, "InitialListFailed");
    assert.ok(errors[0].cause instanceof TypeError);
    assert.match(
      (errors[0].cause as TypeError).message,
      /transform must keep metadata\.name, namespace and resourceVersion; for ns\/a at 1 it returned ns\/other at 1/,
    );
    assert.equal(r.listCached().length, 0);
  },
);

Deno.test("dropManagedFields removes metadata.managedFields and nothing else", () => {
  const o = obj("a", "1");
  const out = dropManagedFields(o);
  assert.equal(out, o);
  assert.deepEqual(out, {
    metadata: {
      name: "a",
      namespace: "ns",
      uid: "uid-a",
      resourceVersion: "1",
    },
    data: "x",
  });
  assert.deepEqual(dropManagedFields({ metadata: null }), { metadata: null });
});
