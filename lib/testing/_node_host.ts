// The host side of the test node: whether this machine can run one, the
// one-node-per-machine lock, what the host looks like before we touch it
// (for lib/testing/node_cleanup.sh to restore), the janitor that tears the
// node down if this process dies, and the bridge that carries the node IP.

import {
  isExecutable,
  onPath,
  runCommand,
  spawnJanitor,
} from "./_processes.ts";
import { findNodeBinaries } from "./binaries.ts";

/** The bridge pods attach to; it carries the node IP. */
export const BRIDGE = "kubetest0";
/** The pods' /24 (first three octets); `.1` is the node. */
export const SUBNET = "10.88.77";
/** One node per machine: the directory whose creation is the lock. */
export const LOCK = "/run/kube-test-node.lock";
/** Where Debian's containernetworking-plugins live. */
export const CNI_DIR = "/usr/lib/cni";
/** Sysctls the kubelet (and the CNI bridge plugin) are known to change. */
const SYSCTLS = [
  "kernel.panic",
  "kernel.panic_on_oops",
  "kernel.keys.root_maxkeys",
  "kernel.keys.root_maxbytes",
  "vm.overcommit_memory",
  "vm.panic_on_oom",
  "net.ipv4.ip_forward",
  "net.ipv4.conf.all.route_localnet",
  "net.bridge.bridge-nf-call-iptables",
  "net.bridge.bridge-nf-call-ip6tables",
];
/** Host paths the kubelet or containerd create whatever their configured roots. */
const HOST_PATHS = [
  "/var/lib/kubelet",
  "/var/lib/kubelet/device-plugins",
  "/var/lib/kubelet/pod-resources",
  "/run/containerd",
  "/var/run/netns",
  "/var/log/pods",
  "/var/log/containers",
  "/var/lib/cni",
];

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Why this machine cannot run a node, or undefined when it can. Names the
 * missing part and how to get it.
 */
export async function nodeUnavailable(): Promise<string | undefined> {
  if (Deno.build.os !== "linux") return "a node needs Linux";
  if (Deno.uid() !== 0) {
    return "a node needs root (containerd, runc, network namespaces)";
  }
  const missing: string[] = [];
  for (
    const [tool, pkg] of [
      ["containerd", "containerd"],
      ["containerd-shim-runc-v2", "containerd"],
      ["ctr", "containerd"],
      ["runc", "runc"],
      ["ip", "iproute2"],
    ]
  ) {
    if (!await onPath(tool)) missing.push(`${tool} (apt-get install ${pkg})`);
  }
  for (const plugin of ["bridge", "host-local", "loopback"]) {
    if (!await isExecutable(`${CNI_DIR}/${plugin}`)) {
      missing.push(
        `${CNI_DIR}/${plugin} (apt-get install containernetworking-plugins)`,
      );
    }
  }
  if (!await isExecutable("/bin/busybox")) {
    missing.push("/bin/busybox (apt-get install busybox-static)");
  }
  const bins = await findNodeBinaries();
  for (const b of bins.missing) {
    missing.push(`${b} (bash lib/testing/install_binaries.sh builds it)`);
  }
  if (missing.length) return `missing: ${missing.join(", ")}`;
  return undefined;
}

async function readSysctl(key: string): Promise<string | undefined> {
  try {
    return (await Deno.readTextFile(`/proc/sys/${key.replaceAll(".", "/")}`))
      .trim();
  } catch {
    return undefined;
  }
}

/** Takes the one-node-per-machine lock, clearing a stale one left by a killed run. */
export async function takeLock(
  dir: string,
  cleanupScript: string,
): Promise<void> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await Deno.mkdir(LOCK);
      await Deno.writeTextFile(`${LOCK}/pid`, String(Deno.pid));
      await Deno.writeTextFile(`${LOCK}/dir`, dir);
      return;
    } catch (err) {
      if (!(err instanceof Deno.errors.AlreadyExists)) throw err;
    }
    const pid = Number(await Deno.readTextFile(`${LOCK}/pid`).catch(() => ""));
    const owner = await Deno.readTextFile(`${LOCK}/dir`).catch(() => "");
    if (pid && await exists(`/proc/${pid}`)) {
      throw new Error(
        `another test node is running on this machine (pid ${pid}, ${owner}); one node per machine`,
      );
    }
    // Its runner died without its janitor: tear its node down first.
    if (owner) await runCommand("bash", [cleanupScript, owner]);
    await Deno.remove(LOCK, { recursive: true }).catch(() => {});
  }
  throw new Error(`could not take ${LOCK}`);
}

/**
 * Records, under `state`, what the cleanup script needs: the host's sysctls,
 * host paths and network namespaces and pod logs as they were, and where
 * containerd's socket, runc's root and the bridge will be.
 */
export async function recordHostState(
  state: string,
  sock: string,
  runcRoot: string,
): Promise<void> {
  // What the host looks like before we touch it, for the cleanup script.
  const saved: string[] = [];
  for (const key of SYSCTLS) {
    const value = await readSysctl(key);
    if (value !== undefined) saved.push(`${key}=${value}`);
  }
  await Deno.writeTextFile(`${state}/sysctl.saved`, saved.join("\n") + "\n");
  const absent: string[] = [];
  for (const p of HOST_PATHS) if (!await exists(p)) absent.push(p);
  await Deno.writeTextFile(
    `${state}/host-paths.absent`,
    absent.join("\n") + "\n",
  );
  const listDir = async (d: string) => {
    const names: string[] = [];
    try {
      for await (const e of Deno.readDir(d)) names.push(`${d}/${e.name}`);
    } catch {
      // absent
    }
    return names;
  };
  await Deno.writeTextFile(
    `${state}/netns.before`,
    (await listDir("/var/run/netns")).map((p) => p.split("/").pop())
      .join("\n") + "\n",
  );
  await Deno.writeTextFile(
    `${state}/pod-logs.before`,
    [
      ...await listDir("/var/log/pods"),
      ...await listDir("/var/log/containers"),
    ].join("\n") + "\n",
  );
  await Deno.writeTextFile(`${state}/containerd-socket`, sock);
  await Deno.writeTextFile(`${state}/runc-root`, runcRoot);
  await Deno.writeTextFile(`${state}/bridge`, BRIDGE);
}

/**
 * Makes /run/netns a mount point before containerd puts pods' network
 * namespaces there, and records that for the cleanup.
 */
export async function ensureNetnsMountPoint(state: string): Promise<void> {
  // containerd bind-mounts each pod's network namespace under /run/netns.
  // iproute2, on first use, turns /run/netns into a shared bind of itself;
  // if that happens while pods' namespaces exist it hides them, and nothing
  // can remove them afterwards. Make it a mount point first, as `ip netns`
  // would, and let the cleanup undo it.
  const mounts = await Deno.readTextFile("/proc/self/mountinfo");
  if (!/^\S+ \S+ \S+ \S+ \/run\/netns /m.test(mounts)) {
    await Deno.writeTextFile(`${state}/netns-bind-created`, "/run/netns\n");
    const probe = `kube-test-probe-${crypto.randomUUID().slice(0, 8)}`;
    await runCommand("ip", ["netns", "add", probe]);
    await runCommand("ip", ["netns", "delete", probe]);
  }
}

/** The janitor: tears the node in `dir` down if this process dies without stop(). */
export function startJanitor(
  cleanupScript: string,
  dir: string,
): Deno.ChildProcess {
  return spawnJanitor("setsid", [
    "bash",
    cleanupScript,
    "--watch",
    String(Deno.pid),
    dir,
  ]);
}

/** Creates the bridge and gives it the node IP, which it returns. */
export async function createBridge(): Promise<string> {
  // The bridge carries the node IP: the kubelet refuses 127.0.0.1.
  const ip = `${SUBNET}.1`;
  await runCommand("ip", ["link", "add", BRIDGE, "type", "bridge"]);
  await runCommand("ip", ["addr", "add", `${ip}/24`, "dev", BRIDGE]);
  await runCommand("ip", ["link", "set", BRIDGE, "up"]);
  return ip;
}
