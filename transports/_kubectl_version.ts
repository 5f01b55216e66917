// kubectl's own version, for errors that depend on which kubectl this is
// (how it logs a response changed in 1.33). Read once per binary path, and
// only when an error needs it: a request never waits for it.

import { parseJson } from "../lib/_internal/json.ts";
import { killQuietly } from "../lib/_internal/close.ts";

/** How long `kubectl version --client` may take before the version is "unknown". */
const VERSION_TIMEOUT_MS = 5_000;

const versions = new Map<string, Promise<string>>();

/**
 * kubectl's version as `v1.36.4`, or `of unknown version (why)`; read with
 * `kubectl version --client -o json` the first time a binary is asked about.
 *
 * @param kubectl The binary (a path or a name looked up on PATH).
 * @returns The version; never rejects.
 */
export function kubectlVersion(kubectl: string): Promise<string> {
  let version = versions.get(kubectl);
  if (!version) {
    version = readVersion(kubectl);
    versions.set(kubectl, version);
  }
  return version;
}

async function readVersion(kubectl: string): Promise<string> {
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(kubectl, {
      args: ["version", "--client", "-o", "json"],
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).spawn();
  } catch {
    return "of unknown version (it could not be started)";
  }
  const timer = setTimeout(
    () => killQuietly(child, "SIGKILL"),
    VERSION_TIMEOUT_MS,
  );
  try {
    const out = await child.output();
    // Not JSON: the same "failed" as a run that failed (caught below).
    // deno-lint-ignore no-explicit-any
    const parsed = parseJson(out.stdout, ({ cause }) => cause as Error) as any;
    const v = parsed?.clientVersion?.gitVersion;
    if (typeof v === "string" && /^v?\d+\.\d+[\w.+-]{0,60}$/.test(v)) return v;
    return "of unknown version (`kubectl version --client -o json` printed no clientVersion.gitVersion)";
  } catch {
    return `of unknown version (\`kubectl version --client -o json\` failed or took over ${
      VERSION_TIMEOUT_MS / 1000
    } s)`;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The minor release of a version from {@link kubectlVersion}: `36` for
 * `v1.36.4`, undefined when unknown.
 *
 * @param version The version.
 * @returns The minor number.
 */
export function kubectlMinor(version: string): number | undefined {
  const m = version.match(/^v?1\.(\d+)\./);
  return m ? Number(m[1]) : undefined;
}
