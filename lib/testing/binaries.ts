// Where the harness finds etcd, kube-apiserver, kubectl and the node's
// binaries, and how it installs them (lib/testing/install_binaries.sh) when missing.

import { isExecutable, onPath } from "./_processes.ts";

/** Where the suite finds its binaries. */
export interface Binaries {
  etcd: string;
  kubeApiserver: string;
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
  kubelet: string;
  kubeScheduler: string;
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

/**
 * Finds the binaries, installing what is missing with
 * lib/testing/install_binaries.sh (which also builds the node's binaries unless
 * KUBE_TEST_NODE=0).
 */
export async function ensureBinaries(
  opts: { node?: boolean } = {},
): Promise<Binaries> {
  const wantNode = opts.node ?? nodeWanted();
  const first = await findBinaries();
  const node = wantNode ? await findNodeBinaries() : { missing: [] };
  if (first.missing.length === 0 && node.missing.length === 0) {
    return first.found as Binaries;
  }
  console.error(
    `test harness: ${
      [...first.missing, ...node.missing].join(", ")
    } not found; installing (the first build from source takes 10-20 minutes)`,
  );
  const script = new URL("./install_binaries.sh", import.meta.url).pathname;
  const out = await new Deno.Command("bash", {
    args: [script],
    env: wantNode ? {} : { KUBE_TEST_NODE: "0" },
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).output();
  const second = await findBinaries();
  if (second.missing.length) {
    throw new Error(
      `still missing after install: ${second.missing.join(", ")}` +
        (out.success
          ? ""
          : ` (lib/testing/install_binaries.sh failed with code ${out.code})`),
    );
  }
  if (!out.success) {
    console.error(
      `test harness: lib/testing/install_binaries.sh failed with code ${out.code}; the node's parts may be missing`,
    );
  }
  return second.found as Binaries;
}
