// The testing module gives each binary the flags its release takes, read
// from the binary's own `--version`: checked through startCluster (and the
// node's component starters) with stand-in executables — small scripts that
// report another release on `--version`, record the arguments they are
// started with, and exit. Only 1.20 builds from source on our machines, so
// this is how 1.24, 1.27, 1.31 and 1.36 (current) binaries are covered; the
// real 1.20 binaries start the suite's own cluster. A stand-in that exits is
// a ServerExited TestingError with its log tail, and a binary whose
// `--version` names no release is an UnknownVersion TestingError before
// anything starts. What each release takes is in
// lib/testing/_component_args.ts (unit-tested in test/unit/testing/component_args_test.ts).
// Needs the suites' cluster (test/harness.ts) for the real 1.20 binaries' paths; the stand-ins need nothing more.

import assert from "node:assert/strict";
import { controlPlane } from "../../harness.ts";
import { until, withTempDir, writeScript } from "../../_helpers.ts";
import { startCluster, TestingError } from "@denokube/testing";
import {
  hostUsesCgroupV1,
  startKubelet,
  waitNodeReady,
} from "../../../lib/testing/_kubelet.ts";
import { startControllers } from "../../../lib/testing/_node_controllers.ts";

const cp = await controlPlane();

/** A stand-in that reports `Kubernetes v1.<minor>.0`, records its arguments in `<path>.args`, says so and exits 3. */
function standIn(dir: string, name: string, version: string): Promise<string> {
  return writeScript(
    dir,
    name,
    `if [ "$1" = "--version" ]; then echo "Kubernetes ${version}"; exit 0; fi
printf '%s\\n' "$@" > "$0.args"
echo "stand-in ${name} ${version}: recorded $# arguments, exiting"
exit 3`,
  );
}

async function recorded(bin: string): Promise<string[]> {
  await until(
    async () => {
      try {
        await Deno.stat(`${bin}.args`);
        return true;
      } catch {
        return false;
      }
    },
    10_000,
    `${bin} started`,
  );
  return (await Deno.readTextFile(`${bin}.args`)).trimEnd().split("\n");
}

/** Runs `fn` with TMPDIR at a private directory, and returns what is left in it. */
async function inPrivateTmp(
  dir: string,
  fn: () => Promise<void>,
): Promise<string[]> {
  const tmp = `${dir}/tmp`;
  await Deno.mkdir(tmp);
  const saved = Deno.env.get("TMPDIR");
  Deno.env.set("TMPDIR", tmp);
  try {
    await fn();
  } finally {
    if (saved === undefined) Deno.env.delete("TMPDIR");
    else Deno.env.set("TMPDIR", saved);
  }
  const left: string[] = [];
  for await (const e of Deno.readDir(tmp)) left.push(e.name);
  return left;
}

const flagNames = (args: string[]) => args.map((a) => a.split("=")[0]);

for (const minor of [20, 24, 27, 31, 36]) {
  Deno.test({
    name:
      `startCluster gives a kube-apiserver reporting v1.${minor} the flags of its release, and its exit is a ServerExited TestingError`,
    ignore: cp.external,
    fn: () =>
      withTempDir(async (dir) => {
        const bin = await standIn(dir, "kube-apiserver", `v1.${minor}.0`);
        let err: unknown;
        const left = await inPrivateTmp(dir, async () => {
          err = await startCluster({
            binaries: { ...cp.binaries, kubeApiserver: bin },
          }).then(() => undefined, (e) => e);
        });
        assert.ok(err instanceof TestingError, String(err));
        assert.equal(err.reason, "ServerExited");
        assert.match(err.message, /^kube-apiserver exited with code 3/);
        assert.match(
          err.message,
          new RegExp(`stand-in kube-apiserver v1\\.${minor}\\.0: recorded`),
        );
        const args = await recorded(bin);
        assert.equal(args.includes("--insecure-port=0"), minor < 24);
        assert.ok(args.includes("--authorization-mode=Node,RBAC"));
        assert.ok(args.some((a) => a.startsWith("--etcd-servers=http://")));
        assert.deepEqual(left, [], "no scratch directory left");
      }),
  });
}

Deno.test({
  name:
    "apiserverFlags as an object reach the binary: a value replaced, a flag removed, one added",
  ignore: cp.external,
  fn: () =>
    withTempDir(async (dir) => {
      const bin = await standIn(dir, "kube-apiserver", "v1.36.0");
      const err = await startCluster({
        binaries: { ...cp.binaries, kubeApiserver: bin },
        apiserverFlags: {
          "--v": "5",
          "--profiling": null,
          "--max-requests-inflight": "50",
        },
      }).then(() => undefined, (e) => e);
      assert.ok(err instanceof TestingError && err.reason === "ServerExited");
      const args = await recorded(bin);
      assert.ok(args.includes("--v=5") && !args.includes("--v=1"));
      assert.ok(!flagNames(args).includes("--profiling"));
      assert.equal(args.at(-1), "--max-requests-inflight=50");
    }),
});

Deno.test({
  name:
    "a kube-apiserver whose --version names no release is an UnknownVersion TestingError before anything starts",
  ignore: cp.external,
  fn: () =>
    withTempDir(async (dir) => {
      const bin = await writeScript(
        dir,
        "kube-apiserver",
        `if [ "$1" = "--version" ]; then echo 'Kubernetes v0.0.0-master+$Format:%H$'; exit 0; fi
touch "$0.started"; exit 3`,
      );
      let err: unknown;
      const left = await inPrivateTmp(dir, async () => {
        err = await startCluster({
          binaries: { ...cp.binaries, kubeApiserver: bin },
        }).then(() => undefined, (e) => e);
      });
      assert.ok(err instanceof TestingError, String(err));
      assert.equal(err.reason, "UnknownVersion");
      assert.equal(
        err.message,
        `${bin} --version: expected "Kubernetes v1.<minor>.<patch>" (the flags it takes depend on its release), found "Kubernetes v0.0.0-master+$Format:%H$" (exit code 0)`,
      );
      assert.deepEqual(left, [], "nothing started, nothing left");
      await assert.rejects(Deno.stat(`${bin}.started`), Deno.errors.NotFound);
    }),
});

Deno.test({
  name:
    "apiserverFlags with a key that is not a flag fail as InvalidOption before anything starts",
  ignore: cp.external,
  fn: () =>
    withTempDir(async (dir) => {
      let err: unknown;
      const left = await inPrivateTmp(dir, async () => {
        err = await startCluster({
          binaries: cp.binaries,
          apiserverFlags: { "--v=4": "x" } as never,
        }).then(() => undefined, (e) => e);
      });
      assert.ok(err instanceof TestingError, String(err));
      assert.equal(err.reason, "InvalidOption");
      assert.match(err.message, /^apiserverFlags: expected keys naming flags/);
      assert.deepEqual(left, []);
    }),
});

for (const minor of [20, 24, 27, 31, 36]) {
  Deno.test({
    name:
      `a kubelet reporting v1.${minor} gets the flags and KubeletConfiguration of its release, and its exit is a ServerExited TestingError`,
    ignore: cp.external,
    fn: () =>
      withTempDir(async (dir) => {
        const bin = await standIn(dir, "kubelet", `v1.${minor}.0`);
        await Deno.mkdir(`${dir}/state/pids`, { recursive: true });
        const kubelet = await startKubelet({
          dir,
          state: `${dir}/state`,
          bin,
          sock: `${dir}/run/containerd.sock`,
          ip: "127.0.0.1",
          ca: cp.caFile,
          creds: {
            serving: {
              certFile: `${dir}/kubelet.crt`,
              keyFile: `${dir}/kubelet.key`,
              certPem: "",
              keyPem: "",
            },
            kubeconfig: `${dir}/kubelet.kubeconfig`,
          },
        });
        // An apiserver that cannot answer: only the exit ends the wait.
        const err = await waitNodeReady(
          { ...cp, server: "https://127.0.0.1:1" },
          kubelet,
          dir,
          20_000,
        ).then(() => undefined, (e) => e);
        assert.equal((await kubelet.status).code, 3);
        assert.ok(err instanceof TestingError, String(err));
        assert.equal(err.reason, "ServerExited");
        assert.match(
          err.message,
          new RegExp(
            `^kubelet exited with code 3[^]*stand-in kubelet v1\\.${minor}\\.0`,
          ),
        );

        const args = await recorded(bin);
        const endpoint = `unix://${dir}/run/containerd.sock`;
        assert.equal(args.includes("--container-runtime=remote"), minor < 27);
        assert.equal(
          args.includes(`--container-runtime-endpoint=${endpoint}`),
          minor < 27,
        );
        assert.ok(args.includes(`--config=${dir}/kubelet.yaml`));
        const config = JSON.parse(
          await Deno.readTextFile(`${dir}/kubelet.yaml`),
        );
        assert.equal(
          config.containerRuntimeEndpoint,
          minor < 27 ? undefined : endpoint,
        );
        assert.equal(
          config.failCgroupV1,
          minor >= 31 && await hostUsesCgroupV1() ? false : undefined,
        );
      }),
  });
}

for (const minor of [20, 24, 36]) {
  Deno.test({
    name:
      `kube-scheduler and kube-controller-manager reporting v1.${minor} get --port=0 only before 1.24`,
    ignore: cp.external || !("certFile" in cp.users.admin),
    // The stand-ins exit on their own; the node's cleanup, not a handle, stops the real ones.
    sanitizeOps: false,
    sanitizeResources: false,
    fn: () =>
      withTempDir(async (dir) => {
        const scheduler = await standIn(dir, "kube-scheduler", `v1.${minor}.0`);
        const manager = await standIn(
          dir,
          "kube-controller-manager",
          `v1.${minor}.0`,
        );
        await Deno.mkdir(`${dir}/state/pids`, { recursive: true });
        const admin = cp.users.admin;
        if (!("certFile" in admin)) return;
        await startControllers(
          cp,
          admin,
          {
            kubelet: "",
            pause: "",
            kubeScheduler: scheduler,
            kubeControllerManager: manager,
          },
          dir,
          `${dir}/state`,
        );
        for (const bin of [scheduler, manager]) {
          const args = await recorded(bin);
          assert.equal(args.includes("--port=0"), minor < 24, bin);
          assert.ok(args.includes("--leader-elect=false"));
          assert.ok(args.includes("--bind-address=127.0.0.1"));
        }
        assert.ok(
          (await recorded(manager)).some((a) => a.startsWith("--controllers=")),
        );
      }),
  });
}
