// IndexedStore (lib/watch/indexed_store.ts): answers by namespace, by label
// and by registered index functions, kept exact through add, update,
// delete and replace, without reading every object (its inner store is
// never iterated for a lookup); and as a Reflector's store, through a
// relist, with the default cache and with `compact: true` (packed
// entries: the namespace and label indexes read the key and the scanned
// labels, an index function the object built from the bytes). Needs no
// cluster.

import assert from "node:assert/strict";
import {
  IndexedStore,
  MapStore,
  Reflector,
  type ReflectorStore,
} from "../../../lib/watch/mod.ts";
import { stepReflector } from "../../../lib/watch/_reflector_seam.ts";
import { bothModes, mode, withRawVariants } from "./_both_modes.ts";

type Pod = {
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    resourceVersion: string;
    labels?: Record<string, string>;
  };
  spec?: { nodeName?: string };
};

const pod = (
  ns: string,
  name: string,
  labels: Record<string, string>,
  node?: string,
  rv = "1",
): Pod => ({
  metadata: {
    name,
    namespace: ns,
    uid: `u-${name}`,
    resourceVersion: rv,
    labels,
  },
  ...(node ? { spec: { nodeName: node } } : {}),
});
const key = (p: Pod) => `${p.metadata.namespace}/${p.metadata.name}`;
const names = (ps: Pod[]) => ps.map((p) => p.metadata.name).sort();

/** A MapStore that counts full scans. */
class CountingStore extends MapStore<Pod> implements ReflectorStore<Pod> {
  scans = 0;
  override values(): Iterable<Pod> {
    this.scans++;
    return super.values();
  }
}

const byNode = (p: Pod) => (p.spec?.nodeName ? [p.spec.nodeName] : []);

Deno.test("IndexedStore finds objects by namespace, label and a registered index, following add, update and delete", () => {
  const inner = new CountingStore();
  const store = new IndexedStore<Pod>({ node: byNode }, inner);
  for (
    const p of [
      pod("a", "p1", { app: "web", tier: "fe" }, "n1"),
      pod("a", "p2", { app: "db" }, "n2"),
      pod("b", "p3", { app: "web" }, "n1"),
    ]
  ) store.add(key(p), p);
  const scans = inner.scans;
  assert.deepEqual(names(store.byNamespace("a")), ["p1", "p2"]);
  assert.deepEqual(names(store.byLabel("app", "web")), ["p1", "p3"]);
  assert.deepEqual(names(store.byIndex("node", "n1")), ["p1", "p3"]);
  assert.deepEqual(store.byLabel("app", "none"), []);
  // Moved to another node, relabelled: old entries go, new ones come.
  store.update("a/p1", pod("a", "p1", { app: "api" }, "n2", "2"));
  assert.deepEqual(names(store.byIndex("node", "n1")), ["p3"]);
  assert.deepEqual(names(store.byIndex("node", "n2")), ["p1", "p2"]);
  assert.deepEqual(names(store.byLabel("app", "web")), ["p3"]);
  assert.deepEqual(store.byLabel("tier", "fe"), []);
  assert.deepEqual(names(store.byLabel("app", "api")), ["p1"]);
  store.delete("b/p3");
  assert.deepEqual(store.byIndex("node", "n1"), []);
  assert.deepEqual(store.indexValues("node"), ["n2"]);
  assert.deepEqual(store.byNamespace("b"), []);
  assert.deepEqual(store.indexValues("namespace"), ["a"]);
  // No lookup read every object.
  assert.equal(inner.scans, scans);
  assert.equal(store.size, 2);
});

Deno.test("IndexedStore rebuilds its indexes on replace, and indexes existing objects for a late index", () => {
  const store = new IndexedStore<Pod>();
  store.add("a/p1", pod("a", "p1", { app: "web" }, "n1"));
  store.replace(
    new Map([
      ["b/p2", pod("b", "p2", { app: "web" }, "n2")],
      ["b/p3", pod("b", "p3", {}, "n2")],
    ]),
  );
  assert.deepEqual(store.byNamespace("a"), []);
  assert.deepEqual(names(store.byLabel("app", "web")), ["p2"]);
  store.addIndexers({ node: byNode });
  assert.deepEqual(names(store.byIndex("node", "n2")), ["p2", "p3"]);
});

Deno.test("IndexedStore refuses a taken index name and an unknown one, naming them", () => {
  const store = new IndexedStore<Pod>({ node: byNode });
  assert.throws(
    () => store.addIndexers({ other: byNode, namespace: byNode }),
    {
      name: "TypeError",
      message: /an index named "namespace" is already registered/,
    },
  );
  // Nothing of the refused call was added.
  assert.throws(() => store.byIndex("other", "x"), {
    name: "TypeError",
    message:
      'IndexedStore: no index named "other"; expected one of namespace, label, node',
  });
});

bothModes(
  "an IndexedStore as a Reflector's store follows a relist",
  async () => {
    const lists = [
      [pod("a", "p1", { app: "web" }, "n1"), pod("a", "p2", { app: "web" })],
      [pod("a", "p2", { app: "db" }, "n1", "5")],
    ];
    let rv = 1;
    const store = new IndexedStore<Pod>({ node: byNode });
    const lister = () =>
      Promise.resolve({
        metadata: { resourceVersion: String(rv++) },
        items: lists.shift() ?? [],
      });
    const watcher = () => Promise.reject(new Error("no watch here"));
    withRawVariants(lister, watcher);
    const r = new Reflector<Pod>(lister, watcher, {
      initialList: "list",
      store,
      compact: mode.compact,
    });
    const signal = new AbortController().signal;
    await stepReflector(r, { kind: "Empty" }, signal);
    assert.deepEqual(names(store.byLabel("app", "web")), ["p1", "p2"]);
    assert.deepEqual(names(store.byIndex("node", "n1")), ["p1"]);
    await stepReflector(r, { kind: "Empty" }, signal);
    assert.deepEqual(store.byLabel("app", "web"), []);
    assert.deepEqual(names(store.byLabel("app", "db")), ["p2"]);
    assert.deepEqual(names(store.byIndex("node", "n1")), ["p2"]);
    assert.deepEqual(store.byNamespace("a"), [
      pod("a", "p2", { app: "db" }, "n1", "5"),
    ]);
    assert.deepEqual(store.indexValues("label"), ["app=db"]);
  },
);
