// Applied sets on the real apiserver, no node: apply of three objects (two
// ConfigMaps and a Service across two namespaces) records kubectl's
// ApplySet labels and annotations on a ConfigMap parent and labels each
// member; applying again without one prunes it, keeps the others and
// shrinks the annotations; another set's objects of the same kinds are
// never touched; listAppliedSet reads the set with a status line each and
// deleteAppliedSet removes it and its parent. Against the real kubectl (the
// harness's, `KUBECTL_APPLYSET=true`, `apply --prune --applyset=configmap/…
// --server-side`) on identical manifests: the parent id and the group-kinds
// and namespaces annotations are kubectl's (the tooling differs by design);
// we read kubectl's set; each tool refuses to mutate the other's parent
// (kubectl: "managed by tooling … instead of …", the specification's "Tooling
// should refuse to mutate ApplySets belonging to other tools").

import assert from "node:assert/strict";
import {
  DynamicClient,
  KubeConfigRestClient,
  type KubernetesObject,
} from "../../../mod.ts";
import {
  APPLIED_SET_TOOLING,
  AppliedSetError,
  appliedSetId,
  apply,
  deleteAppliedSet,
  listAppliedSet,
  serializeManifests,
} from "../../../lib/objects/mod.ts";
import { controlPlane } from "../../harness.ts";
import { rejection } from "../../_helpers.ts";

const cp = await controlPlane();
const suffix = crypto.randomUUID().slice(0, 6);
const nsA = `aset-a-${suffix}`;
const nsB = `aset-b-${suffix}`;

async function withClient(
  fn: (dyn: DynamicClient) => Promise<void>,
): Promise<void> {
  const client = await KubeConfigRestClient.readKubeConfig(
    cp.kubeconfigs.admin,
  );
  try {
    await fn(new DynamicClient(client, { fieldManager: "aset-test" }));
  } finally {
    client.close();
  }
}

const cm = (name: string, namespace: string): KubernetesObject => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name, namespace },
  data: { v: "1" },
});
const svc = (name: string, namespace: string): KubernetesObject => ({
  apiVersion: "v1",
  kind: "Service",
  metadata: { name, namespace },
  // protocol spelled out: before 1.21 server-side apply of a port without
  // one fails (the apiserver here may be 1.20).
  spec: { ports: [{ port: 80, protocol: "TCP" }], selector: { app: name } },
});

async function ensureNamespaces(dyn: DynamicClient, ...names: string[]) {
  for (const name of names) {
    await dyn.apply({
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name },
    });
  }
}

async function exists(dyn: DynamicClient, o: KubernetesObject) {
  try {
    await dyn.get({
      apiVersion: o.apiVersion,
      kind: o.kind,
      name: o.metadata!.name!,
      namespace: o.metadata!.namespace,
    });
    return true;
  } catch {
    return false;
  }
}

const metaOf = async (dyn: DynamicClient, name: string, namespace: string) =>
  (await dyn.get({ apiVersion: "v1", kind: "ConfigMap", name, namespace }))
    .metadata!;

const ANN = "applyset.kubernetes.io/";

Deno.test("apply with an applied set labels members, prunes what left the manifest, shrinks the parent, and leaves another set alone", async () => {
  await withClient(async (dyn) => {
    await ensureNamespaces(dyn, nsA, nsB);
    const parent = { kind: "ConfigMap", name: "set1", namespace: nsA } as const;
    const other = { kind: "ConfigMap", name: "set2", namespace: nsA } as const;
    const id = await appliedSetId(parent);
    const set1 = [cm("a", nsA), cm("b", nsB), svc("web", nsA)];
    const set2 = [cm("x", nsA), cm("y", nsB), svc("web2", nsA)];
    await apply(dyn, set2, { appliedSet: { parent: other } });

    const applied = await apply(dyn, set1, { appliedSet: { parent } });
    assert.equal(applied.length, 3);
    let meta = await metaOf(dyn, "set1", nsA);
    assert.equal(meta.labels?.[`${ANN}id`], id);
    assert.deepEqual(
      Object.fromEntries(
        Object.entries(meta.annotations ?? {}).filter(([k]) =>
          k.startsWith(ANN)
        ),
      ),
      {
        [`${ANN}tooling`]: APPLIED_SET_TOOLING,
        [`${ANN}contains-group-kinds`]: "ConfigMap,Service",
        [`${ANN}additional-namespaces`]: nsB,
      },
    );
    for (const o of set1) {
      const live = await dyn.get({
        apiVersion: "v1",
        kind: o.kind,
        name: o.metadata!.name!,
        namespace: o.metadata!.namespace,
      });
      assert.equal(live.metadata?.labels?.[`${ANN}part-of`], id);
    }

    // x belongs to set2: taking it into set1 is refused before any write.
    const stolen = await rejection(
      apply(dyn, [...set1, cm("x", nsA)], { appliedSet: { parent } }),
      AppliedSetError,
    );
    assert.equal(stolen.reason, "ForeignMember");
    assert.match(
      stolen.message,
      new RegExp(`ConfigMap ${nsA}/x: .*${await appliedSetId(other)}`),
    );
    assert.equal(
      (await metaOf(dyn, "x", nsA)).labels?.[`${ANN}part-of`],
      await appliedSetId(other),
    );

    // Again without b (the only member in nsB): b is pruned, the rest kept.
    const pruned: string[] = [];
    await apply(dyn, [cm("a", nsA), svc("web", nsA)], {
      appliedSet: {
        parent,
        onPrune: (r) => pruned.push(`${r.kind} ${r.namespace}/${r.name}`),
      },
    });
    assert.deepEqual(pruned, [`ConfigMap ${nsB}/b`]);
    assert.equal(await exists(dyn, cm("b", nsB)), false);
    assert.equal(await exists(dyn, cm("a", nsA)), true);
    assert.equal(await exists(dyn, svc("web", nsA)), true);
    meta = await metaOf(dyn, "set1", nsA);
    assert.equal(
      meta.annotations?.[`${ANN}contains-group-kinds`],
      "ConfigMap,Service",
    );
    assert.equal(meta.annotations?.[`${ANN}additional-namespaces`], "");

    // Drop the Service: the kind leaves the parent's record.
    await apply(dyn, [cm("a", nsA)], { appliedSet: { parent } });
    assert.equal(await exists(dyn, svc("web", nsA)), false);
    meta = await metaOf(dyn, "set1", nsA);
    assert.equal(meta.annotations?.[`${ANN}contains-group-kinds`], "ConfigMap");

    // The other set, same kinds and namespaces, was never touched.
    for (const o of set2) {
      assert.equal(await exists(dyn, o), true, o.metadata!.name);
    }

    const members = await listAppliedSet(dyn, other);
    assert.deepEqual(
      members.map((m) => `${m.ref.kind} ${m.ref.namespace}/${m.ref.name}`)
        .sort(),
      [`ConfigMap ${nsA}/x`, `ConfigMap ${nsB}/y`, `Service ${nsA}/web2`],
    );
    for (const m of members) assert.equal(typeof m.status, "string");

    const deleted = await deleteAppliedSet(dyn, other, {
      wait: true,
      timeoutMs: 30_000,
    });
    assert.deepEqual(
      deleted.map((d) => `${d.ref.kind} ${d.ref.name} ${d.existed}`),
      [
        "Service web2 true",
        // Reverse apply order; ConfigMaps among themselves as listed.
        ...deleted.slice(1, 3).map((d) => `ConfigMap ${d.ref.name} true`),
        "ConfigMap set2 true",
      ],
    );
    for (const o of set2) assert.equal(await exists(dyn, o), false);
    assert.equal(await exists(dyn, cm("set2", nsA)), false);
    // set1 untouched by deleting set2.
    assert.equal(await exists(dyn, cm("a", nsA)), true);
    await deleteAppliedSet(dyn, parent);

    const gone = await rejection(listAppliedSet(dyn, other), AppliedSetError);
    assert.equal(gone.reason, "InvalidParent");
    assert.match(gone.message, /expected the parent to exist, found none/);
  });
});

Deno.test("an applied set refuses a parent of another tool, and a Secret that is not a parent", async () => {
  await withClient(async (dyn) => {
    await ensureNamespaces(dyn, nsA);
    await dyn.apply({
      apiVersion: "v1",
      kind: "Secret",
      metadata: {
        name: "helmish",
        namespace: nsA,
        labels: {
          [`${ANN}id`]: await appliedSetId({
            kind: "Secret",
            name: "helmish",
            namespace: nsA,
          }),
        },
        annotations: {
          [`${ANN}tooling`]: "helm/v3",
          [`${ANN}contains-group-kinds`]: "",
        },
      },
    });
    const parent = { kind: "Secret", name: "helmish", namespace: nsA } as const;
    const err = await rejection(
      apply(dyn, [cm("h", nsA)], { appliedSet: { parent } }),
      AppliedSetError,
    );
    assert.equal(err.reason, "ForeignTooling");
    assert.match(
      err.message,
      /managed by tooling "helm" instead of "denokube"/,
    );
    assert.equal(await exists(dyn, cm("h", nsA)), false);
    const del = await rejection(deleteAppliedSet(dyn, parent), AppliedSetError);
    assert.equal(del.reason, "ForeignTooling");
    // Reading is not mutating: a helm parent can be listed.
    assert.deepEqual(await listAppliedSet(dyn, parent), []);

    // A plain Secret of that name is not a parent.
    await dyn.apply({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "plain", namespace: nsA },
    });
    const plain = await rejection(
      apply(dyn, [cm("h", nsA)], {
        appliedSet: {
          parent: { kind: "Secret", name: "plain", namespace: nsA },
        },
      }),
      AppliedSetError,
    );
    assert.equal(plain.reason, "InvalidParent");
    assert.match(
      plain.message,
      /expected the annotation applyset.kubernetes.io\/tooling/,
    );
  });
});

async function kubectl(
  args: string[],
  stdin?: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = new Deno.Command(cp.binaries.kubectl, {
    args: ["--kubeconfig", cp.kubeconfigs.admin, ...args],
    env: { KUBECTL_APPLYSET: "true" },
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(60_000),
  }).spawn();
  if (stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(stdin));
    await w.close();
  }
  const out = await child.output();
  const dec = new TextDecoder();
  return {
    code: out.code,
    stdout: dec.decode(out.stdout),
    stderr: dec.decode(out.stderr),
  };
}

Deno.test("on identical manifests our parent has kubectl's id and annotations, we read kubectl's set, and each tool refuses the other's parent", async () => {
  const ver = await kubectl(["version", "--client"]);
  console.log(`kubectl: ${ver.stdout.split("\n")[0]}`);
  await withClient(async (dyn) => {
    const nsK = `aset-k-${suffix}`;
    await ensureNamespaces(dyn, nsK);
    // One namespace: `kubectl apply -n` (which a namespaced parent needs)
    // refuses any object of another namespace ("the namespace from the
    // provided object … does not match"), so kubectl 1.32 cannot make a
    // cross-namespace set with a ConfigMap parent.
    const objects = [cm("a", nsK), cm("b", nsK), svc("web", nsK)];
    const manifest = serializeManifests(objects);
    const run = await kubectl(
      [
        "apply",
        "--prune",
        "--applyset=configmap/kset",
        "-n",
        nsK,
        "--server-side",
        "-f",
        "-",
      ],
      manifest,
    );
    assert.equal(run.code, 0, run.stderr);
    const parent = { kind: "ConfigMap", name: "kset", namespace: nsK } as const;
    const theirs = await metaOf(dyn, "kset", nsK);
    console.log(
      `kubectl's parent: ${
        JSON.stringify({
          labels: theirs.labels,
          annotations: theirs.annotations,
        })
      }`,
    );
    assert.equal(theirs.labels?.[`${ANN}id`], await appliedSetId(parent));
    assert.match(theirs.annotations?.[`${ANN}tooling`] ?? "", /^kubectl\/v1\./);

    // We read kubectl's set.
    const members = await listAppliedSet(dyn, parent);
    assert.deepEqual(
      members.map((m) => `${m.ref.kind} ${m.ref.namespace}/${m.ref.name}`)
        .sort(),
      [`ConfigMap ${nsK}/a`, `ConfigMap ${nsK}/b`, `Service ${nsK}/web`],
    );
    // We refuse to mutate it.
    const refused = await rejection(
      apply(dyn, objects, { appliedSet: { parent } }),
      AppliedSetError,
    );
    assert.equal(refused.reason, "ForeignTooling");
    assert.match(
      refused.message,
      /managed by tooling "kubectl" instead of "denokube"/,
    );

    // Take the set over (drop kubectl's parent; the members keep their
    // part-of label) and apply the identical manifests ourselves.
    await dyn.delete({
      apiVersion: "v1",
      kind: "ConfigMap",
      name: "kset",
      namespace: nsK,
    });
    await apply(dyn, objects, { appliedSet: { parent } });
    const ours = await metaOf(dyn, "kset", nsK);
    console.log(
      `our parent: ${
        JSON.stringify({ labels: ours.labels, annotations: ours.annotations })
      }`,
    );
    assert.equal(ours.labels?.[`${ANN}id`], theirs.labels?.[`${ANN}id`]);
    for (const key of ["contains-group-kinds", "additional-namespaces"]) {
      assert.equal(
        ours.annotations?.[`${ANN}${key}`],
        theirs.annotations?.[`${ANN}${key}`],
        key,
      );
    }
    assert.equal(ours.annotations?.[`${ANN}tooling`], APPLIED_SET_TOOLING);

    // kubectl refuses to prune with our parent, and prunes nothing.
    const prune = await kubectl(
      [
        "apply",
        "--prune",
        "--applyset=configmap/kset",
        "-n",
        nsK,
        "--server-side",
        "-f",
        "-",
      ],
      serializeManifests([cm("a", nsK)]),
    );
    console.log(
      `kubectl on our parent: exit ${prune.code}: ${prune.stderr.trim()}`,
    );
    assert.notEqual(prune.code, 0);
    assert.match(
      prune.stderr,
      /is managed by tooling "denokube" instead of "kubectl"/,
    );
    for (const o of objects) assert.equal(await exists(dyn, o), true);

    const deleted = await deleteAppliedSet(dyn, parent);
    assert.equal(deleted.length, 4);
    for (const o of objects) assert.equal(await exists(dyn, o), false);
  });
});
