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

interface InfoModule {
  specifier: string;
  local?: string;
  dependencies?: {
    specifier: string;
    isDynamic?: boolean;
    code?: { specifier: string };
    type?: { specifier: string };
  }[];
}

const root = new URL("..", import.meta.url).pathname;

function relative(specifier: string): string | undefined {
  if (!specifier.startsWith("file://")) return undefined;
  const path = decodeURIComponent(new URL(specifier).pathname);
  return path.startsWith(root) ? path.slice(root.length) : undefined;
}

async function graphOf(entries: string[]): Promise<Map<string, Set<string>>> {
  const graph = new Map<string, Set<string>>();
  for (const entry of entries) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", entry],
      cwd: root,
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) {
      throw new Error(
        `deno info ${entry} failed: ${new TextDecoder().decode(out.stderr)}`,
      );
    }
    const info = JSON.parse(new TextDecoder().decode(out.stdout)) as {
      modules: InfoModule[];
    };
    for (const m of info.modules) {
      const from = relative(m.specifier);
      if (!from) continue;
      const edges = graph.get(from) ?? new Set<string>();
      graph.set(from, edges);
      for (const d of m.dependencies ?? []) {
        if (d.isDynamic) continue;
        for (const target of [d.code?.specifier, d.type?.specifier]) {
          const to = target && relative(target);
          if (to) edges.add(to);
        }
      }
    }
  }
  return graph;
}

const config = JSON.parse(await Deno.readTextFile(`${root}deno.json`)) as {
  exports: Record<string, string>;
};
const graph = await graphOf([...new Set(Object.values(config.exports))]);
const problems = importProblems(graph);
console.log(
  `import graph: ${graph.size} modules, ${
    [...graph.values()].reduce((n, e) => n + e.size, 0)
  } imports, ${problems.length} problem(s)`,
);
for (const p of problems) console.log(`  ${p}`);
if (problems.length) Deno.exit(1);
