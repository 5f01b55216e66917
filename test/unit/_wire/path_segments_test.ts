// Names are path segments, and a name the URL parser resolves away
// addresses another object: `DELETE …/configmaps/.` is the whole collection,
// `…/configmaps/..` the namespace. Without a cluster, this file proves:
// the one path builder (lib/_wire/api_path.ts) checks every part as
// apimachinery's `path.IsValidPathSegmentName` does and words its error as
// client-go (so as kubectl); every helper that addresses an object by name
// (dynamic client, scale, restart, waitFor, apply, deleteApplied, logs,
// exec, attach, port-forward to a pod, a Service, a Deployment) refuses
// `.`, `..`, `a/b` and `a%2fb` with a PathSegmentError before it sends
// anything (a counting client sees no request); and performRequest itself
// (RequestBase, which every transport extends) refuses paths whose
// segments would be resolved away, encoded or not, on the fetch transport
// (no connection reaches a listening socket) and on `kubectl --raw` (no
// kubectl is started). All four transports against the real apiserver, with
// the objects that would have been lost, are in
// test/integration/_wire/path_segments_apiserver_test.ts.

import assert from "node:assert/strict";
import {
  apply,
  ApplyError,
  DynamicClient,
  execCommand,
  KubeConfig,
  KubeConfigRestClient,
  KubectlRawRestClient,
  portForward,
  type RequestOptions,
  type RestClient,
  streamLogs,
  TransportError,
  waitFor,
} from "../../../mod.ts";
import { PathSegmentError } from "../../../lib/errors/mod.ts";
import {
  deleteApplied,
  resourcePath,
  restart,
  RestMapper,
  type RestMapping,
  scale,
} from "../../../lib/objects/mod.ts";
import {
  openAttach,
  portForwardDeployment,
  portForwardService,
} from "../../../lib/tunnels/mod.ts";
import { apiPath, pathSegmentProblems } from "../../../lib/_wire/api_path.ts";
import { checkPathSegments } from "../../../lib/_wire/request_head.ts";
import { rejection, withTempDir, writeScript } from "../../_helpers.ts";

const BAD_NAMES = [".", "..", "a/b", "a%2fb"];

/** What `fn` throws (or `undefined`). */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

Deno.test("the path segment rules are apimachinery's, in its words", () => {
  assert.deepEqual(pathSegmentProblems("."), ["may not be '.'"]);
  assert.deepEqual(pathSegmentProblems(".."), ["may not be '..'"]);
  assert.deepEqual(pathSegmentProblems("a/b"), ["may not contain '/'"]);
  assert.deepEqual(pathSegmentProblems("a%2fb"), ["may not contain '%'"]);
  assert.deepEqual(pathSegmentProblems("../%"), [
    "may not contain '/'",
    "may not contain '%'",
  ]);
  for (const fine of ["a.b", "...", ".a", "..a", "a..", "a b", "é", "a\\b"]) {
    assert.deepEqual(pathSegmentProblems(fine), [], fine);
  }
});

Deno.test("apiPath builds core and group paths, collections, objects and subresources", () => {
  assert.equal(apiPath({ version: "v1", resource: "pods" }), "/api/v1/pods");
  assert.equal(
    apiPath({ apiVersion: "v1", resource: "pods", namespace: "web" }),
    "/api/v1/namespaces/web/pods",
  );
  assert.equal(
    apiPath({
      apiVersion: "apps/v1",
      resource: "deployments",
      namespace: "web",
      name: "site",
      subresource: "scale",
    }),
    "/apis/apps/v1/namespaces/web/deployments/site/scale",
  );
  assert.equal(
    apiPath({ group: "example.com", version: "v1", resource: "widgets" }),
    "/apis/example.com/v1/widgets",
  );
  // Characters a name may hold are percent-encoded, dots kept.
  assert.equal(
    apiPath({
      version: "v1",
      resource: "configmaps",
      namespace: "a b",
      name: "x?y#z.é",
    }),
    "/api/v1/namespaces/a%20b/configmaps/x%3Fy%23z.%C3%A9",
  );
  assert.equal(
    apiPath({ version: "v1", resource: "configmaps", name: "..." }),
    "/api/v1/configmaps/...",
  );
});

Deno.test("apiPath: a cluster-scoped resource ignores the namespace, even one that could not be a segment", () => {
  for (const namespace of ["web", "..", "a/b"]) {
    assert.equal(
      apiPath({
        version: "v1",
        resource: "namespaces",
        namespaced: false,
        namespace,
        name: "web",
      }),
      "/api/v1/namespaces/web",
    );
  }
});

Deno.test("apiPath refuses every part that cannot be one segment, naming the part and the value as kubectl does", () => {
  const base = { apiVersion: "v1", resource: "configmaps", namespace: "ns" };
  const cases: [Parameters<typeof apiPath>[0], string, string, string][] = [
    [
      { ...base, name: "." },
      "name",
      ".",
      `invalid resource name ".": [may not be '.']`,
    ],
    [
      { ...base, name: ".." },
      "name",
      "..",
      `invalid resource name "..": [may not be '..']`,
    ],
    [
      { ...base, name: "a/b" },
      "name",
      "a/b",
      `invalid resource name "a/b": [may not contain '/']`,
    ],
    [
      { ...base, name: "a%2fb" },
      "name",
      "a%2fb",
      `invalid resource name "a%2fb": [may not contain '%']`,
    ],
    [{ ...base, name: "" }, "name", "", "resource name may not be empty"],
    [
      { ...base, namespace: ".." },
      "namespace",
      "..",
      `invalid namespace "..": [may not be '..']`,
    ],
    [
      { ...base, namespace: "." },
      "namespace",
      ".",
      `invalid namespace ".": [may not be '.']`,
    ],
    [
      { ...base, namespace: "x/y" },
      "namespace",
      "x/y",
      `invalid namespace "x/y": [may not contain '/']`,
    ],
    [{ ...base, namespace: "" }, "namespace", "", "namespace may not be empty"],
    [
      { ...base, name: "a", subresource: ".." },
      "subresource",
      "..",
      `invalid subresource "..": [may not be '..']`,
    ],
    [
      { ...base, name: "a", subresource: "status/x" },
      "subresource",
      "status/x",
      `invalid subresource "status/x": [may not contain '/']`,
    ],
    [
      { ...base, resource: "." },
      "resource",
      ".",
      `invalid resource ".": [may not be '.']`,
    ],
    [{ ...base, resource: "" }, "resource", "", "resource may not be empty"],
    [
      { ...base, apiVersion: "../v1" },
      "group",
      "..",
      `invalid group "..": [may not be '..']`,
    ],
    [
      { ...base, apiVersion: "apps/v1/x" },
      "version",
      "v1/x",
      `invalid version "v1/x": [may not contain '/']`,
    ],
    [{ ...base, apiVersion: "" }, "version", "", "version may not be empty"],
  ];
  for (const [parts, field, value, message] of cases) {
    const e = thrown(() => apiPath(parts));
    assert.ok(e instanceof PathSegmentError && e instanceof TypeError, message);
    assert.equal(e.field, field, message);
    assert.equal(e.value, value, message);
    assert.ok(
      e.message.endsWith(`: ${message}`),
      `${e.message} should end with ${message}`,
    );
  }
});

Deno.test("apiPath: a subresource needs a name", () => {
  const err = thrown(() =>
    apiPath({ version: "v1", resource: "pods", subresource: "log" })
  );
  assert.ok(err instanceof PathSegmentError);
  assert.equal(err.field, "name");
  assert.match(err.message, /pods \(v1\) log: resource name may not be empty/);
});

const configMaps: RestMapping = {
  apiVersion: "v1",
  group: "",
  version: "v1",
  kind: "ConfigMap",
  resource: "configmaps",
  namespaced: true,
  verbs: ["get", "list", "watch", "create", "update", "patch", "delete"],
  subresources: [],
};

Deno.test("resourcePath keeps its signature and meaning, and refuses what cannot be a segment", () => {
  assert.equal(resourcePath(configMaps), "/api/v1/configmaps");
  assert.equal(
    resourcePath(configMaps, { namespace: "" }),
    "/api/v1/configmaps",
    "an empty namespace has always meant all namespaces here",
  );
  assert.equal(
    resourcePath(configMaps, { namespace: "web", name: "a.b" }),
    "/api/v1/namespaces/web/configmaps/a.b",
  );
  for (const name of BAD_NAMES) {
    const e = thrown(() =>
      resourcePath(configMaps, { namespace: "web", name })
    );
    assert.ok(e instanceof PathSegmentError, `${name}: ${e}`);
    assert.ok(e.message.startsWith("ConfigMap (v1): invalid resource name"));
  }
  assert.throws(
    () => resourcePath(configMaps, { namespace: "..", name: "a" }),
    PathSegmentError,
  );
  assert.throws(
    () => resourcePath(configMaps, { subresource: "status" }),
    TypeError,
  );
});

Deno.test("performRequest's path check refuses segments that normalise away, encoded or not, and nothing else", () => {
  const refused = [
    "/api/v1/namespaces/ns/configmaps/.",
    "/api/v1/namespaces/ns/configmaps/..",
    "/api/v1/namespaces/ns/configmaps/%2e",
    "/api/v1/namespaces/ns/configmaps/%2E%2e",
    "/api/v1/namespaces/ns/configmaps/.%2E",
    "/api/v1/namespaces/ns/configmaps/%2e.",
    "/api/v1/namespaces/../pods",
    "/api/v1/namespaces/ns/configmaps/..?propagationPolicy=Background",
    "/api/v1/namespaces/ns/configmaps/./x",
    "/api/v1/namespaces/ns/configmaps/a\\..",
    "/api/v1/namespaces/ns/configmaps/a%2F..",
    "/api/v1/namespaces/ns/configmaps/a%2f%2E%2E",
    "/api/v1/namespaces//configmaps",
    "..",
  ];
  for (const path of refused) {
    const e = thrown(() => checkPathSegments({ method: "DELETE", path }));
    assert.ok(e instanceof TransportError, `${path} was not refused`);
    assert.equal(e.kind, "invalid-request");
    assert.equal(e.request?.method, "DELETE");
    assert.ok(!e.request?.path.includes("?"), "the query is never kept");
    assert.match(e.message, /^DELETE \S+: the path has an? /);
  }
  const accepted = [
    "/",
    "/api",
    "/apis/",
    "/openapi/v2",
    "/api/v1/namespaces/default/pods/a.b",
    "/api/v1/namespaces/default/configmaps/...",
    "/api/v1/namespaces/default/configmaps/.a/",
    "/api/v1/namespaces/default/configmaps/%2e%2e%2e",
    "/api/v1/namespaces/default/configmaps?fieldSelector=metadata.name%3D..",
    "/api/v1/namespaces/default/configmaps?x=/../..&y=.",
    "/api/v1/configmaps?labelSelector=a#/../..",
  ];
  for (const path of accepted) checkPathSegments({ method: "GET", path });
});

/** A client that records every request and answers each with `{}` (or `answer`). */
function counting(
  answer: (opts: RequestOptions) => unknown = () => ({}),
): RestClient & { requests: RequestOptions[] } {
  const requests: RequestOptions[] = [];
  return {
    requests,
    defaultNamespace: "team",
    // deno-lint-ignore no-explicit-any
    performRequest: ((opts: RequestOptions): Promise<any> => {
      requests.push(opts);
      return Promise.resolve(answer(opts));
    }) as RestClient["performRequest"],
  };
}

/** A mapper that knows ConfigMaps and Deployments without discovery. */
class FixedMapper extends RestMapper {
  override mapping(apiVersion: string, kind: string): Promise<RestMapping> {
    if (kind === "Deployment") {
      return Promise.resolve({
        ...configMaps,
        apiVersion,
        group: "apps",
        kind,
        resource: "deployments",
      });
    }
    return Promise.resolve({ ...configMaps, apiVersion, kind });
  }
}

async function refusedBeforeSending(
  what: string,
  client: { requests: RequestOptions[] },
  call: () => Promise<unknown>,
  field = "name",
): Promise<PathSegmentError> {
  const before = client.requests.length;
  const err = await rejection(call(), PathSegmentError);
  assert.equal(err.field, field, `${what}: ${err.message}`);
  assert.deepEqual(
    client.requests.slice(before).map((r) => `${r.method} ${r.path}`),
    [],
    `${what} sent requests`,
  );
  return err;
}

Deno.test("the dynamic client, scale, restart and waitFor refuse names that are not one path segment before any request, discovery included", async () => {
  const client = counting();
  const dyn = new DynamicClient(client); // real discovery: it would show in `requests`
  for (const name of BAD_NAMES) {
    const cm = { apiVersion: "v1", kind: "ConfigMap", name, namespace: "ns" };
    const deploy = { ...cm, apiVersion: "apps/v1", kind: "Deployment" };
    const obj = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name, namespace: "ns" },
    };
    await refusedBeforeSending(`get ${name}`, client, () => dyn.get(cm));
    await refusedBeforeSending(`delete ${name}`, client, () => dyn.delete(cm));
    await refusedBeforeSending(
      `patch ${name}`,
      client,
      () => dyn.patch(cm, { data: {} }),
    );
    await refusedBeforeSending(
      `replace ${name}`,
      client,
      () => dyn.replace(obj),
    );
    await refusedBeforeSending(`apply ${name}`, client, () => dyn.apply(obj));
    await refusedBeforeSending(
      `scale ${name}`,
      client,
      () => scale(dyn, deploy, 1),
    );
    await refusedBeforeSending(
      `restart ${name}`,
      client,
      () => restart(dyn, deploy),
    );
    await refusedBeforeSending(
      `waitFor ${name}`,
      client,
      () => waitFor(dyn, cm, () => true, { timeoutMs: 1000 }),
    );
  }
  assert.equal(client.requests.length, 0);
});

Deno.test("the dynamic client and waitFor refuse a namespace that is not one path segment before listing, watching or writing", async () => {
  const client = counting(() => ({ metadata: {}, items: [] }));
  const dyn = new DynamicClient(client, {
    mapper: new FixedMapper(client),
  });
  for (const namespace of BAD_NAMES) {
    const coll = { apiVersion: "v1", kind: "ConfigMap", namespace };
    const ref = { ...coll, name: "a" };
    await refusedBeforeSending(
      `list in ${namespace}`,
      client,
      () => dyn.list(coll),
      "namespace",
    );
    await refusedBeforeSending(
      `watch in ${namespace}`,
      client,
      () => dyn.watch(coll),
      "namespace",
    );
    await refusedBeforeSending(
      `delete in ${namespace}`,
      client,
      () => dyn.delete(ref),
      "namespace",
    );
    await refusedBeforeSending(
      `create in ${namespace}`,
      client,
      () =>
        dyn.create({
          apiVersion: "v1",
          kind: "ConfigMap",
          metadata: { name: "a", namespace },
        }),
      "namespace",
    );
    await refusedBeforeSending(
      `waitFor in ${namespace}`,
      client,
      () => waitFor(dyn, ref, () => true, { timeoutMs: 1000 }),
      "namespace",
    );
  }
  assert.equal(client.requests.length, 0);
});

Deno.test("apply and deleteApplied check every name and namespace before writing or deleting anything", async () => {
  const client = counting();
  const dyn = new DynamicClient(client, {
    mapper: new FixedMapper(client),
  });
  const good = {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "a", namespace: "ns" },
  };
  for (const name of BAD_NAMES) {
    const bad = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name, namespace: "ns" },
    };
    for (
      const [what, run] of [
        ["apply", () => apply(dyn, [good, bad])],
        ["deleteApplied", () => deleteApplied(dyn, [bad, good])],
      ] as const
    ) {
      const err = await rejection(run(), ApplyError);
      assert.ok(err.cause instanceof PathSegmentError, `${what}: ${err}`);
      assert.equal(err.ref.name, name);
      assert.match(err.message, /invalid resource name/);
      assert.equal(client.requests.length, 0, `${what} ${name} sent`);
    }
  }
  const badNs = { ...good, metadata: { name: "a", namespace: ".." } };
  for (
    const run of [() => apply(dyn, [badNs]), () => deleteApplied(dyn, [badNs])]
  ) {
    const err = await rejection(run(), ApplyError);
    assert.ok(err.cause instanceof PathSegmentError);
    assert.equal(err.cause.field, "namespace");
  }
  await rejection(apply(dyn, [good], { namespace: "." }), PathSegmentError);
  assert.equal(client.requests.length, 0);
});

Deno.test("logs, exec, attach and port-forward to a pod, a Service or a Deployment refuse bad names and namespaces without sending", async () => {
  const client = counting();
  for (const bad of BAD_NAMES) {
    await refusedBeforeSending(
      `logs of ${bad}`,
      client,
      () => streamLogs(client, { name: bad, namespace: "ns" }),
    );
    await refusedBeforeSending(
      `logs in ${bad}`,
      client,
      () => streamLogs(client, "web", { namespace: bad }),
      "namespace",
    );
    await refusedBeforeSending(
      `exec in pod ${bad}`,
      client,
      () =>
        execCommand(client, { namespace: "ns", pod: bad, command: ["true"] }),
    );
    await refusedBeforeSending(
      `exec in namespace ${bad}`,
      client,
      () =>
        execCommand(client, { namespace: bad, pod: "p", command: ["true"] }),
      "namespace",
    );
    await refusedBeforeSending(
      `attach to ${bad}`,
      client,
      () => openAttach(client, { namespace: "ns", pod: bad }),
    );
    for (const verify of [true, false]) {
      await refusedBeforeSending(
        `port-forward to ${bad} (verify ${verify})`,
        client,
        () =>
          portForward(client, {
            namespace: "ns",
            pod: bad,
            remotePort: 80,
            verify,
          }),
      );
    }
    await refusedBeforeSending(
      `port-forward in ${bad}`,
      client,
      () => portForward(client, { namespace: bad, pod: "p", remotePort: 80 }),
      "namespace",
    );
    await refusedBeforeSending(
      `port-forward to service ${bad}`,
      client,
      () => portForwardService(client, { namespace: "ns", service: bad }),
    );
    await refusedBeforeSending(
      `port-forward to deployment ${bad}`,
      client,
      () =>
        portForwardDeployment(client, {
          namespace: "ns",
          deployment: bad,
          port: 80,
        }),
    );
    await refusedBeforeSending(
      `port-forward to a service in ${bad}`,
      client,
      () => portForwardService(client, { namespace: bad, service: "web" }),
      "namespace",
    );
  }
  assert.equal(client.requests.length, 0);
});

const REFUSED_PATHS = [
  "/api/v1/namespaces/ns/configmaps/.",
  "/api/v1/namespaces/ns/configmaps/..",
  "/api/v1/namespaces/ns/configmaps/%2e",
  "/api/v1/namespaces/ns/configmaps/%2E%2e",
  "/api/v1/namespaces/ns/configmaps/.%2E?propagationPolicy=Background",
];

/** Every refused path, as DELETE, GET and a watch stream, rejects invalid-request. */
async function assertRefused(client: RestClient): Promise<void> {
  for (const path of REFUSED_PATHS) {
    for (
      const opts of [
        { method: "DELETE", path },
        { method: "GET", path, expectJson: true },
        { method: "GET", path, expectStream: true, expectJson: true },
      ] as RequestOptions[]
    ) {
      const err = await rejection(
        // deno-lint-ignore no-explicit-any
        client.performRequest(opts as any),
        TransportError,
      );
      assert.equal(err.kind, "invalid-request", `${path}: ${err.message}`);
    }
  }
}

/** A TCP listener that counts the connections it accepts (and closes them). */
function countingListener() {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let accepted = 0;
  const loop = (async () => {
    for await (const conn of listener) {
      accepted++;
      conn.close();
    }
  })().catch(() => {});
  return {
    port: listener.addr.port,
    get accepted() {
      return accepted;
    },
    async close() {
      listener.close();
      await loop;
    },
  };
}

Deno.test("performRequest refuses such paths on the fetch transport with no connection made", async () => {
  const peer = countingListener();
  try {
    using client = await KubeConfigRestClient.forKubeConfig(
      KubeConfig.getSimpleUrlConfig({
        baseUrl: `http://127.0.0.1:${peer.port}`,
      }),
    );
    await assertRefused(client);
    assert.equal(peer.accepted, 0);
  } finally {
    await peer.close();
  }
});

Deno.test("performRequest refuses such paths on kubectl --raw without starting kubectl", async () => {
  await withTempDir(async (dir) => {
    const marker = `${dir}/started`;
    const kubectl = await writeScript(
      dir,
      "kubectl",
      `echo "$@" >> ${marker}\necho '{}'`,
    );
    await assertRefused(new KubectlRawRestClient(undefined, { kubectl }));
    const started = await Deno.readTextFile(marker).catch(() => "");
    assert.doesNotMatch(started, /--raw|delete|get /, started);
  });
});
