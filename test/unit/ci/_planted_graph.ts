// A module graph planted from `[from, to]` edges, for the gates' tests
// (import_gate_test.ts, test_tiers_test.ts): every module named is a key.

/** The graph of `edges`, each module a key, with the modules it imports. */
export function plantedGraph(
  edges: [string, string][],
): Map<string, Set<string>> {
  const g = new Map<string, Set<string>>();
  for (const [from, to] of edges) {
    g.set(from, (g.get(from) ?? new Set()).add(to));
    if (!g.has(to)) g.set(to, new Set());
  }
  return g;
}
