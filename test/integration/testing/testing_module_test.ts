// The public testing package as a user meets it: imported as
// `@denokube/testing` from a project of its own (a deno.json that maps both
// packages, as `deno add` would), with binaries from KUBEBUILDER_ASSETS
// (envtest's layout); and its failures typed and actionable — binaries that
// cannot be found (naming the variables to set and the command to run), an
// apiserver that exits at once (with its log tail), an etcd too old for a
// feature gate. Each starts its own control plane in a subprocess.

import assert from "node:assert/strict";
import { controlPlane } from "../../harness.ts";
import { withTempDir, workspaceImports } from "../../_helpers.ts";
import { attachCluster, startCluster, TestingError } from "@denokube/testing";
import { KubernetesApiError } from "@denokube/transport";

const cp = await controlPlane();
const testing = "@denokube/testing";

async function runScript(
  dir: string,
  source: string,
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  await Deno.writeTextFile(`${dir}/script.ts`, source);
  await Deno.writeTextFile(
    `${dir}/deno.json`,
    JSON.stringify({ imports: workspaceImports() }),
  );
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--no-lock", `${dir}/script.ts`],
    cwd: dir,
    env: { ...env, NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return {
    code: out.code,
    stdout: dec.decode(out.stdout),
    stderr: dec.decode(out.stderr),
  };
}

Deno.test({
  name:
    "a project of its own imports @denokube/testing and starts a control plane from KUBEBUILDER_ASSETS",
  ignore: cp.external,
  fn: () =>
    withTempDir(async (dir) => {
      const assets = `${dir}/assets`;
      await Deno.mkdir(assets);
      await Deno.symlink(cp.binaries.etcd, `${assets}/etcd`);
      await Deno.symlink(cp.binaries.kubeApiserver, `${assets}/kube-apiserver`);
      await Deno.symlink(cp.binaries.kubectl, `${assets}/kubectl`);
      const r = await runScript(
        `${dir}`,
        `import { startCluster } from "${testing}";
await using cluster = await startCluster();
using client = await cluster.adminClient();
const v = await client.performRequest({ method: "GET", path: "/version", expectJson: true });
console.log(JSON.stringify({ gitVersion: v.gitVersion, apiserver: cluster.binaries.kubeApiserver }));
`,
        { KUBEBUILDER_ASSETS: assets, PATH: Deno.env.get("PATH") ?? "" },
      );
      assert.equal(r.code, 0, r.stderr);
      const result = JSON.parse(r.stdout.trim());
      assert.match(result.gitVersion, /^v1\.\d+\./);
      assert.equal(result.apiserver, `${assets}/kube-apiserver`);
    }),
});

Deno.test({
  name:
    "missing binaries are a BinariesMissing TestingError that names the variables to set and the installer",
  ignore: cp.external,
  fn: () =>
    withTempDir(async (dir) => {
      await Deno.mkdir(`${dir}/empty`);
      const r = await runScript(
        dir,
        `import { startCluster, TestingError } from "${testing}";
try {
  await startCluster();
  console.log("started?!");
} catch (err) {
  console.log(err instanceof TestingError ? err.reason : "untyped");
  console.log(err.message);
}
`,
        {
          KUBEBUILDER_ASSETS: `${dir}/empty`,
          PATH: `${dir}/empty`,
          XDG_CACHE_HOME: `${dir}/empty`,
          HOME: dir,
        },
      );
      assert.equal(r.code, 0, r.stderr);
      const [reason, message] = r.stdout.split("\n");
      assert.equal(reason, "BinariesMissing");
      assert.match(message, /^etcd, kubeApiserver, kubectl not found/);
      assert.match(message, /KUBEBUILDER_ASSETS/);
      assert.match(message, /ETCD_BIN/);
      assert.match(message, /install: true/);
      assert.match(message, /install_binaries\.sh/);
    }),
});

Deno.test({
  name:
    "an apiserver that exits at once is a ServerExited TestingError with its log tail, and leaves nothing behind",
  ignore: cp.external,
  fn: () =>
    withTempDir(async (tmp) => {
      // A private temp dir: other suites' clusters may come and go in /tmp.
      const saved = Deno.env.get("TMPDIR");
      Deno.env.set("TMPDIR", tmp);
      let err: unknown;
      try {
        err = await startCluster({
          binaries: cp.binaries,
          apiserverFlags: ["--no-such-flag-for-the-test"],
        }).then(() => undefined, (e) => e);
      } finally {
        if (saved === undefined) Deno.env.delete("TMPDIR");
        else Deno.env.set("TMPDIR", saved);
      }
      assert.ok(err instanceof TestingError, String(err));
      assert.equal(err.reason, "ServerExited");
      assert.match(err.message, /^kube-apiserver exited with code \d+/);
      assert.match(err.message, /unknown flag: --no-such-flag-for-the-test/);
      const left = [];
      for await (const e of Deno.readDir(tmp)) left.push(e.name);
      assert.deepEqual(left, [], "no scratch directory left");
    }),
});

Deno.test({
  name:
    "a feature gate that needs a newer etcd fails at once with EtcdTooOld, naming both versions",
  ignore: cp.external,
  fn: async () => {
    const version = new TextDecoder().decode(
      (await new Deno.Command(cp.binaries.etcd, {
        args: ["--version"],
        stdout: "piped",
      }).output()).stdout,
    ).match(/etcd Version: (3\.(\d+)\.(\d+))/);
    const old = version &&
      ((version[2] === "4" && Number(version[3]) < 31) ||
        (version[2] === "5" && Number(version[3]) < 13));
    if (!old) return; // this etcd can serve WatchList: nothing to refuse
    const err = await startCluster({
      binaries: cp.binaries,
      featureGates: { WatchList: true },
    }).then(() => undefined, (e) => e);
    assert.ok(err instanceof TestingError, String(err));
    assert.equal(err.reason, "EtcdTooOld");
    assert.match(
      err.message,
      /WatchList needs etcd >= 3\.4\.31 \(3\.4\) or >= 3\.5\.13/,
    );
    assert.match(
      err.message,
      new RegExp(`is ${version![1].replaceAll(".", "\\.")}$`),
    );
  },
});

Deno.test({
  name:
    "compactEtcd() expires every older resourceVersion (a continue token from before it gets 410 Expired), and is an EtcdUnavailable TestingError on a cluster without our etcd",
  fn: async () => {
    const described = attachCluster({ ...cp, etcdUrl: undefined });
    await assert.rejects(
      described.compactEtcd(),
      (err: unknown) =>
        err instanceof TestingError && err.reason === "EtcdUnavailable" &&
        /expected a cluster whose etcd this module started/.test(err.message),
    );
    if (!cp.etcdUrl) return; // an external cluster: no etcd of ours to compact
    using client = await cp.adminClient();
    const ns = await cp.createNamespace("compact");
    try {
      const path = `/api/v1/namespaces/${ns}/configmaps`;
      for (const name of ["a", "b"]) {
        await client.performRequest({
          method: "POST",
          path,
          bodyJson: { metadata: { name } },
          expectJson: true,
        });
      }
      // A continue token is read from etcd at its revision (the watch
      // cache does not serve it), so compaction expires it.
      const page = await client.performRequest({
        method: "GET",
        path,
        querystring: new URLSearchParams({ limit: "1" }),
        expectJson: true,
      }) as { metadata: { continue?: string; resourceVersion: string } };
      assert.ok(page.metadata.continue, "a first page of one of two");
      // A write after the list: etcd keeps the compaction revision itself
      // readable, so the token's revision must be older than it.
      await client.performRequest({
        method: "POST",
        path,
        bodyJson: { metadata: { name: "c" } },
        expectJson: true,
      });
      const revision = await cp.compactEtcd();
      assert.ok(
        revision > Number(page.metadata.resourceVersion),
        `compacted to ${revision}, listed at ${page.metadata.resourceVersion}`,
      );
      const err = await client.performRequest({
        method: "GET",
        path,
        querystring: new URLSearchParams({
          limit: "1",
          continue: page.metadata.continue,
        }),
        expectJson: true,
      }).then(() => undefined, (e) => e);
      assert.ok(err instanceof KubernetesApiError, String(err));
      assert.equal(err.httpCode, 410);
      assert.ok(err.isExpired());
    } finally {
      await cp.deleteNamespace(ns);
    }
  },
});
