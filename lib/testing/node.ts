// A real node for the test control plane: containerd (Debian's, started
// here with its own config, root, state and socket under a temp dir), the
// kubelet built from the same Kubernetes source as the apiserver, a CNI
// bridge, and kube-scheduler + kube-controller-manager so that Deployments
// roll out and new namespaces get their `default` ServiceAccount.
//
// Needs root and Linux; one node per machine at a time (the kubelet writes
// fixed host paths). Stopping leaves nothing behind: lib/testing/node_cleanup.sh
// undoes processes, containers, network namespaces, mounts, the bridge,
// sysctls and host paths, on stop() and — through a detached janitor that
// watches this process — when the runner is killed.

import {
  containerdSocket,
  importImages,
  startContainerd,
} from "./_containerd.ts";
import {
  issueKubeletCredentials,
  NODE_NAME,
  startKubelet,
  waitNodeReady,
} from "./_kubelet.ts";
import { startControllers } from "./_node_controllers.ts";
import {
  createBridge,
  ensureNetnsMountPoint,
  LOCK,
  nodeUnavailable,
  recordHostState,
  startJanitor,
  takeLock,
} from "./_node_host.ts";
import { IMAGES } from "./_node_images.ts";
import { binaryRelease } from "./_versions.ts";
import { findNodeBinaries, localFile, type NodeBinaries } from "./binaries.ts";
import type { ControlPlaneInfo, NodeInfo } from "./descriptor.ts";

/** A node this process started. */
export interface RunningNode extends NodeInfo {
  /** The node's InternalIP. */
  ip: string;
  /** Its scratch directory. */
  dir: string;
  /** Tears everything down (lib/testing/node_cleanup.sh). Safe to call twice. */
  stop(): Promise<void>;
  /** The same, synchronously, for signal and `unload` handlers. */
  stopSync(): void;
}

/** Options for {@link startNode}. */
export interface NodeOptions {
  /** Progress messages. @default no output */
  log?: (msg: string) => void;
  /** How long to wait for the Node to be Ready. @default 120000 */
  readyTimeoutMs?: number;
}

/**
 * Starts containerd, a kubelet, kube-scheduler and kube-controller-manager
 * against the control plane, and waits until the Node is Ready.
 *
 * @throws {Error} When the machine cannot run a node ({@link nodeUnavailable}) or a part fails to start (with its log tail).
 */
export async function startNode(
  cp: ControlPlaneInfo,
  opts: NodeOptions = {},
): Promise<RunningNode> {
  const reason = await nodeUnavailable();
  if (reason) throw new Error(`cannot start a test node: ${reason}`);
  const log = opts.log ?? (() => {});
  const started = performance.now();
  const bins = (await findNodeBinaries()).found as NodeBinaries;
  // Their releases decide their flags: an unreadable one fails before anything starts.
  await Promise.all(
    [bins.kubelet, bins.kubeScheduler, bins.kubeControllerManager].map(
      binaryRelease,
    ),
  );
  const cleanupScript = await localFile("node_cleanup.sh");
  const dir = await Deno.makeTempDir({ prefix: "kube-test-node-" });
  const state = `${dir}/state`;
  await Deno.mkdir(`${state}/pids`, { recursive: true });
  await Deno.writeTextFile(`${state}/lock`, LOCK);

  let stopped = false;
  let janitor: Deno.ChildProcess | undefined;
  const stopJanitor = () => {
    try {
      janitor?.kill("SIGTERM");
    } catch {
      // already gone
    }
  };
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    stopJanitor();
    await new Deno.Command("bash", {
      args: [cleanupScript, dir],
      stdin: "null",
      stdout: "null",
      stderr: "inherit",
    }).output();
  };
  const stopSync = () => {
    if (stopped) return;
    stopped = true;
    stopJanitor();
    new Deno.Command("bash", {
      args: [cleanupScript, dir],
      stdin: "null",
      stdout: "null",
      stderr: "inherit",
    }).outputSync();
  };

  try {
    await takeLock(dir, cleanupScript);
    const sock = containerdSocket(dir);
    const runcRoot = `${dir}/runc`;
    await recordHostState(state, sock, runcRoot);
    await ensureNetnsMountPoint(state);
    janitor = startJanitor(cleanupScript, dir);
    const ip = await createBridge();

    const kubeletCreds = await issueKubeletCredentials(dir, cp, ip);
    const admin = cp.users.admin;
    if (!("certFile" in admin)) {
      throw new Error("a test node needs the harness's own control plane");
    }

    await startContainerd(dir, state, sock, runcRoot, ip);
    log(`containerd ready in ${Math.round(performance.now() - started)} ms`);
    await importImages(dir, sock, bins.pause);

    const kubelet = await startKubelet({
      dir,
      state,
      bin: bins.kubelet,
      sock,
      ip,
      ca: cp.caFile,
      creds: kubeletCreds,
    });
    await startControllers(cp, admin, bins, dir, state);
    await waitNodeReady(cp, kubelet, dir, opts.readyTimeoutMs ?? 120_000);
    const readyAfterMs = Math.round(performance.now() - started);
    log(`node ${NODE_NAME} Ready in ${readyAfterMs} ms (${dir})`);
    return {
      name: NODE_NAME,
      ip,
      images: { busybox: IMAGES.busybox },
      imagePullPolicy: "Never",
      dir,
      readyAfterMs,
      stop,
      stopSync,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Serialisable view of a node, for the descriptor file. */
export function describeNode(node: NodeInfo): NodeInfo {
  const { stop: _stop, stopSync: _stopSync, ...info } = node as RunningNode;
  return info;
}
