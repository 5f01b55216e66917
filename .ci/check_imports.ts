// Import-graph gate for `deno task check`: no import cycles among the
// library's own modules, and imports point one way — down the layers below.
// Reads the module graph from `deno info --json` for every path deno.json
// exports. Usage: deno run --allow-read --allow-run .ci/check_imports.ts
//
// Static imports only: a dynamic `import()` is a lazy edge — the one there is
// lets v0.7.3's KubeConfigContext.getAuthHeader() reach the auth layer
// without the config layer depending on it.
//
// The layers and the rule live in .ci/_layers.ts.

import { importProblems } from "./_layers.ts";
import { moduleGraph } from "./_module_graph.ts";

const root = new URL("..", import.meta.url).pathname;

const config = JSON.parse(await Deno.readTextFile(`${root}deno.json`)) as {
  exports: Record<string, string>;
};
const graph = await moduleGraph(
  root,
  [...new Set(Object.values(config.exports))],
  { dynamic: false, types: true },
);
const problems = importProblems(graph);
console.log(
  `import graph: ${graph.size} modules, ${
    [...graph.values()].reduce((n, e) => n + e.size, 0)
  } imports, ${problems.length} problem(s)`,
);
for (const p of problems) console.log(`  ${p}`);
if (problems.length) Deno.exit(1);
