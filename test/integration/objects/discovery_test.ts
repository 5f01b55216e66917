// Discovery and REST mapping. Against a loopback peer that answers as the
// Kubernetes source describes (apidiscovery.k8s.io/v2 APIGroupDiscoveryList
// from /api and /apis when the Accept header asks for it, the core group
// unnamed, versions preferred-first, freshness Current or Stale; legacy
// APIVersions / APIGroupList / APIResourceList otherwise): the aggregated
// form costs two requests in all, Stale group-versions fall back to their
// own document, answers are cached for the TTL, a kind that appears later
// is found by one refresh, and an unknown kind fails with a typed error
// naming the group-version looked at. Against the real apiserver (legacy
// before 1.27 — ours is 1.20 — aggregated from 1.27): the built-in kinds
// map to their resources, scopes, subresources and preferred versions.

import assert from "node:assert/strict";
import { KubeConfigRestClient } from "../../../mod.ts";
import {
  Discovery,
  DiscoveryError,
  resourcePath,
  RestMapper,
  UnknownKindError,
} from "../../../lib/objects/mod.ts";
import { AGGREGATED_DISCOVERY_ACCEPT } from "../../../lib/objects/discovery.ts";
import { controlPlane, serverVersion } from "../../harness.ts";
import { rejection } from "../../_helpers.ts";

const aggregatedType =
  "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

interface PeerKind {
  group: string;
  version: string;
  resource: string;
  kind: string;
  namespaced: boolean;
  subresources?: string[];
}

/** A discovery server: aggregated when asked and enabled, legacy otherwise. */
function discoveryPeer(opts: { aggregated: boolean; stale?: string[] }) {
  const kinds: PeerKind[] = [
    {
      group: "",
      version: "v1",
      resource: "pods",
      kind: "Pod",
      namespaced: true,
      subresources: ["status", "log"],
    },
    {
      group: "",
      version: "v1",
      resource: "namespaces",
      kind: "Namespace",
      namespaced: false,
    },
    {
      group: "apps",
      version: "v1",
      resource: "deployments",
      kind: "Deployment",
      namespaced: true,
      subresources: ["scale", "status"],
    },
    {
      group: "example.com",
      version: "v2",
      resource: "widgets",
      kind: "Widget",
      namespaced: true,
    },
    {
      group: "example.com",
      version: "v1",
      resource: "widgets",
      kind: "Widget",
      namespaced: true,
    },
  ];
  const groupOrder = ["apps", "example.com"];
  const hits: string[] = [];
  const versionsOf = (
    g: string,
  ) => [...new Set(kinds.filter((k) => k.group === g).map((k) => k.version))];
  const verbs = ["create", "delete", "get", "list", "patch", "update", "watch"];
  const aggregatedGroup = (g: string) => ({
    metadata: g === ""
      ? { creationTimestamp: null }
      : { name: g, creationTimestamp: null },
    versions: versionsOf(g).map((v) => ({
      version: v,
      resources: kinds.filter((k) => k.group === g && k.version === v).map((
        k,
      ) => ({
        resource: k.resource,
        responseKind: { group: g, version: v, kind: k.kind },
        scope: k.namespaced ? "Namespaced" : "Cluster",
        singularResource: k.kind.toLowerCase(),
        verbs,
        subresources: (k.subresources ?? []).map((s) => ({
          subresource: s,
          ...(s === "scale"
            ? {
              responseKind: {
                group: "autoscaling",
                version: "v1",
                kind: "Scale",
              },
            }
            : {}),
          verbs: ["get", "patch", "update"],
        })),
      })),
      freshness: opts.stale?.includes(`${g}/${v}`) ? "Stale" : "Current",
    })),
  });
  const json = (body: unknown, type = "application/json") =>
    new Response(JSON.stringify(body), { headers: { "content-type": type } });
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (req) => {
      const path = new URL(req.url).pathname;
      hits.push(path);
      const accept = req.headers.get("accept") ?? "";
      const wantsAggregated = opts.aggregated &&
        accept.includes("g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList");
      if (path === "/api" || path === "/apis") {
        if (wantsAggregated) {
          return json({
            kind: "APIGroupDiscoveryList",
            apiVersion: "apidiscovery.k8s.io/v2",
            metadata: {},
            items: path === "/api"
              ? [aggregatedGroup("")]
              : groupOrder.map(aggregatedGroup),
          }, aggregatedType);
        }
        if (path === "/api") {
          return json({
            kind: "APIVersions",
            versions: ["v1"],
          });
        }
        return json({
          kind: "APIGroupList",
          apiVersion: "v1",
          groups: groupOrder.map((g) => ({
            name: g,
            versions: versionsOf(g).map((v) => ({
              groupVersion: `${g}/${v}`,
              version: v,
            })),
            preferredVersion: {
              groupVersion: `${g}/${versionsOf(g)[0]}`,
              version: versionsOf(g)[0],
            },
          })),
        });
      }
      const m = path.match(/^\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))$/);
      if (m) {
        const g = m[2] ?? "";
        const v = m[1] ?? m[3];
        const list = kinds.filter((k) => k.group === g && k.version === v);
        if (!list.length) {
          return new Response("404 page not found", {
            status: 404,
          });
        }
        return json({
          kind: "APIResourceList",
          groupVersion: g ? `${g}/${v}` : v,
          resources: list.flatMap((k) => [
            {
              name: k.resource,
              singularName: k.kind.toLowerCase(),
              namespaced: k.namespaced,
              kind: k.kind,
              verbs,
            },
            ...(k.subresources ?? []).map((s) => ({
              name: `${k.resource}/${s}`,
              singularName: "",
              namespaced: k.namespaced,
              kind: s === "scale" ? "Scale" : k.kind,
              ...(s === "scale" ? { group: "autoscaling", version: "v1" } : {}),
              verbs: ["get", "patch", "update"],
            })),
          ]),
        });
      }
      return new Response("404 page not found", { status: 404 });
    },
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    hits,
    kinds,
    groupOrder,
    close: () => server.shutdown(),
  };
}

async function withPeer(
  opts: { aggregated: boolean; stale?: string[] },
  fn: (
    peer: ReturnType<typeof discoveryPeer>,
    client: KubeConfigRestClient,
  ) => Promise<void>,
): Promise<void> {
  const peer = discoveryPeer(opts);
  const client = await KubeConfigRestClient.forKubectlProxy(peer.url);
  try {
    await fn(peer, client);
  } finally {
    client.close();
    await peer.close();
  }
}

Deno.test("aggregated discovery: two requests answer every group, version preference, scope and subresource", async () => {
  await withPeer({ aggregated: true }, async (peer, client) => {
    const d = new Discovery(client);
    assert.equal(await d.form(), "aggregated");
    const mapper = new RestMapper(client, { discovery: d });
    const deploy = await mapper.mapping("apps/v1", "Deployment");
    assert.deepEqual(
      {
        resource: deploy.resource,
        namespaced: deploy.namespaced,
        subs: deploy.subresources.map((s) => `${s.name}:${s.kind ?? ""}`),
      },
      {
        resource: "deployments",
        namespaced: true,
        subs: ["scale:Scale", "status:"],
      },
    );
    const ns = await mapper.mapping("v1", "Namespace");
    assert.equal(
      resourcePath(ns, { namespace: "ignored", name: "web" }),
      "/api/v1/namespaces/web",
    );
    assert.equal(await mapper.preferredVersion("example.com"), "v2");
    assert.equal(await mapper.preferredVersion(""), "v1");
    assert.deepEqual((await d.groups()).map((g) => g.name), [
      "",
      "apps",
      "example.com",
    ]);
    assert.deepEqual(peer.hits.sort(), ["/api", "/apis"]);
  });
});

Deno.test("aggregated discovery: a Stale group-version is read from its own document", async () => {
  await withPeer(
    { aggregated: true, stale: ["example.com/v2"] },
    async (peer, client) => {
      const mapper = new RestMapper(client);
      const w = await mapper.mapping("example.com/v2", "Widget");
      assert.equal(w.resource, "widgets");
      assert.deepEqual(peer.hits.sort(), [
        "/api",
        "/apis",
        "/apis/example.com/v2",
      ]);
    },
  );
});

Deno.test("legacy discovery (what a 1.20 server answers to the same Accept) fetches only the group-versions asked about", async () => {
  await withPeer({ aggregated: false }, async (peer, client) => {
    const d = new Discovery(client);
    assert.equal(await d.form(), "legacy");
    const mapper = new RestMapper(client, { discovery: d });
    const deploy = await mapper.mapping("apps/v1", "Deployment");
    assert.deepEqual(deploy.subresources.map((s) => s.name), [
      "scale",
      "status",
    ]);
    assert.equal(deploy.subresources[0].kind, "Scale");
    await mapper.mapping("apps/v1", "Deployment");
    assert.deepEqual(peer.hits.sort(), ["/api", "/apis", "/apis/apps/v1"]);
  });
});

Deno.test("answers are cached for the TTL and fetched again after it", async () => {
  await withPeer({ aggregated: true }, async (peer, client) => {
    let now = 1_000_000;
    const d = new Discovery(client, { ttlMs: 60_000, now: () => now });
    await d.resources("apps/v1");
    now += 59_000;
    await d.resources("apps/v1");
    assert.equal(peer.hits.length, 2);
    now += 2_000;
    await d.resources("apps/v1");
    assert.equal(peer.hits.length, 4);
  });
});

Deno.test("a kind that appears after discovery was cached is found by one refresh", async () => {
  for (const aggregated of [true, false]) {
    await withPeer({ aggregated }, async (peer, client) => {
      const mapper = new RestMapper(client);
      await mapper.mapping("apps/v1", "Deployment");
      peer.groupOrder.push("late.example.com");
      peer.kinds.push({
        group: "late.example.com",
        version: "v1",
        resource: "gadgets",
        kind: "Gadget",
        namespaced: false,
      });
      const before = peer.hits.length;
      const g = await mapper.mapping("late.example.com/v1", "Gadget");
      assert.equal(
        resourcePath(g, { name: "x" }),
        "/apis/late.example.com/v1/gadgets/x",
      );
      assert.ok(
        peer.hits.length - before <= 3,
        `${aggregated}: ${peer.hits.slice(before)}`,
      );
    });
  }
});

Deno.test("an unknown kind fails with UnknownKindError naming the group-version looked at and what it serves", async () => {
  await withPeer({ aggregated: true }, async (_peer, client) => {
    const mapper = new RestMapper(client);
    const kindErr = await mapper.mapping("apps/v1", "Deploymnet").catch((e) =>
      e
    );
    assert.ok(kindErr instanceof UnknownKindError);
    assert.equal(kindErr.apiVersion, "apps/v1");
    assert.equal(
      kindErr.message,
      'no kind "Deploymnet" in apiVersion "apps/v1": apps/v1 serves Deployment',
    );
    const versionErr = await mapper.mapping("apps/v2", "Deployment").catch((
      e,
    ) => e);
    assert.ok(versionErr instanceof UnknownKindError);
    assert.equal(
      versionErr.message,
      'no kind "Deployment" in apiVersion "apps/v2": group "apps" does not serve v2; it serves v1',
    );
    assert.deepEqual(versionErr.servedVersions, ["v1"]);
    const groupErr = await mapper.mapping("nope.io/v1", "Thing").catch((e) =>
      e
    );
    assert.match(
      groupErr.message,
      /the server does not serve group "nope\.io"$/,
    );
    await assert.rejects(mapper.mapping("a/b/c", "X"), TypeError);
  });
});

Deno.test("a malformed discovery answer fails with DiscoveryError naming the path and field", async () => {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (req) => {
      const path = new URL(req.url).pathname;
      return Response.json(
        path === "/api"
          ? {
            kind: "APIGroupDiscoveryList",
            items: [{
              metadata: {},
              versions: [{
                version: "v1",
                resources: [{ resource: "pods", scope: "Sideways", verbs: [] }],
              }],
            }],
          }
          : { kind: "APIGroupList", groups: [] },
      );
    },
  );
  const client = await KubeConfigRestClient.forKubectlProxy(
    `http://127.0.0.1:${server.addr.port}`,
  );
  try {
    const err = await rejection(new Discovery(client).groups());
    assert.ok(err instanceof DiscoveryError, String(err));
    assert.equal(err.path, "/api");
    assert.match(
      err.message,
      /items\[0\]\.versions\[0\]\.resources\[0\]\.scope: expected Namespaced or Cluster, found "Sideways"/,
    );
  } finally {
    client.close();
    await server.shutdown();
  }
});

Deno.test("the Accept header asks for v2, then v2beta1, then plain JSON", () => {
  assert.deepEqual(AGGREGATED_DISCOVERY_ACCEPT.split(","), [
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList",
    "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList",
    "application/json;q=0.9",
  ]);
});

Deno.test("the real apiserver answers legacy discovery before 1.27 and aggregated from 1.27, and built-in kinds map to their resources", async () => {
  const cp = await controlPlane();
  const { minor } = await serverVersion();
  using client = await KubeConfigRestClient.readKubeConfig(
    cp.kubeconfigs.admin,
  );
  const mapper = new RestMapper(client);
  // AggregatedDiscoveryEndpoint: beta and on by default in 1.27 (v2beta1), GA in 1.30 (v2).
  assert.equal(
    await mapper.discovery.form(),
    minor >= 27 ? "aggregated" : "legacy",
    `server v1.${minor}`,
  );
  const deploy = await mapper.mapping("apps/v1", "Deployment");
  assert.equal(deploy.resource, "deployments");
  assert.ok(deploy.namespaced);
  assert.ok(
    deploy.subresources.some((s) => s.name === "scale" && s.kind === "Scale"),
  );
  assert.ok(deploy.verbs.includes("patch"));
  const crd = await mapper.mapping(
    "apiextensions.k8s.io/v1",
    "CustomResourceDefinition",
  );
  assert.equal(crd.namespaced, false);
  assert.equal(
    resourcePath(await mapper.mapping("v1", "Pod"), {
      namespace: "a b",
      name: "p",
      subresource: "log",
    }),
    "/api/v1/namespaces/a%20b/pods/p/log",
  );
  assert.equal(await mapper.preferredVersion("autoscaling"), "v1");
  const err = await rejection(mapper.mapping("apps/v1", "Pod"));
  assert.ok(err instanceof UnknownKindError);
  assert.match(
    err.message,
    /^no kind "Pod" in apiVersion "apps\/v1": apps\/v1 serves .*Deployment/,
  );
});
