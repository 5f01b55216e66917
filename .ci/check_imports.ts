// Import-graph gate for `deno task check`: no import cycles among the
// library's own modules, and imports point one way — down the layers below.
// Reads the module graph from `deno info --json` for every path deno.json
// exports. Usage: deno run --allow-read --allow-run .ci/check_imports.ts
//
// Static imports only: a dynamic `import()` is a lazy edge — the one there is
// lets v0.7.3's KubeConfigContext.getAuthHeader() reach the auth layer
// without the config layer depending on it.
//
// Layers, lowest first; a module may import its own layer or lower ones.
// A path matches the first rule whose prefix it starts with.

const LAYERS: [prefix: string, layer: number, name: string][] = [
  ["lib/contract.ts", 0, "contract"],
  ["lib/errors/", 0, "errors"],
  ["lib/_", 0, "internal helpers"],
  ["lib/config/", 1, "config"],
  ["lib/testing/", 5, "testing"],
  ["lib/", 2, "library"],
  ["transports/", 3, "transports"],
  ["mod.ts", 4, "entry point"],
];

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

function layerOf(path: string): [number, string] | undefined {
  for (const [prefix, layer, name] of LAYERS) {
    if (path.startsWith(prefix)) return [layer, name];
  }
  return undefined;
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

/** Strongly connected components with more than one module (or a self-import): the cycles. */
function cycles(graph: Map<string, Set<string>>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || graph.get(v)?.has(v)) {
        found.push(component.sort());
      }
    }
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return found;
}

const config = JSON.parse(await Deno.readTextFile(`${root}deno.json`)) as {
  exports: Record<string, string>;
};
const graph = await graphOf([...new Set(Object.values(config.exports))]);
const problems: string[] = [];
for (const cycle of cycles(graph)) {
  problems.push(`import cycle: ${cycle.join(" → ")}`);
}
for (const [from, edges] of graph) {
  const a = layerOf(from);
  if (!a) continue;
  for (const to of edges) {
    const b = layerOf(to);
    if (b && b[0] > a[0]) {
      problems.push(
        `upward import: ${from} (${a[1]}) imports ${to} (${b[1]})`,
      );
    }
  }
}
console.log(
  `import graph: ${graph.size} modules, ${
    [...graph.values()].reduce((n, e) => n + e.size, 0)
  } imports, ${problems.length} problem(s)`,
);
for (const p of problems) console.log(`  ${p}`);
if (problems.length) Deno.exit(1);
