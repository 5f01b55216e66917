// The library's layers and the rule the import gate (.ci/check_imports.ts)
// applies to its module graph: no import cycles, and every import points to
// the module's own layer or to one it builds on. Pure, so
// test/unit/ci/import_gate_test.ts can run it on a planted graph.
//
// A module belongs to the layer with the longest path prefix it starts with;
// a module of the library in no layer is itself a problem (a new file goes in
// a layer's folder, or gets a rule here).

/** One layer: the paths it owns and the layers it builds on directly. */
export interface Layer {
  name: string;
  /** Path prefixes relative to the repository root (a folder ends in `/`). */
  paths: string[];
  /** Layers this one may import, directly; theirs follow (transitively). */
  uses: string[];
}

/**
 * Lowest first; a layer may only build on layers listed before it. watch and
 * tunnels work on the contract alone (no config, no auth); tunnels use
 * watch's Reflector to follow a workload's pods;
 * objects builds on watch (dynamic clients list and watch, wait watches).
 */
export const LAYERS: readonly Layer[] = [
  { name: "contract", paths: ["lib/contract.ts"], uses: [] },
  // Leaf helpers (paths, redaction, base64, PEM, YAML, …): import nothing of ours.
  { name: "internal helpers", paths: ["lib/_internal/"], uses: [] },
  // The shape of an object and its reference (plain types and one
  // describer): the errors of the higher layers name objects with them.
  {
    name: "object types",
    paths: ["lib/objects/kubernetes_object.ts", "lib/objects/_object_ref.ts"],
    uses: ["contract"],
  },
  // Every error class of the library, those the higher layers throw too, so
  // the errors subpath can export them all under one base.
  {
    name: "errors",
    paths: ["lib/errors/"],
    uses: ["contract", "internal helpers", "object types"],
  },
  // Byte-level helpers on the contract and errors: line buffering, request
  // heads, API paths.
  { name: "wire helpers", paths: ["lib/_wire/"], uses: ["errors"] },
  { name: "config", paths: ["lib/config/"], uses: ["errors"] },
  { name: "auth", paths: ["lib/auth/"], uses: ["config"] },
  { name: "watch", paths: ["lib/watch/"], uses: ["wire helpers"] },
  // Tunnels build pod paths with the one path builder (lib/_wire/api_path.ts);
  // logs of a workload follow its pods with the one list/watch loop (the
  // Reflector), so tunnels build on watch.
  { name: "tunnels", paths: ["lib/tunnels/"], uses: ["watch"] },
  { name: "objects", paths: ["lib/objects/"], uses: ["watch"] },
  {
    name: "transports",
    paths: ["transports/"],
    uses: ["auth", "wire helpers", "watch", "tunnels", "objects"],
  },
  {
    name: "auto-detect",
    paths: ["transports/auto_detect.ts"],
    uses: ["transports"],
  },
  { name: "entry point", paths: ["mod.ts"], uses: ["auto-detect"] },
  { name: "testing", paths: ["lib/testing/"], uses: ["entry point"] },
];

/** The layer owning `path` (longest matching prefix), if any. */
export function layerOf(
  path: string,
  layers: readonly Layer[] = LAYERS,
): Layer | undefined {
  let best: Layer | undefined;
  let bestLength = -1;
  for (const layer of layers) {
    for (const prefix of layer.paths) {
      if (path.startsWith(prefix) && prefix.length > bestLength) {
        best = layer;
        bestLength = prefix.length;
      }
    }
  }
  return best;
}

/**
 * For each layer, the layers it may import: itself and everything it builds
 * on, transitively.
 *
 * @throws {Error} when a layer uses an unknown layer or one listed after it
 *   (which would let the rule go in circles)
 */
export function reachableLayers(
  layers: readonly Layer[] = LAYERS,
): Map<string, Set<string>> {
  const reach = new Map<string, Set<string>>();
  for (const layer of layers) {
    const set = new Set([layer.name]);
    for (const used of layer.uses) {
      const below = reach.get(used);
      if (!below) {
        throw new Error(
          `layer "${layer.name}" uses "${used}", which is not a layer listed before it`,
        );
      }
      for (const name of below) set.add(name);
    }
    reach.set(layer.name, set);
  }
  return reach;
}

/** Strongly connected components with more than one module (or a self-import): the cycles. */
export function cycles(graph: Map<string, Set<string>>): string[][] {
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

/**
 * Everything wrong with a module graph (repository-relative paths, static
 * imports only): cycles, modules in no layer, and imports into a layer the
 * importer does not build on — upward (that layer builds on the importer's)
 * or sideways (neither builds on the other).
 */
export function importProblems(
  graph: Map<string, Set<string>>,
  layers: readonly Layer[] = LAYERS,
): string[] {
  const reach = reachableLayers(layers);
  const problems: string[] = [];
  for (const cycle of cycles(graph)) {
    problems.push(`import cycle: ${cycle.join(" → ")}`);
  }
  const modules = new Set(graph.keys());
  for (const edges of graph.values()) for (const to of edges) modules.add(to);
  for (const path of [...modules].sort()) {
    if (!layerOf(path, layers)) {
      problems.push(
        `${path} is in no layer: move it into a layer's folder or give it a rule in .ci/_layers.ts`,
      );
    }
  }
  for (const [from, edges] of graph) {
    const a = layerOf(from, layers);
    if (!a) continue;
    for (const to of edges) {
      const b = layerOf(to, layers);
      if (!b || reach.get(a.name)!.has(b.name)) continue;
      const direction = reach.get(b.name)!.has(a.name) ? "upward" : "sideways";
      problems.push(
        `${direction} import: ${from} (${a.name}) imports ${to} (${b.name}), which ${a.name} does not build on`,
      );
    }
  }
  return problems;
}
