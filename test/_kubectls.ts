// The kubectls the kubectl transport tests run with, once each: the
// harness's own (the machine's, 1.32 on ours) and those of other releases
// that `bash lib/testing/install_binaries.sh --kubectl-eras` unpacks into
// the cache (Debian bookworm's 1.20, sid's 1.36). KUBECTL_BINS
// (colon-separated paths) names them instead. Each comes with its version,
// read once, so a test name says which kubectl it ran.

const CACHE_ENTRIES = ["kubectl-bookworm-", "kubectl-sid-"];

/** One kubectl under test. */
export interface KubectlUnderTest {
  /** The binary. */
  path: string;
  /** `v1.36.4`, from `kubectl version --client -o json`. */
  version: string;
  /** A label for test names: `kubectl v1.36.4`. */
  label: string;
}

let found: KubectlUnderTest[] | undefined;

/**
 * The kubectls to test, the harness's first; read once per process.
 * Under CI, a missing release fails here rather than passing untested.
 *
 * @param harnessKubectl The kubectl the harness found (cp.binaries.kubectl).
 */
export function kubectlsUnderTest(harnessKubectl: string): KubectlUnderTest[] {
  if (found) return found;
  const fromEnv = Deno.env.get("KUBECTL_BINS");
  const paths = fromEnv
    ? fromEnv.split(":").filter((p) => p)
    : [harnessKubectl, ...cachedEras()];
  if (!fromEnv && paths.length < 1 + CACHE_ENTRIES.length) {
    const why =
      "kubectls of other releases are not installed: run `bash lib/testing/install_binaries.sh --kubectl-eras` (Debian's 1.20 and sid's current kubectl, unpacked into the cache)";
    if (Deno.env.get("CI")) throw new Error(why);
    console.error(`kubectl tests: ${why}; testing only ${harnessKubectl}`);
  }
  const seen = new Set<string>();
  found = [];
  for (const path of paths) {
    const version = versionOf(path);
    if (seen.has(version)) continue; // the same release twice adds nothing
    seen.add(version);
    found.push({ path, version, label: `kubectl ${version}` });
  }
  return found;
}

function cachedEras(): string[] {
  const base = `${
    Deno.env.get("XDG_CACHE_HOME") ?? `${Deno.env.get("HOME")}/.cache`
  }/deno-kubernetes-transport`;
  const out: string[] = [];
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(base)];
  } catch {
    return out;
  }
  for (const prefix of CACHE_ENTRIES) {
    const dir = entries.filter((e) =>
      e.isDirectory && e.name.startsWith(prefix) && !e.name.endsWith(".partial")
    ).map((e) => e.name).sort().at(-1);
    if (dir) out.push(`${base}/${dir}/usr/bin/kubectl`);
  }
  return out;
}

function versionOf(path: string): string {
  const out = new Deno.Command(path, {
    args: ["version", "--client", "-o", "json"],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).outputSync();
  const v = out.success
    ? JSON.parse(new TextDecoder().decode(out.stdout))?.clientVersion
      ?.gitVersion
    : undefined;
  if (typeof v !== "string") {
    throw new Error(
      `${path}: \`kubectl version --client -o json\` gave no clientVersion.gitVersion (exit code ${out.code})`,
    );
  }
  return v;
}
