// Metadata-only lists and watches (listWatch's `metadataOnly`) against
// stand-ins for what a real server cannot be made to do here: an API
// server that answers 406 NotAcceptable to the PartialObjectMetadata media
// types (what kube-apiserver 1.20.2 answers to a media type it cannot
// serve when no plain `application/json` follows it, so an aggregated
// server built otherwise may too), and one that ignores the Accept header
// and sends full objects (kubectl's `get --raw` path, an old aggregated
// server). Either way the caller gets the same PartialObjectMetadata shape,
// a 406 costs one extra request per lister/watcher, and other failures are
// not retried. What the real apiserver answers is in
// test/integration/watch/metadata_only_apiserver_test.ts. Needs no cluster.

import assert from "node:assert/strict";
import type {
  JSONValue,
  KubernetesTunnel,
  RequestOptions,
  RestClient,
} from "../../../lib/contract.ts";
import { KubernetesApiError } from "../../../lib/errors/mod.ts";
import { listWatch } from "../../../lib/watch/mod.ts";

const full = (name: string) => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name, namespace: "ns", uid: `u-${name}`, resourceVersion: "7" },
  data: { big: "x".repeat(100) },
});
const partial = (name: string) => ({
  kind: "PartialObjectMetadata",
  apiVersion: "meta.k8s.io/v1",
  metadata: { name, namespace: "ns", uid: `u-${name}`, resourceVersion: "7" },
});

/** A stand-in server: `answer` decides per request; every request is recorded. */
class StandIn implements RestClient {
  calls: RequestOptions[] = [];
  constructor(readonly answer: (opts: RequestOptions) => unknown) {}
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
    return this.answer(opts);
  }
}

const notAcceptable = (opts: RequestOptions) =>
  new KubernetesApiError(406, {
    reason: "NotAcceptable",
    message:
      "only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf",
  }, { method: "GET", path: opts.path });

/** Full objects to plain JSON, 406 to anything asking for the partial form. */
const refusing = (opts: RequestOptions) => {
  if (opts.accept?.includes("as=PartialObjectMetadata")) {
    throw notAcceptable(opts);
  }
  return opts.expectStream
    ? ReadableStream.from<JSONValue>([{ type: "ADDED", object: full("b") }])
    : {
      kind: "ConfigMapList",
      apiVersion: "v1",
      metadata: { resourceVersion: "9" },
      items: [full("a")],
    };
};

async function drain<T>(s: ReadableStream<T>): Promise<T[]> {
  return await Array.fromAsync(s);
}

Deno.test("metadataOnly asks for PartialObjectMetadataList and PartialObjectMetadata with plain JSON as the second choice", async () => {
  const server = new StandIn((opts) =>
    opts.expectStream
      ? ReadableStream.from<JSONValue>([{
        type: "ADDED",
        object: partial("b"),
      }])
      : {
        kind: "PartialObjectMetadataList",
        apiVersion: "meta.k8s.io/v1",
        metadata: { resourceVersion: "9" },
        items: [partial("a")],
      }
  );
  const { lister, watcher } = listWatch(server, "/api/v1/configmaps", {
    metadataOnly: true,
  });
  const list = await lister({});
  assert.deepEqual(list.items, [partial("a")]);
  assert.deepEqual(await drain(await watcher({})), [
    { type: "ADDED", object: partial("b") },
  ]);
  assert.deepEqual(server.calls.map((c) => c.accept), [
    "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json",
    "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json",
  ]);
});

Deno.test("metadataOnly cuts full objects from a server that ignores the Accept header down to PartialObjectMetadata", async () => {
  const server = new StandIn((opts) =>
    refusing({ ...opts, accept: undefined })
  );
  const { lister, watcher } = listWatch(server, "/api/v1/configmaps", {
    metadataOnly: true,
  });
  assert.deepEqual(await lister({}), {
    kind: "PartialObjectMetadataList",
    apiVersion: "meta.k8s.io/v1",
    metadata: { resourceVersion: "9" },
    items: [partial("a")],
  });
  assert.deepEqual(await drain(await watcher({})), [
    { type: "ADDED", object: partial("b") },
  ]);
});

Deno.test("metadataOnly asks once more with plain JSON after a 406, and never asks that lister and watcher for the partial form again", async () => {
  const server = new StandIn(refusing);
  const { lister, watcher } = listWatch(server, "/api/v1/configmaps", {
    metadataOnly: true,
  });
  assert.deepEqual((await lister({})).items, [partial("a")]);
  assert.deepEqual((await lister({})).items, [partial("a")]);
  assert.deepEqual(await drain(await watcher({})), [
    { type: "ADDED", object: partial("b") },
  ]);
  assert.deepEqual(server.calls.map((c) => c.accept?.split(";")[1]), [
    "as=PartialObjectMetadataList", // 406
    undefined,
    undefined,
    undefined,
  ]);
});

Deno.test("metadataOnly does not retry other failures, and without it nothing changes", async () => {
  const forbidden = new StandIn((opts) => {
    throw new KubernetesApiError(403, { reason: "Forbidden" }, {
      method: "GET",
      path: opts.path,
    });
  });
  const lw = listWatch(forbidden, "/api/v1/configmaps", { metadataOnly: true });
  await assert.rejects(
    lw.lister({}),
    (e) => (e as KubernetesApiError).code === 403,
  );
  assert.equal(forbidden.calls.length, 1);
  const plain = new StandIn(refusing);
  const { lister } = listWatch(plain, "/api/v1/configmaps");
  assert.deepEqual((await lister({})).items, [full("a")]);
  assert.equal(plain.calls[0].accept, undefined);
});
