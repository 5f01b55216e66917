// Test tiers are declared by folder, never guessed: a `*_test.ts` under
// test/unit/ runs with no cluster (seconds, no install step), one under
// test/integration/ gets the control plane (and node) that test/run.ts
// starts; `*_bench.ts` suites live under test/bench/. Within a tier, the
// folders mirror lib/ and transports/ (test/unit/watch/ pins lib/watch/).
//
// The rule a unit file must keep — it may not reach what starts or attaches
// to a cluster — is checked on the real module graph by
// .ci/check_test_tiers.ts (`deno task check`), with the pure rule here so
// test/unit/ci/test_tiers_test.ts can run it on planted graphs. Paths are
// repository-relative with `/` separators.

/** The tiers' folders, repository-relative. */
export const TIER_DIRS = {
  unit: "test/unit/",
  integration: "test/integration/",
} as const;

/** A test tier: what its folder promises about what its files need. */
export type Tier = keyof typeof TIER_DIRS;

/** Where `*_bench.ts` suites (and the side-by-side comparison) live. */
export const BENCH_DIR = "test/bench/";

/**
 * Modules that start or attach to a cluster when called: the suites'
 * harness and the testing package's cluster entry points. Its pure parts
 * (flag planner, release reader, errors) stay usable from unit tests. The
 * gate reads resolved imports, so `import … from "@denokube/testing"` (the
 * workspace member in lib/testing/) counts as its entry, lib/testing/mod.ts.
 */
export const CLUSTER_MODULES: readonly string[] = [
  "test/harness.ts",
  "lib/testing/mod.ts",
  "lib/testing/start_cluster.ts",
  "lib/testing/shared_cluster.ts",
  "lib/testing/control_plane.ts",
  "lib/testing/cluster.ts",
];

/** The workspace's package entry points among the modules, by the name users import them as. */
export const PACKAGE_ENTRIES: Readonly<Record<string, string>> = {
  "lib/testing/mod.ts": "@denokube/testing",
};

/**
 * Every file under `dir` of the repository at `root`, repository-relative
 * (what the runner and the gate both check).
 *
 * @param root the repository's absolute path, ending in `/`
 */
export function filesUnder(root: string, dir = "test/"): string[] {
  const files: string[] = [];
  for (const e of Deno.readDirSync(`${root}${dir}`)) {
    const path = `${dir}${e.name}`;
    if (e.isDirectory) files.push(...filesUnder(root, `${path}/`));
    else if (e.isFile) files.push(path);
  }
  return files;
}

/** The tier of a repository-relative path, by the folder it is in. */
export function tierOf(path: string): Tier | undefined {
  for (const [tier, dir] of Object.entries(TIER_DIRS)) {
    if (path.startsWith(dir)) return tier as Tier;
  }
  return undefined;
}

/**
 * What is wrong with the test tree: a test file outside every tier folder (a
 * runner given the tier folders would silently skip it), a bench suite
 * outside test/bench/, and a unit-tier test that reaches a cluster module
 * through its value imports (static or dynamic; `import type` runs nothing),
 * reported with the chain of imports that gets there.
 *
 * @param files every file under test/, repository-relative
 * @param graph value imports between repository-relative modules; the
 *   unit tier's files must be in it
 * @returns one sentence per problem, empty when the tree keeps the rule
 */
export function tierProblems(
  files: readonly string[],
  graph: ReadonlyMap<string, ReadonlySet<string>>,
): string[] {
  const problems: string[] = [];
  for (const file of [...files].sort()) {
    const tier = tierOf(file);
    if (file.endsWith("_test.ts") && !tier) {
      problems.push(
        `${file}: a test file belongs under ${TIER_DIRS.unit} (no cluster) or ${TIER_DIRS.integration} (a cluster), in the folder of the layer it pins; found it outside both, where no tier runs it`,
      );
    }
    if (file.endsWith("_bench.ts") && !file.startsWith(BENCH_DIR)) {
      problems.push(
        `${file}: a bench suite belongs under ${BENCH_DIR}, where \`deno task bench\` runs it; found it outside`,
      );
    }
    if (tier === "unit" && file.endsWith("_test.ts")) {
      const chain = pathToCluster(file, graph);
      if (chain) {
        problems.push(
          `${file}: a unit-tier test may not reach the cluster harness, but it does: ${
            chain.map((m) =>
              PACKAGE_ENTRIES[m] ? `${m} (${PACKAGE_ENTRIES[m]})` : m
            ).join(" → ")
          }; move it to ${TIER_DIRS.integration} or import the pure module it needs`,
        );
      }
    }
  }
  return problems;
}

/** The shortest import chain from `file` to a cluster module, if any. */
function pathToCluster(
  file: string,
  graph: ReadonlyMap<string, ReadonlySet<string>>,
): string[] | undefined {
  const from = new Map<string, string | undefined>([[file, undefined]]);
  const queue = [file];
  while (queue.length) {
    const at = queue.shift()!;
    if (CLUSTER_MODULES.includes(at)) {
      const chain = [at];
      for (let p = from.get(at); p !== undefined; p = from.get(p)) {
        chain.unshift(p);
      }
      return chain;
    }
    for (const next of graph.get(at) ?? []) {
      if (!from.has(next)) {
        from.set(next, at);
        queue.push(next);
      }
    }
  }
  return undefined;
}
