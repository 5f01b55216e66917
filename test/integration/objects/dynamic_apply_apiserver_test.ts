// The dynamic client, apply and waitFor on the real apiserver, no node:
// every verb by apiVersion/kind/name (list across pages with selectors,
// optimistic concurrency, each patch type, server-side apply conflicts and
// force, delete options, a watch from a list's version); apply of a
// scrambled multi-document manifest with a CRD and a custom resource of it
// in dependency order, idempotent, with typed errors naming the document
// before anything is written; waitFor seeing a change made after it
// started; deleteApplied in reverse order, waiting until gone.

import assert from "node:assert/strict";
import {
  apply,
  ApplyError,
  DynamicClient,
  KubeConfigRestClient,
  KubernetesApiError,
  type KubernetesObject,
  parseManifests,
  WaitError,
  waitFor,
} from "../../../mod.ts";
import {
  deleteApplied,
  deleted,
  hasCondition,
  refOf,
} from "../../../lib/objects/mod.ts";
import { controlPlane } from "../../harness.ts";
import { rejection } from "../../_helpers.ts";

const cp = await controlPlane();
const suffix = crypto.randomUUID().slice(0, 6);
const ns = `dyn-${suffix}`;

async function withClient(
  fn: (dyn: DynamicClient) => Promise<void>,
): Promise<void> {
  const client = await KubeConfigRestClient.readKubeConfig(
    cp.kubeconfigs.admin,
  );
  try {
    await fn(new DynamicClient(client, { fieldManager: "dyn-test" }));
  } finally {
    client.close();
  }
}

const cm = (name: string, extra: Partial<KubernetesObject> = {}) => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name, namespace: ns, labels: { suite: "dyn" } },
  data: { v: "1" },
  ...extra,
});

Deno.test("the dynamic client creates, reads, lists across pages, replaces, patches, applies, watches and deletes by kind", async () => {
  await withClient(async (dyn) => {
    await dyn.create({
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: ns },
    });
    for (let i = 0; i < 5; i++) {
      await dyn.create(
        cm(`c${i}`, i === 4 ? { metadata: { name: "c4", namespace: ns } } : {}),
      );
    }
    const list = await dyn.list({
      apiVersion: "v1",
      kind: "ConfigMap",
      namespace: ns,
    }, {
      labelSelector: "suite=dyn",
      limit: 2,
    });
    assert.deepEqual(list.items.map((o) => o.metadata?.name), [
      "c0",
      "c1",
      "c2",
      "c3",
    ]);
    assert.equal(list.kind, "ConfigMapList");
    assert.ok(list.metadata.resourceVersion);
    // Items carry the list's apiVersion and kind (the server's JSON has
    // neither), as client-go's dynamic client sets them, so each is a reference.
    assert.deepEqual(refOf(list.items[0]), {
      apiVersion: "v1",
      kind: "ConfigMap",
      name: "c0",
      namespace: ns,
    });
    const metaOnly = await dyn.list({
      apiVersion: "v1",
      kind: "ConfigMap",
      namespace: ns,
    }, { labelSelector: "suite=dyn", metadataOnly: true });
    assert.deepEqual(
      new Set(metaOnly.items.map((o) => `${o.apiVersion} ${o.kind}`)),
      new Set(["meta.k8s.io/v1 PartialObjectMetadata"]),
    );
    const byField = await dyn.list({
      apiVersion: "v1",
      kind: "ConfigMap",
      namespace: ns,
    }, {
      fieldSelector: "metadata.name=c4",
    });
    assert.deepEqual(byField.items.map((o) => o.metadata?.name), ["c4"]);

    // A watch from the list's version sees exactly what happens after it.
    const ctl = new AbortController();
    const events = await dyn.watch({
      apiVersion: "v1",
      kind: "ConfigMap",
      namespace: ns,
    }, {
      resourceVersion: list.metadata.resourceVersion,
      labelSelector: "suite=dyn",
      signal: ctl.signal,
    });

    const ref = {
      apiVersion: "v1",
      kind: "ConfigMap",
      name: "c0",
      namespace: ns,
    };
    const got = await dyn.get(ref);
    const stale = { ...got, data: { v: "stale" } };
    await dyn.replace({ ...got, data: { v: "2" } });
    const conflict = await rejection(dyn.replace(stale));
    assert.ok(conflict instanceof KubernetesApiError && conflict.isConflict());

    await dyn.patch(ref, { data: { merged: "yes" } });
    await dyn.patch(ref, [{ op: "add", path: "/data/json", value: "yes" }], {
      type: "json",
    });
    await dyn.patch(ref, { data: { strategic: "yes" } }, { type: "strategic" });
    const patched = await dyn.get(ref);
    assert.deepEqual(patched.data, {
      v: "2",
      merged: "yes",
      json: "yes",
      strategic: "yes",
    });

    // Server-side apply: another manager's field conflicts until forced.
    await dyn.apply(cm("ssa", { data: { v: "mine" } }), { fieldManager: "a" });
    const clash = await rejection(
      dyn.apply(cm("ssa", { data: { v: "theirs" } }), {
        fieldManager: "b",
      }),
    );
    assert.ok(
      clash instanceof KubernetesApiError && clash.isConflict(),
      String(clash),
    );
    const forced = await dyn.apply(cm("ssa", { data: { v: "theirs" } }), {
      fieldManager: "b",
      force: true,
    });
    assert.equal((forced.data as { v: string }).v, "theirs");

    const dry = await dyn.apply(cm("dry"), { dryRun: true });
    assert.equal(dry.metadata?.name, "dry");
    const absent = await rejection(dyn.get({ ...ref, name: "dry" }));
    assert.ok(absent instanceof KubernetesApiError && absent.isNotFound());

    await dyn.delete({ ...ref, name: "c2" }, { dryRun: true });
    await dyn.get({ ...ref, name: "c2" });
    // Foreground: the object stays, marked, until the garbage collector has removed its dependents.
    await dyn.delete({ ...ref, name: "c2" }, {
      propagationPolicy: "Foreground",
      gracePeriodSeconds: 0,
    });
    // With a node, the cluster runs the controller-manager, whose garbage
    // collector may finish the foreground deletion (c2 has no dependents)
    // before the next request: then c2 is gone, and that is the outcome too.
    const collected = (err: unknown) =>
      cp.node !== undefined && err instanceof KubernetesApiError &&
      err.isNotFound();
    const marked = await dyn.get({ ...ref, name: "c2" }).catch((err) => {
      if (collected(err)) return undefined;
      throw err;
    });
    if (marked) {
      assert.ok(marked.metadata?.deletionTimestamp);
      assert.deepEqual(marked.metadata?.finalizers, ["foregroundDeletion"]);
    }
    await dyn.delete({ ...ref, name: "c3" }, {
      propagationPolicy: "Background",
    });
    const gone = await rejection(dyn.get({ ...ref, name: "c3" }));
    assert.ok(gone instanceof KubernetesApiError && gone.isNotFound());
    // The garbage collector runs in the controller-manager, which only a node's cluster has.
    await dyn.patch({ ...ref, name: "c2" }, { metadata: { finalizers: null } })
      .catch((err) => {
        if (!collected(err)) throw err;
      });

    const seen: string[] = [];
    for await (const ev of events) {
      if (ev.type === "BOOKMARK") continue;
      const o = ev.object as KubernetesObject;
      const what = `${ev.type}:${o.metadata?.name}`;
      // The garbage collector may delete c2 before c3 goes.
      if (what === "DELETED:c2" && cp.node !== undefined) continue;
      seen.push(what);
      if (ev.type === "DELETED") break;
    }
    ctl.abort();
    assert.deepEqual(seen, [
      "MODIFIED:c0",
      "MODIFIED:c0",
      "MODIFIED:c0",
      "MODIFIED:c0",
      "ADDED:ssa",
      "MODIFIED:ssa",
      "MODIFIED:c2",
      "DELETED:c3",
    ]);
  });
});

const group = `dyn${suffix}.example.com`;
const manifest = `# scrambled on purpose: apply orders it
apiVersion: ${group}/v1
kind: Gizmo
metadata:
  name: g1
spec:
  size: 3
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  labels: {app: gizmo}
data:
  mode: "0644"
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: gizmos.${group}
spec:
  group: ${group}
  scope: Namespaced
  names: {plural: gizmos, singular: gizmo, kind: Gizmo}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              size: {type: integer}
          status:
            type: object
            x-kubernetes-preserve-unknown-fields: true
    subresources: {status: {}}
`;

Deno.test("apply orders a manifest with a CRD and its custom resource, waits for Established, and is idempotent", async () => {
  await withClient(async (dyn) => {
    const objects = parseManifests(manifest, { source: "gizmo.yaml" });
    // The kind is unknown before the CRD exists, and discovery is cached now.
    const unknown = await rejection(dyn.mapping(`${group}/v1`, "Gizmo"), Error);
    assert.equal(unknown?.name, "UnknownKindError");
    const applied = await apply(dyn, objects, {
      namespace: ns,
      fieldManager: "gizmo-tool",
    });
    assert.deepEqual(
      applied.map((a) => `${a.ref.kind}:${a.ref.namespace ?? "-"}:${a.source}`),
      [
        `CustomResourceDefinition:-:gizmo.yaml document[2] (line 16)`,
        `ConfigMap:${ns}:gizmo.yaml document[1] (line 8)`,
        `Gizmo:${ns}:gizmo.yaml document[0] (line 1)`,
      ],
    );
    assert.deepEqual(applied[1].object?.data, { mode: "0644" });
    const again = await apply(dyn, objects, {
      namespace: ns,
      fieldManager: "gizmo-tool",
    });
    assert.equal(
      again[2].object?.metadata?.resourceVersion,
      applied[2].object?.metadata?.resourceVersion,
      "re-applying the same manifest changes nothing",
    );

    // waitFor sees a change made after it started (list, then watch from the list's version).
    const gizmo = {
      apiVersion: `${group}/v1`,
      kind: "Gizmo",
      name: "g1",
      namespace: ns,
    };
    const waiting = waitFor(dyn, gizmo, hasCondition("Ready"), {
      timeoutMs: 20_000,
    });
    await new Promise((r) => setTimeout(r, 300));
    await dyn.patch(gizmo, {
      status: { conditions: [{ type: "Ready", status: "True" }] },
    }, {
      subresource: "status",
    });
    const ready = await waiting;
    assert.ok(ready);

    const timeout = await rejection(waitFor(dyn, gizmo, hasCondition("Done"), {
      timeoutMs: 500,
    }));
    assert.ok(timeout instanceof WaitError);
    assert.equal(timeout.reason, "Timeout");
    assert.match(
      timeout.message,
      /condition Done=True not reached within 500 ms; last seen: Ready=True/,
    );

    const gone = await deleteApplied(dyn, applied, {
      wait: true,
      timeoutMs: 30_000,
    });
    assert.deepEqual(gone.map((d) => `${d.ref.kind}:${d.existed}`), [
      "Gizmo:true",
      "ConfigMap:true",
      "CustomResourceDefinition:true",
    ]);
    assert.equal(
      await waitFor(
        dyn,
        { ...gizmo, apiVersion: "v1", kind: "ConfigMap", name: "settings" },
        deleted(),
        {
          timeoutMs: 1000,
        },
      ),
      undefined,
    );
    const twice = await deleteApplied(dyn, applied);
    assert.ok(twice.every((d) => !d.existed), "already gone is not an error");
  });
});

Deno.test("apply refuses bad input before writing anything, naming the object and its document", async () => {
  await withClient(async (dyn) => {
    const objs = parseManifests(
      `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: first-${suffix}}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {generateName: x-}\n`,
      { source: "bad.yaml" },
    );
    const err = await rejection(apply(dyn, objs, { namespace: ns }));
    assert.ok(err instanceof ApplyError);
    assert.equal(
      err.message,
      "apply ConfigMap (unnamed) (v1) from bad.yaml document[1] (line 4): metadata.name is missing (server-side apply cannot use generateName)",
    );
    const mismatch = await rejection(apply(dyn, [
      cm("elsewhere", { metadata: { name: "e", namespace: "other" } }),
    ], {
      namespace: ns,
    }));
    assert.ok(mismatch instanceof ApplyError);
    assert.match(
      mismatch.message,
      /namespace "other" does not match the namespace "dyn-\w+" to apply to/,
    );
    const first = await rejection(dyn.get({
      apiVersion: "v1",
      kind: "ConfigMap",
      name: `first-${suffix}`,
      namespace: ns,
    }));
    assert.ok(
      first instanceof KubernetesApiError && first.isNotFound(),
      "nothing was written",
    );

    const unknownKind = await rejection(apply(
      dyn,
      parseManifests("apiVersion: v1\nkind: Gadget\nmetadata: {name: g}\n", {
        source: "k.yaml",
      }),
    ));
    assert.ok(unknownKind instanceof ApplyError);
    assert.match(
      unknownKind.message,
      /^apply Gadget g \(v1\) from k\.yaml document\[0\] \(line 1\): no kind "Gadget" in apiVersion "v1": v1 serves /,
    );
    assert.equal((unknownKind.cause as Error).name, "UnknownKindError");
  });
});

Deno.test("dry-run apply writes nothing and reports custom resources of a new CRD as skipped", async () => {
  await withClient(async (dyn) => {
    const objects = parseManifests(manifest.replaceAll(group, `dry${group}`));
    const applied = await apply(dyn, objects, { namespace: ns, dryRun: true });
    assert.deepEqual(
      applied.map((a) => `${a.ref.kind}:${a.skipped ? "skipped" : "checked"}`),
      [
        "CustomResourceDefinition:checked",
        "ConfigMap:checked",
        "Gizmo:skipped",
      ],
    );
    const crd = await rejection(dyn.get({
      apiVersion: "apiextensions.k8s.io/v1",
      kind: "CustomResourceDefinition",
      name: `gizmos.dry${group}`,
    }));
    assert.ok(crd instanceof KubernetesApiError && crd.isNotFound());
  });
});

Deno.test("an aborted waitFor rejects with the signal's reason at once", async () => {
  await withClient(async (dyn) => {
    const ctl = new AbortController();
    const ref = {
      apiVersion: "v1",
      kind: "ConfigMap",
      name: "never",
      namespace: ns,
    };
    const started = performance.now();
    setTimeout(() => ctl.abort(new Error("stop now")), 200);
    const err = await rejection(
      waitFor(dyn, ref, () => false, { signal: ctl.signal }),
      Error,
    );
    assert.equal(err?.message, "stop now");
    assert.ok(performance.now() - started < 2000);
  });
});

Deno.test("the test namespace is deleted", async () => {
  await withClient(async (dyn) => {
    await dyn.delete({ apiVersion: "v1", kind: "Namespace", name: ns }).catch(
      () => {},
    );
  });
});
