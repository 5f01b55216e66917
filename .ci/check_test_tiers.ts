// Test-tier gate for `deno task check`: every test file sits in a tier's
// folder, and no unit-tier test reaches the cluster harness through its
// value imports (read from `deno info --json`, so re-exports, helpers and
// dynamic imports count; `import type` does not). The tiers and the rule
// live in test/_tiers.ts.
// Usage: deno run --allow-read --allow-run .ci/check_test_tiers.ts [REPO_ROOT]
// (the root defaults to this repository; test/unit/ci/test_tiers_test.ts
// points it at planted trees).

import { moduleGraph } from "./_module_graph.ts";
import { filesUnder, tierOf, tierProblems } from "../test/_tiers.ts";

const root = Deno.args[0]
  ? Deno.realPathSync(Deno.args[0]).replace(/\/?$/, "/")
  : new URL("..", import.meta.url).pathname;

const files = filesUnder(root);
const unit = files.filter((f) =>
  tierOf(f) === "unit" && f.endsWith("_test.ts")
);
const graph = await moduleGraph(root, unit, { dynamic: true, types: false });
const problems = tierProblems(files, graph);
console.log(
  `test tiers: ${
    files.filter((f) => f.endsWith("_test.ts")).length
  } test files, ${unit.length} in the unit tier, ${problems.length} problem(s)`,
);
for (const p of problems) console.log(`  ${p}`);
if (problems.length) Deno.exit(1);
