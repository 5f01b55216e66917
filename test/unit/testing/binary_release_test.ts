// How the testing module reads a binary's release (lib/testing/_versions.ts):
// `--version` runs once per binary, again when the file at that path is
// replaced, and an answer that names no release is an UnknownVersion
// TestingError naming the binary and what it printed — not kept, so a fixed
// binary is read again. Small scripts stand in for the binaries.
// Needs no cluster and no binaries.

import assert from "node:assert/strict";
import { binaryRelease } from "../../../lib/testing/_versions.ts";
import { TestingError } from "../../../lib/testing/testing_error.ts";
import { withTempDir, writeScript } from "../../_helpers.ts";

const counting = (dir: string, version: string) =>
  writeScript(
    dir,
    "kube-thing",
    `echo run >> "$0.runs"; echo "Kubernetes ${version}"`,
  );
const runs = async (bin: string) =>
  (await Deno.readTextFile(`${bin}.runs`)).trim().split("\n").length;

Deno.test("a binary's --version runs once, and again when the file at that path is replaced", async () => {
  await withTempDir(async (dir) => {
    const bin = await counting(dir, "v1.27.3");
    assert.deepEqual(await binaryRelease(bin), {
      minor: 27,
      gitVersion: "v1.27.3",
    });
    await Promise.all([binaryRelease(bin), binaryRelease(bin)]);
    assert.equal(await runs(bin), 1);
    // Another release installed at the same path (size and mtime change).
    await Deno.remove(bin);
    await counting(dir, "v1.36.10");
    await Deno.utime(bin, new Date(), new Date(Date.now() + 5000));
    assert.equal((await binaryRelease(bin)).minor, 36);
    assert.equal(await runs(bin), 2);
  });
});

Deno.test("a --version that names no release, or fails, is an UnknownVersion TestingError naming the binary and its answer, and is not kept", async () => {
  await withTempDir(async (dir) => {
    const bin = await writeScript(
      dir,
      "kube-apiserver",
      'echo "Kubernetes v0.0.0-master+\\$Format:%H\\$"',
    );
    const err = await binaryRelease(bin).then(() => undefined, (e) => e);
    assert.ok(err instanceof TestingError, String(err));
    assert.equal(err.reason, "UnknownVersion");
    assert.equal(
      err.message,
      `${bin} --version: expected "Kubernetes v1.<minor>.<patch>" (the flags it takes depend on its release), found "Kubernetes v0.0.0-master+$Format:%H$" (exit code 0)`,
    );

    const failing = await writeScript(
      dir,
      "kubelet",
      'echo "unknown flag: --version" >&2; exit 2',
    );
    const failed = await binaryRelease(failing).then(() => undefined, (e) => e);
    assert.ok(failed instanceof TestingError);
    assert.equal(failed.reason, "UnknownVersion");
    assert.match(
      failed.message,
      /found "unknown flag: --version" \(exit code 2\)$/,
    );

    const missing = await binaryRelease(`${dir}/nothing-here`).then(
      () => undefined,
      (e) => e,
    );
    assert.ok(missing instanceof TestingError);
    assert.match(missing.message, /nothing-here --version could not run: /);

    // A failure is not kept: the binary fixed in place is read again.
    await Deno.remove(failing);
    await writeScript(dir, "kubelet", 'echo "Kubernetes v1.31.0"');
    assert.equal((await binaryRelease(failing)).minor, 31);
  });
});
