// The module graph `deno info --json` reports, as repository-relative paths:
// the one reader both gates use (.ci/check_imports.ts for the library's
// layers, .ci/check_test_tiers.ts for the test tiers), each choosing which
// edges count.

interface InfoModule {
  specifier: string;
  dependencies?: {
    specifier: string;
    isDynamic?: boolean;
    code?: { specifier: string };
    type?: { specifier: string };
  }[];
}

/** Which imports become edges. */
export interface GraphEdges {
  /** Count `import()` edges (a lazy edge still runs the module). */
  dynamic: boolean;
  /** Count type-only edges (`import type`, which runs nothing). */
  types: boolean;
}

/**
 * The graph reachable from `entries` (repository-relative), keyed by
 * repository-relative path; modules outside the repository are left out.
 *
 * @param root the repository's absolute path, ending in `/`
 * @param specifiers filled, when given, with each edge's specifier as
 *   written in the importing module (a package name or a relative path)
 * @throws {Error} when `deno info` fails on an entry, with its output
 */
export async function moduleGraph(
  root: string,
  entries: readonly string[],
  edges: GraphEdges,
  specifiers?: Map<string, Map<string, string>>,
): Promise<Map<string, Set<string>>> {
  const relative = (specifier: string): string | undefined => {
    if (!specifier.startsWith("file://")) return undefined;
    const path = decodeURIComponent(new URL(specifier).pathname);
    return path.startsWith(root) ? path.slice(root.length) : undefined;
  };
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
      const targets = graph.get(from) ?? new Set<string>();
      graph.set(from, targets);
      for (const d of m.dependencies ?? []) {
        if (d.isDynamic && !edges.dynamic) continue;
        const specs = [
          d.code?.specifier,
          edges.types ? d.type?.specifier : undefined,
        ];
        for (const target of specs) {
          const to = target && relative(target);
          if (!to) continue;
          targets.add(to);
          if (specifiers) {
            const written = specifiers.get(from) ?? new Map<string, string>();
            specifiers.set(from, written.set(to, d.specifier));
          }
        }
      }
    }
  }
  return graph;
}
