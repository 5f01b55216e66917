// Applied sets whose parent is a custom resource (KEP-3659), on the real
// apiserver, no node. Two CRDs labelled `applyset.kubernetes.io/is-parent-type`
// (one cluster-scoped, one namespaced) and one without the label:
// - a cluster-scoped parent: its id hashes an empty namespace, every
//   namespace of the set is in `additional-namespaces`, a cluster-scoped
//   member (a ClusterRole) is tracked, a member that left is pruned, and
//   the set is listed and deleted, parent last;
// - a namespaced parent: its own namespace stays out of the annotation;
// - a parent no set has used yet (no id label, tooling or group-kinds) is
//   adopted, as a missing Secret or ConfigMap parent is created; kubectl
//   1.27-1.36 refuses it until those are written by hand
//   (kubernetes/kubernetes#125474), which the kubectl test below does;
// - refused before anything is applied, as kubectl refuses them
//   (applyset.go `Validate`, `fetchParent`): a kind whose CRD lacks the
//   label, a namespaced parent without a namespace, a cluster-scoped one
//   with one, a parent that does not exist (not created for you).
// Against the real kubectls (each one test/_kubectls.ts finds:
// `KUBECTL_APPLYSET=true kubectl apply --prune --applyset=<plural>.<group>/<name>
// --server-side`) on identical manifests: kubectl ≥ 1.27 (ApplySet's
// alpha; 1.32 and 1.36 here) writes the id and annotations we write, we
// read its set, each refuses the other's parent, and it refuses the same
// bad parents; kubectl 1.20 has no `--applyset` flag at all.

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
  type AppliedSetParentRef,
  apply,
  deleteAppliedSet,
  listAppliedSet,
  serializeManifests,
} from "../../../lib/objects/mod.ts";
import { controlPlane } from "../../harness.ts";
import { rejection, until } from "../../_helpers.ts";
import { kubectlsUnderTest } from "../../_kubectls.ts";
import { parseRelease } from "../../../lib/testing/_component_args.ts";

const cp = await controlPlane();
const suffix = crypto.randomUUID().slice(0, 6);
const group = `aset${suffix}.example.com`;
const ANN = "applyset.kubernetes.io/";

const crd = (
  plural: string,
  kind: string,
  scope: "Cluster" | "Namespaced",
  parentType: boolean,
): KubernetesObject => ({
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: {
    name: `${plural}.${group}`,
    ...(parentType ? { labels: { [`${ANN}is-parent-type`]: "true" } } : {}),
  },
  spec: {
    group,
    scope,
    names: { plural, singular: kind.toLowerCase(), kind },
    versions: [{
      name: "v1",
      served: true,
      storage: true,
      schema: {
        openAPIV3Schema: {
          type: "object",
          "x-kubernetes-preserve-unknown-fields": true,
        },
      },
    }],
  },
});

const CRDS = [
  crd("clusterparents", "ClusterParent", "Cluster", true),
  crd("nsparents", "NsParent", "Namespaced", true),
  crd("plainthings", "PlainThing", "Namespaced", false),
];

const cm = (name: string, namespace: string): KubernetesObject => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name, namespace },
  data: { v: "1" },
});
const role = (name: string): KubernetesObject => ({
  apiVersion: "rbac.authorization.k8s.io/v1",
  kind: "ClusterRole",
  metadata: { name },
  rules: [],
});

async function withClient(
  fn: (dyn: DynamicClient) => Promise<void>,
): Promise<void> {
  const client = await KubeConfigRestClient.readKubeConfig(
    cp.kubeconfigs.admin,
  );
  try {
    await fn(new DynamicClient(client, { fieldManager: "aset-cr-test" }));
  } finally {
    client.close();
  }
}

let setUp: Promise<void> | undefined;
/** The CRDs, served, and two namespaces; once per file. */
function ensureSetUp(): Promise<void> {
  setUp ??= withClient(async (dyn) => {
    for (const c of CRDS) await dyn.apply(c);
    for (const ns of [nsA, nsB, nsK]) {
      await dyn.apply({
        apiVersion: "v1",
        kind: "Namespace",
        metadata: { name: ns },
      });
    }
    await until(
      async () => {
        const fresh = new DynamicClient(dyn.client);
        try {
          for (const kind of ["ClusterParent", "NsParent", "PlainThing"]) {
            await fresh.mapping(`${group}/v1`, kind);
          }
          return true;
        } catch {
          return false;
        }
      },
      30_000,
      "the CRDs served",
    );
  });
  return setUp;
}
const nsA = `aset-cra-${suffix}`;
const nsB = `aset-crb-${suffix}`;
const nsK = `aset-crk-${suffix}`;

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

async function parentMeta(dyn: DynamicClient, p: AppliedSetParentRef) {
  return (await new DynamicClient(dyn.client).get({
    apiVersion: p.apiVersion!,
    kind: p.kind,
    name: p.name,
    namespace: p.namespace,
  })).metadata!;
}

async function createParent(dyn: DynamicClient, p: AppliedSetParentRef) {
  await dyn.apply({
    apiVersion: p.apiVersion!,
    kind: p.kind,
    metadata: {
      name: p.name,
      ...(p.namespace ? { namespace: p.namespace } : {}),
    },
  });
}

Deno.test("a cluster-scoped custom resource parent tracks members in every namespace and cluster-scoped ones, prunes, lists and deletes the set", async () => {
  await ensureSetUp();
  await withClient(async (dyn) => {
    const parent = {
      apiVersion: `${group}/v1`,
      kind: "ClusterParent",
      name: `set-${suffix}`,
    };
    await createParent(dyn, parent);
    const roleName = `aset-role-${suffix}`;
    const objects = [cm("a", nsA), cm("b", nsB), role(roleName)];
    await apply(dyn, objects, { appliedSet: { parent } });
    const id = await appliedSetId(parent);
    assert.equal(
      id,
      await appliedSetId({ ...parent, namespace: "", group }),
      "the id hashes an empty namespace",
    );
    const meta = await parentMeta(dyn, parent);
    assert.equal(meta.labels?.[`${ANN}id`], id);
    assert.equal(meta.annotations?.[`${ANN}tooling`], APPLIED_SET_TOOLING);
    assert.equal(
      meta.annotations?.[`${ANN}contains-group-kinds`],
      "ClusterRole.rbac.authorization.k8s.io,ConfigMap",
    );
    assert.equal(
      meta.annotations?.[`${ANN}additional-namespaces`],
      [nsA, nsB].sort().join(","),
    );
    const members = await listAppliedSet(dyn, parent);
    assert.deepEqual(
      members.map((m) => `${m.ref.kind} ${m.ref.namespace ?? ""}/${m.ref.name}`)
        .sort(),
      [
        `ClusterRole /${roleName}`,
        `ConfigMap ${nsA}/a`,
        `ConfigMap ${nsB}/b`,
      ].sort(),
    );
    for (const m of members) {
      assert.equal(m.object.metadata?.labels?.[`${ANN}part-of`], id);
    }

    // b leaves the manifest: pruned, and nsB leaves the annotation.
    const pruned: string[] = [];
    await apply(dyn, [cm("a", nsA), role(roleName)], {
      appliedSet: {
        parent,
        onPrune: (r) => pruned.push(`${r.namespace}/${r.name}`),
      },
    });
    assert.deepEqual(pruned, [`${nsB}/b`]);
    assert.equal(await exists(dyn, cm("b", nsB)), false);
    const after = await parentMeta(dyn, parent);
    assert.equal(after.annotations?.[`${ANN}additional-namespaces`], nsA);

    const deleted = await deleteAppliedSet(dyn, parent);
    assert.deepEqual(deleted.at(-1)?.ref, {
      apiVersion: `${group}/v1`,
      kind: "ClusterParent",
      name: parent.name,
    });
    assert.equal(await exists(dyn, cm("a", nsA)), false);
    assert.equal(await exists(dyn, role(roleName)), false);
  });
});

Deno.test("a namespaced custom resource parent keeps its own namespace out of additional-namespaces", async () => {
  await ensureSetUp();
  await withClient(async (dyn) => {
    const parent = {
      apiVersion: `${group}/v1`,
      kind: "NsParent",
      name: "set",
      namespace: nsA,
    };
    await createParent(dyn, parent);
    await apply(dyn, [cm("c", nsA), cm("d", nsB)], { appliedSet: { parent } });
    const meta = await parentMeta(dyn, parent);
    assert.equal(meta.labels?.[`${ANN}id`], await appliedSetId(parent));
    assert.equal(meta.annotations?.[`${ANN}additional-namespaces`], nsB);
    assert.equal(
      meta.annotations?.[`${ANN}contains-group-kinds`],
      "ConfigMap",
    );
    assert.equal((await listAppliedSet(dyn, parent)).length, 2);
    await deleteAppliedSet(dyn, parent);
    assert.equal(await exists(dyn, cm("d", nsB)), false);
  });
});

Deno.test("custom resource parents kubectl refuses are refused before anything is applied: no is-parent-type label, a scope mismatch, a parent that does not exist", async () => {
  await ensureSetUp();
  await withClient(async (dyn) => {
    const gv = `${group}/v1`;
    const plain = {
      apiVersion: gv,
      kind: "PlainThing",
      name: "p",
      namespace: nsA,
    };
    await createParent(dyn, plain);
    const cases: [AppliedSetParentRef, RegExp][] = [
      [
        plain,
        new RegExp(
          `^applied set PlainThing\\.${group} ${nsA}/p: expected the CustomResourceDefinition plainthings\\.${group} to carry the label applyset\\.kubernetes\\.io/is-parent-type, found none`,
        ),
      ],
      [
        { apiVersion: gv, kind: "NsParent", name: "x" },
        /expected a namespace for the namespaced NsParent, found none$/,
      ],
      [
        { apiVersion: gv, kind: "ClusterParent", name: "x", namespace: nsA },
        new RegExp(
          `expected no namespace for the cluster-scoped ClusterParent, found "${nsA}"$`,
        ),
      ],
      [
        { apiVersion: gv, kind: "ClusterParent", name: `missing-${suffix}` },
        /expected the custom resource parent to exist, found none \(it is not created for you/,
      ],
      [
        { apiVersion: gv, kind: "NoSuchKind", name: "x" },
        new RegExp(`the server serves no NoSuchKind in ${gv}`),
      ],
    ];
    for (const [parent, message] of cases) {
      const err = await rejection(
        apply(dyn, [cm("never", nsA)], { appliedSet: { parent } }),
        AppliedSetError,
      );
      assert.equal(err.reason, "InvalidParent", err.message);
      assert.match(err.message, message);
    }
    assert.equal(await exists(dyn, cm("never", nsA)), false);
  });
});

async function kubectl(
  bin: string,
  args: string[],
  stdin?: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = new Deno.Command(bin, {
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

for (const k of kubectlsUnderTest(cp.binaries.kubectl)) {
  const minor = parseRelease(k.version)?.minor ?? 0;
  Deno.test(`${k.label}: on identical manifests a custom resource parent gets kubectl's id and annotations, each tool reads the other's set and refuses to change it, and kubectl refuses the same bad parents${minor < 27 ? " (no --applyset before 1.27)" : ""}`, async () => {
    await ensureSetUp();
    if (minor < 27) {
      // ApplySet came in 1.27 (alpha, KUBECTL_APPLYSET=true).
      const r = await kubectl(k.path, [
        "apply",
        "--prune",
        `--applyset=clusterparents.${group}/x`,
        "-f",
        "-",
      ], serializeManifests([cm("k", nsK)]));
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /unknown flag: --applyset/);
      return;
    }
    await withClient(async (dyn) => {
      const gv = `${group}/v1`;
      const objects = [cm(`k${minor}a`, nsK), cm(`k${minor}b`, nsA)];
      const manifest = serializeManifests(objects);
      const theirs = {
        apiVersion: gv,
        kind: "ClusterParent",
        name: `kubectl-${minor}-${suffix}`,
      };
      const ours = { ...theirs, name: `ours-${minor}-${suffix}` };
      await createParent(dyn, theirs);
      await createParent(dyn, ours);
      // kubectl refuses a custom resource parent nobody prepared (we adopt
      // one: the other tests start from such parents).
      const blank = await kubectl(k.path, [
        "apply",
        "--prune",
        `--applyset=clusterparents.${group}/${theirs.name}`,
        "--server-side",
        "-f",
        "-",
      ], manifest);
      console.log(`${k.label} on a blank parent: ${blank.stderr.trim()}`);
      assert.notEqual(blank.code, 0);
      assert.match(
        blank.stderr,
        /already exists and is missing required annotation "applyset\.kubernetes\.io\/tooling"/,
      );
      // What kubectl needs written on it first (kubernetes/kubernetes#125474).
      await dyn.apply({
        apiVersion: gv,
        kind: "ClusterParent",
        metadata: {
          name: theirs.name,
          labels: { [`${ANN}id`]: await appliedSetId(theirs) },
          annotations: {
            [`${ANN}tooling`]: `kubectl/${k.version}`,
            [`${ANN}contains-group-kinds`]: "",
          },
        },
      });
      const run = await kubectl(k.path, [
        "apply",
        "--prune",
        `--applyset=clusterparents.${group}/${theirs.name}`,
        "--server-side",
        "-f",
        "-",
      ], manifest);
      assert.equal(run.code, 0, run.stderr);
      const kmeta = await parentMeta(dyn, theirs);
      console.log(
        `${k.label}'s custom resource parent: ${
          JSON.stringify({
            labels: kmeta.labels,
            annotations: kmeta.annotations,
          })
        }`,
      );
      assert.equal(kmeta.labels?.[`${ANN}id`], await appliedSetId(theirs));
      assert.match(
        kmeta.annotations?.[`${ANN}tooling`] ?? "",
        /^kubectl\/v1\./,
      );
      // We read kubectl's set and refuse to change it.
      assert.deepEqual(
        (await listAppliedSet(dyn, theirs)).map((m) =>
          `${m.ref.namespace}/${m.ref.name}`
        ).sort(),
        objects.map((o) => `${o.metadata!.namespace}/${o.metadata!.name}`)
          .sort(),
      );
      const refused = await rejection(
        apply(dyn, objects, { appliedSet: { parent: theirs } }),
        AppliedSetError,
      );
      assert.equal(refused.reason, "ForeignTooling");

      // The same manifests, with kubectl's members renamed so the sets do
      // not claim each other's objects.
      const mine = objects.map((o) => ({
        ...o,
        metadata: { ...o.metadata, name: `${o.metadata!.name}-ours` },
      }));
      await apply(dyn, mine, { appliedSet: { parent: ours } });
      const ometa = await parentMeta(dyn, ours);
      for (const key of ["contains-group-kinds", "additional-namespaces"]) {
        assert.equal(
          ometa.annotations?.[`${ANN}${key}`],
          kmeta.annotations?.[`${ANN}${key}`],
          key,
        );
      }
      // kubectl refuses to change ours.
      const onOurs = await kubectl(k.path, [
        "apply",
        "--prune",
        `--applyset=clusterparents.${group}/${ours.name}`,
        "--server-side",
        "-f",
        "-",
      ], serializeManifests(mine));
      assert.notEqual(onOurs.code, 0);
      assert.match(
        onOurs.stderr,
        /is managed by tooling "denokube" instead of "kubectl"/,
      );

      // kubectl refuses the parents we refuse.
      await createParent(dyn, {
        apiVersion: gv,
        kind: "PlainThing",
        name: "kp",
        namespace: nsK,
      });
      const notPermitted = await kubectl(k.path, [
        "apply",
        "--prune",
        `--applyset=plainthings.${group}/kp`,
        "-n",
        nsK,
        "--server-side",
        "-f",
        "-",
      ], serializeManifests([cm("never", nsK)]));
      console.log(
        `${k.label} on a PlainThing parent: ${notPermitted.stderr.trim()}`,
      );
      assert.notEqual(notPermitted.code, 0);
      assert.match(
        notPermitted.stderr,
        /is not permitted as an ApplySet parent/,
      );
      const missing = await kubectl(k.path, [
        "apply",
        "--prune",
        `--applyset=clusterparents.${group}/missing-${suffix}`,
        "--server-side",
        "-f",
        "-",
      ], serializeManifests([cm("never", nsK)]));
      console.log(`${k.label} on a missing parent: ${missing.stderr.trim()}`);
      assert.notEqual(missing.code, 0);
      assert.match(
        missing.stderr,
        /custom resource ApplySet parents cannot be created automatically/,
      );
      assert.equal(await exists(dyn, cm("never", nsK)), false);

      await deleteAppliedSet(dyn, ours);
      // Ours can delete kubectl's set only by taking it over; tidy up with kubectl's own prune.
      const emptied = await kubectl(k.path, [
        "apply",
        "--prune",
        `--applyset=clusterparents.${group}/${theirs.name}`,
        "--server-side",
        "-f",
        "-",
      ], serializeManifests([cm(`k${minor}a`, nsK)]));
      assert.equal(emptied.code, 0, emptied.stderr);
      assert.equal(await exists(dyn, objects[1]), false, "kubectl pruned b");
    });
  });
}
