// A test's tier is the folder it lives in, and the test-tier gate
// (.ci/check_test_tiers.ts, in `deno task check`) fails on what would
// surprise someone running one tier: a unit-tier test that reaches the
// cluster harness — directly, through a helper, or by a dynamic import —
// named with the chain of imports; a test file outside both tier folders
// (no runner would pick it up); a bench suite outside test/bench/. Type-only
// imports of the harness run nothing and pass. The rule runs on planted
// graphs, then the gate itself on a planted tree in a temp directory, then
// on this repository. Needs no cluster; spawns `deno`.

import assert from "node:assert/strict";
import { CLUSTER_MODULES, tierOf, tierProblems } from "../../_tiers.ts";
import { withTempDir } from "../../_helpers.ts";
import { plantedGraph } from "./_planted_graph.ts";

const graph = plantedGraph;

const gate = new URL("../../../.ci/check_test_tiers.ts", import.meta.url)
  .pathname;

async function runGate(
  root?: string,
): Promise<{ code: number; out: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-run", gate, ...(root ? [root] : [])],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, out: decode(out.stdout) + decode(out.stderr) };
}

Deno.test("a test's tier is the folder it is in", () => {
  assert.equal(tierOf("test/unit/watch/reflector_test.ts"), "unit");
  assert.equal(
    tierOf("test/integration/transports/kubectl_raw_test.ts"),
    "integration",
  );
  assert.equal(tierOf("test/reflector_test.ts"), undefined);
  assert.equal(tierOf("test/bench/reflector_bench.ts"), undefined);
});

Deno.test("unit tests that import only pure modules, and integration tests that import the harness, pass the rule", () => {
  assert.deepEqual(
    tierProblems(
      [
        "test/unit/watch/reflector_test.ts",
        "test/integration/watch/reflector_apiserver_test.ts",
        "test/bench/reflector_bench.ts",
        "test/_helpers.ts",
        "test/harness.ts",
      ],
      graph([
        ["test/unit/watch/reflector_test.ts", "test/_helpers.ts"],
        ["test/unit/watch/reflector_test.ts", "lib/testing/_versions.ts"],
        [
          "test/integration/watch/reflector_apiserver_test.ts",
          "test/harness.ts",
        ],
        ["test/harness.ts", "lib/testing/mod.ts"],
      ]),
    ),
    [],
  );
});

Deno.test("a unit test that reaches the harness through a helper fails the rule, naming the chain", () => {
  assert.deepEqual(
    tierProblems(
      ["test/unit/transports/transport_failures_test.ts"],
      graph([
        ["test/unit/transports/transport_failures_test.ts", "test/_helpers.ts"],
        ["test/_helpers.ts", "test/harness.ts"],
        ["test/harness.ts", "lib/testing/mod.ts"],
      ]),
    ),
    [
      "test/unit/transports/transport_failures_test.ts: a unit-tier test may not reach the cluster harness, but it does: test/unit/transports/transport_failures_test.ts → test/_helpers.ts → test/harness.ts; move it to test/integration/ or import the pure module it needs",
    ],
  );
});

Deno.test("every cluster module of the testing package counts, not only the suites' harness", () => {
  for (const module of CLUSTER_MODULES) {
    assert.equal(
      tierProblems(
        ["test/unit/a_test.ts"],
        graph([["test/unit/a_test.ts", module]]),
      ).length,
      1,
      module,
    );
  }
});

Deno.test("a test file outside both tier folders, and a bench suite outside test/bench, fail the rule", () => {
  assert.deepEqual(
    tierProblems(
      ["test/stray_test.ts", "test/unit/watch/stray_bench.ts"],
      new Map(),
    ),
    [
      "test/stray_test.ts: a test file belongs under test/unit/ (no cluster) or test/integration/ (a cluster), in the folder of the layer it pins; found it outside both, where no tier runs it",
      "test/unit/watch/stray_bench.ts: a bench suite belongs under test/bench/, where `deno task bench` runs it; found it outside",
    ],
  );
});

Deno.test({
  name:
    "the gate reads a planted tree's real imports: a helper's value import, a dynamic import of the harness and an import of the testing package by its name fail, a type-only import passes",
  fn: () =>
    withTempDir(async (root) => {
      const write = async (path: string, text: string) => {
        await Deno.mkdir(`${root}/${path.replace(/[^/]+$/, "")}`, {
          recursive: true,
        });
        await Deno.writeTextFile(`${root}/${path}`, text);
      };
      await write("test/harness.ts", "export const controlPlane = 1;\n");
      await write(
        "test/_helper.ts",
        'import { controlPlane } from "./harness.ts";\nexport const h = controlPlane;\n',
      );
      await write(
        "test/_typed.ts",
        'import type { controlPlane } from "./harness.ts";\nexport type T = typeof controlPlane;\n',
      );
      await write(
        "test/unit/x/helper_test.ts",
        'import { h } from "../../_helper.ts";\nconsole.log(h);\n',
      );
      await write(
        "test/unit/x/dynamic_test.ts",
        'await import("../../harness.ts");\n',
      );
      await write(
        "test/unit/x/typed_test.ts",
        'import type { T } from "../../_typed.ts";\nexport const t: T | 0 = 0;\n',
      );
      await write(
        "test/integration/x/real_test.ts",
        'import { controlPlane } from "../../harness.ts";\nconsole.log(controlPlane);\n',
      );
      await write("test/stray_test.ts", "export {};\n");
      // A workspace like this one: the testing package is a member, and a
      // unit test imports it as users do, by name.
      await write(
        "deno.json",
        JSON.stringify({
          name: "@denokube/transport",
          version: "0.0.0",
          exports: "./mod.ts",
          workspace: ["./lib/testing"],
        }),
      );
      await write("mod.ts", "export const transport = 1;\n");
      await write(
        "lib/testing/deno.json",
        JSON.stringify({
          name: "@denokube/testing",
          version: "0.0.0",
          exports: "./mod.ts",
        }),
      );
      await write(
        "lib/testing/mod.ts",
        'import { transport } from "@denokube/transport";\nexport const startCluster = transport;\n',
      );
      await write(
        "test/unit/x/package_test.ts",
        'import { startCluster } from "@denokube/testing";\nconsole.log(startCluster);\n',
      );

      const { code, out } = await runGate(root);
      assert.equal(code, 1, out);
      assert.match(out, /6 test files, 4 in the unit tier, 4 problem\(s\)/);
      assert.match(
        out,
        /test\/unit\/x\/helper_test\.ts: a unit-tier test may not reach the cluster harness, but it does: test\/unit\/x\/helper_test\.ts → test\/_helper\.ts → test\/harness\.ts/,
      );
      assert.match(
        out,
        /test\/unit\/x\/dynamic_test\.ts: a unit-tier test may not reach the cluster harness, but it does: test\/unit\/x\/dynamic_test\.ts → test\/harness\.ts/,
      );
      assert.match(
        out,
        /test\/unit\/x\/package_test\.ts: a unit-tier test may not reach the cluster harness, but it does: test\/unit\/x\/package_test\.ts → lib\/testing\/mod\.ts \(@denokube\/testing\)/,
      );
      assert.match(out, /test\/stray_test\.ts: a test file belongs under/);
      assert.doesNotMatch(out, /typed_test/);
      assert.doesNotMatch(out, /real_test/);
    }),
});

Deno.test("this repository's tests keep the rule", async () => {
  const { code, out } = await runGate();
  assert.equal(code, 0, out);
  assert.match(out, /0 problem\(s\)/);
});
