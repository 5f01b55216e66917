// Which test files need a cluster: the integration tier is every test file
// that reaches the harness (test/harness.ts, or what starts a cluster in the
// testing module) through its imports, followed within test/ and
// lib/testing/; the unit tier is the rest and
// runs with no control plane, no install step, in seconds. Read from the
// source, so a new file lands in the right tier by what it imports.

const testDir = new URL("./", import.meta.url);
const testingDir = new URL("../lib/testing/", import.meta.url);
// What starts or attaches to a cluster; the testing module's pure parts
// (its flag planner, say) are unit-tier.
const STARTS_CLUSTER = [
  new URL("./harness.ts", testDir),
  ...["mod.ts", "start_cluster.ts", "shared_cluster.ts", "control_plane.ts"]
    .map((f) => new URL(f, testingDir)),
];
// Value imports only: `import type` / `export type` run nothing.
const IMPORT =
  /(?:import|export)\s+(?!type\s)[^"';]*?from\s*["'](\.[^"']+)["']|import\(\s*["'](\.[^"']+)["']\s*\)/g;

function reachesCluster(
  file: URL,
  memo: Map<string, boolean>,
): boolean {
  const key = file.href;
  const known = memo.get(key);
  if (known !== undefined) return known;
  memo.set(key, false); // cycles: assume not while visiting
  let text: string;
  try {
    text = Deno.readTextFileSync(file);
  } catch {
    return false;
  }
  let found = false;
  for (const m of text.matchAll(IMPORT)) {
    const spec = m[1] ?? m[2];
    const target = new URL(spec, file);
    if (STARTS_CLUSTER.some((root) => target.href === root.href)) {
      found = true;
      break;
    }
    if (
      (target.href.startsWith(testDir.href) ||
        target.href.startsWith(testingDir.href)) &&
      reachesCluster(target, memo)
    ) {
      found = true;
      break;
    }
  }
  memo.set(key, found);
  return found;
}

/** Every `*_test.ts` under test/, split by whether it needs a cluster. */
export function testTiers(): { unit: string[]; integration: string[] } {
  const memo = new Map<string, boolean>();
  const unit: string[] = [];
  const integration: string[] = [];
  const walk = (dir: URL) => {
    for (const e of Deno.readDirSync(dir)) {
      const url = new URL(e.name + (e.isDirectory ? "/" : ""), dir);
      if (e.isDirectory && e.name !== "fixtures") walk(url);
      else if (e.isFile && e.name.endsWith("_test.ts")) {
        (reachesCluster(url, memo) ? integration : unit).push(url.pathname);
      }
    }
  };
  walk(testDir);
  return { unit: unit.sort(), integration: integration.sort() };
}
