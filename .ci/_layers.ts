// The library's layers and the rules the import gate (.ci/check_imports.ts)
// applies to its module graph: no import cycles, every import points to
// the module's own layer or to one it builds on, and a package of the
// workspace reaches another only by that package's name and exports. Pure,
// so test/unit/ci/import_gate_test.ts can run them on a planted graph.
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
  // The entry modules that gather more than one layer: the root, the
  // kubeconfig entry (config and the auth built on it: lib/config/mod.ts
  // re-exports lib/auth/), and the transports entry (the transports and
  // autoDetectClient above them). They only re-export, and nothing of the
  // library imports them (code imports the file that holds a name), so they
  // sit above everything they gather. lib/watch, lib/tunnels, lib/objects and
  // lib/errors gather their own folder and stay in their layer.
  {
    name: "entry point",
    paths: ["mod.ts", "lib/config/mod.ts", "transports/mod.ts"],
    uses: ["auto-detect"],
  },
  // The workspace member @denokube/testing (lib/testing/deno.json): on top
  // of the transport package, and only through its exports (PACKAGES).
  { name: "testing", paths: ["lib/testing/"], uses: ["entry point"] },
];

/** A package of the workspace: a folder with a deno.json of its own. */
export interface WorkspacePackage {
  /** Its name, e.g. `@denokube/testing`. */
  name: string;
  /** Its folder, repository-relative, ending in `/` (`""` for the root). */
  dir: string;
  /** Its deno.json "exports": subpath (`.`, `./errors`) to repository-relative file. */
  exports: Record<string, string>;
}

/** The package owning `path`: the one with the longest folder it is in. */
export function packageOf(
  path: string,
  packages: readonly WorkspacePackage[],
): WorkspacePackage | undefined {
  let best: WorkspacePackage | undefined;
  for (const p of packages) {
    if (path.startsWith(p.dir) && (!best || p.dir.length > best.dir.length)) {
      best = p;
    }
  }
  return best;
}

/**
 * Imports across the workspace's packages that a published package could not
 * make: one package may reach another only as a user would, by the other's
 * name and one of its exports (`@denokube/transport/errors`), never by a
 * relative path into its folder, nor by a file it does not export.
 *
 * @param specifiers for each importing module, each imported module with
 *   the specifier written in the source
 * @param packages the workspace's packages
 * @returns one sentence per offending import, empty when there is none
 */
export function packageProblems(
  specifiers: ReadonlyMap<string, ReadonlyMap<string, string>>,
  packages: readonly WorkspacePackage[],
): string[] {
  const problems: string[] = [];
  for (const [from, edges] of specifiers) {
    const a = packageOf(from, packages);
    for (const [to, specifier] of edges) {
      const b = packageOf(to, packages);
      if (!a || !b || a === b) continue;
      const subpath = Object.entries(b.exports).find(([, file]) => file === to)
        ?.[0];
      const wanted = subpath === undefined
        ? undefined
        : `${b.name}${subpath.slice(1)}`;
      if (wanted === undefined) {
        problems.push(
          `cross-package import: ${from} (${a.name}) imports ${to}, which ${b.name} does not export; import one of its exports by name`,
        );
      } else if (specifier !== wanted) {
        problems.push(
          `cross-package import: ${from} (${a.name}) imports ${to} as "${specifier}"; expected the package specifier "${wanted}"`,
        );
      }
    }
  }
  return problems;
}

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
