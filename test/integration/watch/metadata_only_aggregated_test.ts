// Metadata-only lists and watches of an aggregated API, through the real
// apiserver's aggregation layer (kube-aggregator in kube-apiserver, with
// the front-proxy flags the harness passes every release), to a stand-in
// aggregated API server not built on k8s.io/apiserver (test/_aggregated_api.ts)
// in its two answers to `as=PartialObjectMetadata…`:
// - `plain` ignores it and sends full objects: the aggregator passes the
//   200 and `application/json` through; listWatch, a Reflector over it
//   and DynamicClient.list/watch cut the objects to PartialObjectMetadata.
// - `refuses-partial` answers 406 NotAcceptable: the aggregator passes the
//   406 and the Status through; the lister and watcher ask once more with
//   plain JSON, and every later request of theirs asks plain JSON at once.
// What the aggregator (1.20.2, ours) sends on, recorded by the stand-in:
// the Accept header unchanged, the user in X-Remote-User/X-Remote-Group,
// and no Authorization header (a bearer token is not forwarded).

import assert from "node:assert/strict";
import { DynamicClient, KubeConfigRestClient } from "../../../mod.ts";
import {
  listWatch,
  Reflector,
  type ReflectorEvent,
} from "../../../lib/watch/mod.ts";
import { controlPlane, serverVersion } from "../../harness.ts";
import { until } from "../../_helpers.ts";
import {
  type AcceptMode,
  AggregatedApi,
  registerAggregatedApi,
} from "../../_aggregated_api.ts";
import { kubeconfigFor } from "../../_helpers.ts";

const cp = await controlPlane();
const server = await serverVersion();

const METADATA_LIST_ACCEPT =
  "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json";

type Meta = {
  kind: string;
  apiVersion: string;
  metadata: {
    name: string;
    namespace: string;
    labels?: Record<string, string>;
  };
  spec?: unknown;
};

const widget = (name: string, ns: string) => ({
  apiVersion: "",
  kind: "Widget",
  metadata: { name, namespace: ns, labels: { app: "w" } },
  spec: { payload: "x".repeat(200) },
});

/** A stand-in in `mode`, registered for a fresh group in a fresh namespace, and a token client. */
async function withAggregatedApi(
  mode: AcceptMode,
  fn: (
    api: AggregatedApi,
    client: KubeConfigRestClient,
    ns: string,
  ) => Promise<void>,
) {
  const ns = await cp.createNamespace("agg");
  const group = `agg${crypto.randomUUID().slice(0, 6)}.example.com`;
  const items = [widget("w1", ns), widget("w2", ns)];
  for (const i of items) i.apiVersion = `${group}/v1`;
  const service = { name: "stand-in", namespace: ns };
  const api = await AggregatedApi.start({
    group,
    version: "v1",
    mode,
    service,
    resources: [{ plural: "widgets", kind: "Widget", namespaced: true, items }],
  });
  // A bearer token, to see whether the aggregator forwards it.
  const dir = await Deno.makeTempDir();
  const kubeconfig = `${dir}/config`;
  await Deno.writeTextFile(
    kubeconfig,
    JSON.stringify(kubeconfigFor(
      cp.server,
      { "certificate-authority-data": btoa(cp.caPem) },
      { token: cp.tokens.admin },
    )),
  );
  const client = await KubeConfigRestClient.readKubeConfig(kubeconfig);
  const admin = await cp.adminClient();
  let undo: (() => Promise<void>) | undefined;
  try {
    undo = await registerAggregatedApi(admin, api, service);
    await fn(api, client, ns);
  } finally {
    await undo?.();
    admin.close();
    client.close();
    await api.close();
    await cp.deleteNamespace(ns);
    await Deno.remove(dir, { recursive: true });
  }
}

/** A raw GET through the apiserver, to see the status and headers the aggregator passes on. */
async function rawGet(path: string, accept: string) {
  const http = Deno.createHttpClient({ caCerts: [cp.caPem] });
  try {
    const res = await fetch(`${cp.server}${path}`, {
      client: http,
      headers: { accept, authorization: `Bearer ${cp.tokens.admin}` },
    });
    return {
      status: res.status,
      contentType: res.headers.get("content-type"),
      body: await res.json() as Record<string, unknown>,
    };
  } finally {
    http.close();
  }
}

async function reflectAndRelabel(
  api: AggregatedApi,
  client: KubeConfigRestClient,
  ns: string,
) {
  const path = `/apis/${api.group}/v1/namespaces/${ns}/widgets`;
  const { lister, watcher } = listWatch<Meta>(client, path, {
    metadataOnly: true,
  });
  const r = new Reflector<Meta>(lister, watcher, { initialList: "list" });
  const events: ReflectorEvent<Meta>[] = [];
  const observing = (async () => {
    for await (const e of r.observeAll()) events.push(e);
  })();
  const running = r.run();
  try {
    await until(() => r.isSynced(), 15_000, "the first sync");
    // The watch is open when the stand-in has a watch request.
    await until(
      () => api.requests.some((q) => q.search.includes("watch=true")),
      10_000,
      "the watch through the aggregator",
    );
    api.relabel("widgets", "w1", { tier: "web" });
    await until(
      () => r.getCached(ns, "w1")?.metadata.labels?.tier === "web",
      10_000,
      "w1's new label, through the aggregator's watch proxy",
    );
  } finally {
    r.stop();
    await running;
    await observing;
  }
  for (const obj of r.listCached()) {
    assert.deepEqual(Object.keys(obj).sort(), [
      "apiVersion",
      "kind",
      "metadata",
    ]);
    assert.equal(obj.kind, "PartialObjectMetadata");
    assert.equal(obj.apiVersion, "meta.k8s.io/v1");
  }
  assert.deepEqual(r.listCached().map((o) => o.metadata.name).sort(), [
    "w1",
    "w2",
  ]);
  const modified = events.find((e) => e.type === "MODIFIED");
  assert.ok(modified?.type === "MODIFIED");
  assert.equal(modified.object.kind, "PartialObjectMetadata");
  assert.equal("spec" in modified.object, false);
}

async function dynamicMetadataOnly(
  api: AggregatedApi,
  client: KubeConfigRestClient,
  ns: string,
) {
  const dyn = new DynamicClient(client);
  const ref = { apiVersion: `${api.group}/v1`, kind: "Widget", namespace: ns };
  const list = await dyn.list<Meta>(ref, { metadataOnly: true });
  assert.equal(list.kind, "PartialObjectMetadataList");
  assert.deepEqual(
    list.items.map((i) => [i.kind, i.metadata.name, "spec" in i]),
    [["PartialObjectMetadata", "w1", false], [
      "PartialObjectMetadata",
      "w2",
      false,
    ]],
  );
  const ctl = new AbortController();
  const stream = await dyn.watch<Meta>(ref, {
    metadataOnly: true,
    resourceVersion: list.metadata.resourceVersion,
    signal: ctl.signal,
  });
  const reader = stream.getReader();
  try {
    api.relabel("widgets", "w2", { tier: "db" });
    const read = await Promise.race([
      reader.read(),
      new Promise<never>((_, reject) =>
        setTimeout(
          () => reject(new Error("no watch event within 10 s")),
          10_000,
        )
      ),
    ]);
    const value = read.value;
    assert.ok(value?.type === "MODIFIED");
    assert.deepEqual(Object.keys(value.object).sort(), [
      "apiVersion",
      "kind",
      "metadata",
    ]);
    assert.equal(value.object.metadata.labels?.tier, "db");
  } finally {
    ctl.abort();
    await reader.cancel().catch(() => {});
  }
}

Deno.test(`through the aggregator (${server.gitVersion}), a plain aggregated API answers the metadata-only Accept with full objects, passed through as they are`, async () => {
  await withAggregatedApi("plain", async (api, _client, ns) => {
    const path = `/apis/${api.group}/v1/namespaces/${ns}/widgets`;
    const got = await rawGet(path, METADATA_LIST_ACCEPT);
    assert.equal(got.status, 200);
    assert.match(got.contentType ?? "", /^application\/json/);
    assert.equal(got.body.kind, "WidgetList");
    const seen = api.requests.findLast((q) => q.path === path)!;
    // The aggregator sends the Accept header on unchanged, the user as
    // front-proxy headers, and not the bearer token.
    assert.equal(seen.accept, METADATA_LIST_ACCEPT);
    assert.equal(seen.remoteUser, "kube-test-token-admin");
    assert.ok(
      seen.remoteGroups.includes("system:masters"),
      seen.remoteGroups.join(),
    );
    assert.equal(seen.authorization, false);
  });
});

Deno.test("a Reflector over a metadata-only listWatch of a plain aggregated API caches and delivers PartialObjectMetadata, through a live change", async () => {
  await withAggregatedApi("plain", reflectAndRelabel);
});

Deno.test("DynamicClient.list and watch with metadataOnly return PartialObjectMetadata from a plain aggregated API", async () => {
  await withAggregatedApi("plain", dynamicMetadataOnly);
});

Deno.test(`through the aggregator (${server.gitVersion}), an aggregated API's 406 to the metadata-only Accept reaches the client as it was sent`, async () => {
  await withAggregatedApi("refuses-partial", async (api, _client, ns) => {
    const path = `/apis/${api.group}/v1/namespaces/${ns}/widgets`;
    const got = await rawGet(path, METADATA_LIST_ACCEPT);
    assert.equal(got.status, 406);
    assert.equal(got.body.kind, "Status");
    assert.equal(got.body.reason, "NotAcceptable");
    assert.equal(api.requests.findLast((q) => q.path === path)?.status, 406);
  });
});

Deno.test("after an aggregated API's 406, the metadata-only lister and watcher ask plain JSON and a Reflector still holds PartialObjectMetadata", async () => {
  await withAggregatedApi("refuses-partial", async (api, client, ns) => {
    await reflectAndRelabel(api, client, ns);
    const path = `/apis/${api.group}/v1/namespaces/${ns}/widgets`;
    const asked = api.requests.filter((q) => q.path === path).map((
      q,
    ) => [
      q.search.includes("watch=true") ? "watch" : "list",
      q.status,
      /as=/.test(q.accept ?? ""),
    ]);
    // One refused list, then plain JSON for the list and for every watch.
    assert.deepEqual(asked[0], ["list", 406, true]);
    assert.deepEqual(asked[1], ["list", 200, false]);
    assert.ok(asked.slice(2).length >= 1);
    for (const a of asked.slice(2)) {
      assert.deepEqual([a[1], a[2]], [200, false]);
    }
  });
});

Deno.test("DynamicClient.list and watch with metadataOnly return PartialObjectMetadata from an aggregated API that answers 406", async () => {
  await withAggregatedApi("refuses-partial", dynamicMetadataOnly);
});
