// Import-graph gate for `deno task check`: no import cycles among the
// library's own modules, imports point one way — down the layers below —
// and a package of the workspace (the root @denokube/transport, the member
// @denokube/testing in lib/testing/) reaches another only by its name and
// exports, as it will once published. Reads the module graph from
// `deno info --json` for every path each package exports.
// Usage: deno run --allow-read --allow-run .ci/check_imports.ts
//
// Static imports only: a dynamic `import()` is a lazy edge — the one there is
// lets v0.7.3's KubeConfigContext.getAuthHeader() reach the auth layer
// without the config layer depending on it.
//
// The layers and the rules live in .ci/_layers.ts.

import {
  importProblems,
  packageProblems,
  type WorkspacePackage,
} from "./_layers.ts";
import { moduleGraph } from "./_module_graph.ts";

const root = new URL("..", import.meta.url).pathname;

interface DenoJson {
  name: string;
  exports: string | Record<string, string>;
  workspace?: string[];
}

/** The package whose deno.json is in `dir` (repository-relative, `""` or ending in `/`). */
async function readPackage(dir: string): Promise<WorkspacePackage & DenoJson> {
  const config = JSON.parse(
    await Deno.readTextFile(`${root}${dir}deno.json`),
  ) as DenoJson;
  const exports = typeof config.exports === "string"
    ? { ".": config.exports }
    : config.exports;
  const files: Record<string, string> = {};
  for (const [key, path] of Object.entries(exports)) {
    files[key] = `${dir}${path.replace(/^\.\//, "")}`;
  }
  return { ...config, dir, exports: files };
}

const top = await readPackage("");
const packages = [
  top,
  ...await Promise.all(
    (top.workspace ?? []).map((m) =>
      readPackage(`${m.replace(/^\.\//, "").replace(/\/?$/, "/")}`)
    ),
  ),
];
const specifiers = new Map<string, Map<string, string>>();
const graph = await moduleGraph(
  root,
  [...new Set(packages.flatMap((p) => Object.values(p.exports)))],
  { dynamic: false, types: true },
  specifiers,
);
const problems = [
  ...importProblems(graph),
  ...packageProblems(specifiers, packages),
];
console.log(
  `import graph: ${packages.length} packages, ${graph.size} modules, ${
    [...graph.values()].reduce((n, e) => n + e.size, 0)
  } imports, ${problems.length} problem(s)`,
);
for (const p of problems) console.log(`  ${p}`);
if (problems.length) Deno.exit(1);
