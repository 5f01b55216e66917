// What a newcomer sees while lib/testing/install_binaries.sh works: one line
// per step with its number, a heartbeat while a long step runs, the raw
// output kept in a log file whose path is printed, and that log's tail when
// a step fails. The build from source is replaced through the script's seam
// (KUBE_INSTALL_FAKE_BUILD) by a stand-in that prints like a build and then
// fails or succeeds, in a cache directory of the test's own.
// Needs no cluster and installs nothing.

import assert from "node:assert/strict";
import { withTempDir, writeScript } from "../../_helpers.ts";

const script =
  new URL("../../../lib/testing/install_binaries.sh", import.meta.url)
    .pathname;

function onPath(name: string): boolean {
  return new Deno.Command("sh", {
    args: ["-c", `command -v ${name}`],
    stdout: "null",
    stderr: "null",
  }).outputSync().success;
}
// Without them the script would install them from Debian first: not a test of seconds.
const missingTools = ["openssl", "setpriv", "flock"].filter((t) => !onPath(t));

async function install(
  dir: string,
  builder: string,
): Promise<{ code: number; stdout: string; stderr: string; ms: number }> {
  const started = performance.now();
  const out = await new Deno.Command("bash", {
    args: [script],
    env: {
      XDG_CACHE_HOME: `${dir}/cache`,
      KUBE_TEST_NODE: "0",
      ETCD_BIN: "/bin/true",
      KUBECTL_BIN: "/bin/true",
      KUBE_INSTALL_HEARTBEAT_SECONDS: "1",
      KUBE_INSTALL_FAKE_BUILD: builder,
    },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(30_000),
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return {
    code: out.code,
    stdout: text(out.stdout),
    stderr: text(out.stderr),
    ms: performance.now() - started,
  };
}

Deno.test({
  name:
    "a failing install step shows its number and heartbeat, keeps the raw output in a log, and prints its tail",
  ignore: missingTools.length > 0,
  fn: () =>
    withTempDir(async (dir) => {
      const builder = await writeScript(
        dir,
        "builder",
        `i=1; while [ $i -le 100 ]; do echo "go: compiling package $i"; i=$((i+1)); done
sleep 2.5
echo "vendor/x.go:1: undefined: y" >&2
exit 3`,
      );
      const run = await install(dir, builder);
      const log = `${dir}/cache/deno-kubernetes-transport/install.log`;
      assert.equal(run.code, 3, run.stderr);
      assert.equal(run.stdout, "", "no paths after a failure");
      const lines = run.stderr.split("\n");
      assert.ok(
        lines.includes(`[install] 1 step(s); the raw output goes to ${log}`),
        run.stderr,
      );
      assert.ok(
        lines.includes(
          "[1/1] building kube-apiserver (KUBE_INSTALL_FAKE_BUILD)",
        ),
        run.stderr,
      );
      assert.ok(
        lines.some((l) =>
          /^\[1\/1\] building kube-apiserver .* — [12] s so far$/.test(l)
        ),
        `a heartbeat: ${run.stderr}`,
      );
      assert.ok(
        lines.some((l) =>
          /^\[1\/1\] building kube-apiserver .* — failed after \d s with exit code 3; the last 40 lines of /
            .test(l)
        ),
        run.stderr,
      );
      // The tail, not the whole: the build's own lines stay in the log.
      assert.ok(lines.includes("  | vendor/x.go:1: undefined: y"), run.stderr);
      assert.ok(lines.includes("  | go: compiling package 100"), run.stderr);
      assert.ok(!run.stderr.includes("go: compiling package 50\n"), run.stderr);
      const raw = await Deno.readTextFile(log);
      assert.match(raw, /go: compiling package 1\n/);
      assert.match(raw, /vendor\/x\.go:1: undefined: y/);
      assert.ok(run.ms < 15_000, `took ${run.ms} ms`);
    }),
});

Deno.test({
  name:
    "a successful install reports each step's time and prints the paths; a second run has nothing to do",
  ignore: missingTools.length > 0,
  fn: () =>
    withTempDir(async (dir) => {
      const builder = await writeScript(
        dir,
        "builder",
        `echo "building $2 into $1"
printf '#!/bin/sh\\n' > "$1/kube-apiserver"; chmod +x "$1/kube-apiserver"`,
      );
      const first = await install(dir, builder);
      assert.equal(first.code, 0, first.stderr);
      assert.match(
        first.stderr,
        /^\[1\/1\] building kube-apiserver \(KUBE_INSTALL_FAKE_BUILD\) — done in \d s$/m,
      );
      assert.ok(
        !first.stderr.includes("building cmd/kube-apiserver into"),
        "the builder's output is in the log",
      );
      const bin =
        `${dir}/cache/deno-kubernetes-transport/kubernetes-1.20.2-reflect2fix/bin`;
      assert.deepEqual(first.stdout.trim().split("\n"), [
        `KUBE_APISERVER_BIN=${bin}/kube-apiserver`,
        "ETCD_BIN=/bin/true",
        "KUBECTL_BIN=/bin/true",
      ]);
      const second = await install(dir, "/bin/false");
      assert.equal(second.code, 0, second.stderr);
      assert.equal(second.stderr, "", "nothing to do, nothing said");
      assert.equal(second.stdout, first.stdout);
    }),
});
