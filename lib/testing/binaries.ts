// Where the harness finds etcd, kube-apiserver, kubectl and the node's
// binaries, and how it installs them (lib/testing/install_binaries.sh) when missing.

import { isExecutable, onPath } from "./_processes.ts";
import { TestingError } from "./testing_error.ts";

/** The control plane's binaries. */
export interface Binaries {
  /** etcd (3.4 or later). */
  etcd: string;
  /** kube-apiserver. */
  kubeApiserver: string;
  /** kubectl (used for kubeconfigs of existing clusters and by kubectl transports). */
  kubectl: string;
}

/** Must match BUILD_TAG in lib/testing/install_binaries.sh (the cache is keyed by it). */
const KUBE_BUILD_TAG = "1.20.2-reflect2fix";

function cacheDir(): string {
  const base = Deno.env.get("XDG_CACHE_HOME") ??
    `${Deno.env.get("HOME") ?? "/tmp"}/.cache`;
  return `${base}/deno-kubernetes-transport/kubernetes-${KUBE_BUILD_TAG}/bin`;
}

/** The node's binaries we build (kubelet & co.), found like the others. */
export interface NodeBinaries {
  /** kubelet (of the apiserver's version or older). */
  kubelet: string;
  /** kube-scheduler. */
  kubeScheduler: string;
  /** kube-controller-manager. */
  kubeControllerManager: string;
  /** The static pause binary for the sandbox image. */
  pause: string;
}

type Lookup<K> = [key: K, env: string, name: string];
const CORE: Lookup<keyof Binaries>[] = [
  ["etcd", "ETCD_BIN", "etcd"],
  ["kubeApiserver", "KUBE_APISERVER_BIN", "kube-apiserver"],
  ["kubectl", "KUBECTL_BIN", "kubectl"],
];
const NODE: Lookup<keyof NodeBinaries>[] = [
  ["kubelet", "KUBELET_BIN", "kubelet"],
  ["kubeScheduler", "KUBE_SCHEDULER_BIN", "kube-scheduler"],
  [
    "kubeControllerManager",
    "KUBE_CONTROLLER_MANAGER_BIN",
    "kube-controller-manager",
  ],
  ["pause", "KUBE_PAUSE_BIN", "pause"],
];

/** The env var naming an envtest-style directory (`etcd`, `kube-apiserver`, `kubectl`). */
export const ASSETS_ENV = "KUBEBUILDER_ASSETS";

async function lookUp<K extends string>(
  lookups: Lookup<K>[],
  searchPath: boolean,
): Promise<{ found: Partial<Record<K, string>>; missing: K[] }> {
  const found: Partial<Record<K, string>> = {};
  const missing: K[] = [];
  const assets = Deno.env.get(ASSETS_ENV);
  for (const [key, env, name] of lookups) {
    const override = Deno.env.get(env);
    if (override) {
      if (!await isExecutable(override)) {
        throw new Error(`${env}=${override} is not an executable file`);
      }
      found[key] = override;
      continue;
    }
    const candidates = [
      ...(assets ? [`${assets}/${name}`] : []),
      ...(searchPath ? [await onPath(name)] : []),
      `${cacheDir()}/${name}`,
    ];
    let path: string | undefined;
    for (const c of candidates) {
      if (c && await isExecutable(c)) {
        path = c;
        break;
      }
    }
    if (path) found[key] = path;
    else missing.push(key);
  }
  return { found, missing };
}

/**
 * Finds etcd, kube-apiserver and kubectl: env overrides (ETCD_BIN,
 * KUBE_APISERVER_BIN, KUBECTL_BIN), then $KUBEBUILDER_ASSETS (envtest's
 * layout), then PATH, then the build cache. Returns the names of those it
 * could not find.
 */
export function findBinaries(): Promise<
  { found: Partial<Binaries>; missing: (keyof Binaries)[] }
> {
  return lookUp(CORE, true);
}

/** Finds the node's binaries: env overrides (KUBELET_BIN, ...), $KUBEBUILDER_ASSETS, the build cache. */
export function findNodeBinaries(): Promise<
  { found: Partial<NodeBinaries>; missing: (keyof NodeBinaries)[] }
> {
  return lookUp(NODE, false);
}

/** False when KUBE_TEST_NODE=0 asks for no node. */
export function nodeWanted(): boolean {
  return Deno.env.get("KUBE_TEST_NODE") !== "0";
}

/** Options for {@link ensureBinaries}. */
export interface EnsureBinariesOptions {
  /** Also the node's binaries (kubelet & co.). @default {true unless KUBE_TEST_NODE=0} */
  node?: boolean;
  /**
   * Run the installer for what is missing: Debian packages through apt and a
   * build from Debian's Kubernetes source (needs root; 10-20 minutes once,
   * cached). Off, a missing binary is a {@link TestingError} that says how
   * to provide it.
   * @default {false}
   */
  install?: boolean;
}

/** The installer's path, as a file (fetched to a private temp dir when this module is remote). */
export async function installerPath(): Promise<string> {
  return await localFile("install_binaries.sh");
}

/** A file shipped beside this module, as a local path. */
export async function localFile(name: string): Promise<string> {
  const url = new URL(`./${name}`, import.meta.url);
  if (url.protocol === "file:") return url.pathname;
  const text = await (await fetch(url)).text();
  const dir = await Deno.makeTempDir({ prefix: "kube-testing-" });
  const path = `${dir}/${name}`;
  await Deno.writeTextFile(path, text, { mode: 0o700 });
  return path;
}

function missingMessage(missing: string[]): string {
  return `${
    missing.join(", ")
  } not found. Point ${ASSETS_ENV} at a directory with etcd, kube-apiserver and kubectl (controller-runtime envtest's layout), set ETCD_BIN / KUBE_APISERVER_BIN / KUBECTL_BIN (and KUBELET_BIN & co. for a node), pass binaries to startCluster, or install them: startCluster({ install: true }) or \`sudo bash ${
    new URL("./install_binaries.sh", import.meta.url).pathname
  }\` (Debian; builds from source once, 10-20 minutes)`;
}

/**
 * Finds the binaries (env overrides, $KUBEBUILDER_ASSETS, PATH, the build
 * cache); with `install`, installs what is missing with install_binaries.sh.
 *
 * @param opts Whether the node's binaries are needed and whether to install.
 * @returns The control plane's binaries.
 * @throws {TestingError} `BinariesMissing` (saying how to provide them) or `InstallFailed`.
 */
export async function ensureBinaries(
  opts: EnsureBinariesOptions = {},
): Promise<Binaries> {
  const wantNode = opts.node ?? nodeWanted();
  const first = await findBinaries();
  const node = wantNode ? await findNodeBinaries() : { missing: [] };
  if (first.missing.length === 0 && node.missing.length === 0) {
    return first.found as Binaries;
  }
  if (!opts.install) {
    if (first.missing.length) {
      throw new TestingError("BinariesMissing", missingMessage(first.missing));
    }
    return first.found as Binaries;
  }
  console.error(
    `kube testing: ${
      [...first.missing, ...node.missing].join(", ")
    } not found; installing (the first build from source takes 10-20 minutes)`,
  );
  const out = await new Deno.Command("bash", {
    args: [await installerPath()],
    env: wantNode ? {} : { KUBE_TEST_NODE: "0" },
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).output();
  const second = await findBinaries();
  if (second.missing.length) {
    throw new TestingError(
      out.success ? "BinariesMissing" : "InstallFailed",
      `still missing after install_binaries.sh (exit code ${out.code}): ${
        missingMessage(second.missing)
      }`,
    );
  }
  if (!out.success) {
    console.error(
      `kube testing: install_binaries.sh failed with code ${out.code}; the node's parts may be missing`,
    );
  }
  return second.found as Binaries;
}
