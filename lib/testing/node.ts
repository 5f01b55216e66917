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

import { buildBusyboxImage, buildPauseImage, IMAGES } from "./_node_images.ts";
import { issueCert, type IssuedCert } from "./_pki.ts";
import {
  freePort,
  isExecutable,
  onPath,
  runCommand,
  spawnServer,
  waitFor,
} from "./_processes.ts";
import { findNodeBinaries, localFile, type NodeBinaries } from "./binaries.ts";
import { kubeconfigYaml } from "./_kubeconfigs.ts";
import {
  adminHttpClient,
  type ControlPlaneInfo,
  type NodeInfo,
} from "./descriptor.ts";

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

const NODE_NAME = "kube-test-node";
const BRIDGE = "kubetest0";
const SUBNET = "10.88.77";
const LOCK = "/run/kube-test-node.lock";
const CNI_DIR = "/usr/lib/cni";
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
async function takeLock(dir: string, cleanupScript: string): Promise<void> {
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
    const sock = `${dir}/run/containerd.sock`;
    const runcRoot = `${dir}/runc`;
    await Deno.writeTextFile(`${state}/containerd-socket`, sock);
    await Deno.writeTextFile(`${state}/runc-root`, runcRoot);
    await Deno.writeTextFile(`${state}/bridge`, BRIDGE);

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

    // The janitor: tears the node down if this process dies without stop().
    janitor = new Deno.Command("setsid", {
      args: ["bash", cleanupScript, "--watch", String(Deno.pid), dir],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    janitor.unref();

    // The bridge carries the node IP: the kubelet refuses 127.0.0.1.
    const ip = `${SUBNET}.1`;
    await runCommand("ip", ["link", "add", BRIDGE, "type", "bridge"]);
    await runCommand("ip", ["addr", "add", `${ip}/24`, "dev", BRIDGE]);
    await runCommand("ip", ["link", "set", BRIDGE, "up"]);

    const pki = `${dir}/pki`;
    await Deno.mkdir(pki);
    const ca: IssuedCert = {
      certFile: cp.caFile,
      keyFile: `${cp.dir}/pki/ca.key`,
      certPem: cp.caPem,
      keyPem: "",
    };
    const [serving, client] = await Promise.all([
      issueCert(pki, ca, {
        name: "kubelet",
        commonName: NODE_NAME,
        dnsNames: [NODE_NAME, "localhost"],
        ipAddresses: [ip, "127.0.0.1"],
        usage: "server",
      }),
      issueCert(pki, ca, {
        name: "kubelet-client",
        commonName: `system:node:${NODE_NAME}`,
        organizations: ["system:nodes"],
        usage: "client",
      }),
    ]);
    const admin = cp.users.admin;
    if (!("certFile" in admin)) {
      throw new Error("a test node needs the harness's own control plane");
    }
    const kubeletKubeconfig = `${dir}/kubelet.kubeconfig`;
    const adminKubeconfig = `${dir}/admin.kubeconfig`;
    await Deno.writeTextFile(
      kubeletKubeconfig,
      kubeconfigYaml({
        server: cp.server,
        ca: cp.caFile,
        user: {
          "client-certificate": client.certFile,
          "client-key": client.keyFile,
        },
      }),
    );
    await Deno.writeTextFile(
      adminKubeconfig,
      kubeconfigYaml({
        server: cp.server,
        ca: cp.caFile,
        user: {
          "client-certificate": admin.certFile,
          "client-key": admin.keyFile,
        },
      }),
    );

    // containerd, with the CRI plugin set up for this VM (see README: the node).
    await Deno.mkdir(`${dir}/run`);
    await Deno.mkdir(`${dir}/cni`);
    await Deno.writeTextFile(
      `${dir}/cni/10-kube-test.conflist`,
      JSON.stringify({
        cniVersion: "0.4.0",
        name: "kube-test",
        plugins: [{
          type: "bridge",
          bridge: BRIDGE,
          isGateway: true,
          ipMasq: false,
          hairpinMode: true,
          ipam: {
            type: "host-local",
            ranges: [[{ subnet: `${SUBNET}.0/24`, gateway: ip }]],
            dataDir: `${dir}/cni-ipam`,
          },
        }],
      }),
    );
    await Deno.writeTextFile(
      `${dir}/containerd.toml`,
      containerdConfig(dir, sock, runcRoot),
    );
    const containerd = await spawnServer("containerd", [
      "--config",
      `${dir}/containerd.toml`,
    ], `${dir}/containerd.log`);
    await Deno.writeTextFile(
      `${state}/pids/containerd`,
      String(containerd.pid),
    );
    await waitFor(
      "containerd",
      containerd,
      `${dir}/containerd.log`,
      async () => {
        await runCommand("ctr", ["--address", sock, "version"]);
        return true;
      },
      30_000,
    );
    log(`containerd ready in ${Math.round(performance.now() - started)} ms`);

    const images = `${dir}/images`;
    await Deno.mkdir(images);
    for (
      const tarball of [
        await buildPauseImage(images, bins.pause),
        await buildBusyboxImage(images),
      ]
    ) {
      await runCommand("ctr", [
        "--address",
        sock,
        "--namespace",
        "k8s.io",
        "images",
        "import",
        "--no-unpack=false",
        tarball,
      ]);
    }

    const kubeletPort = freePort();
    const healthzPort = freePort();
    await Deno.writeTextFile(
      `${dir}/kubelet.yaml`,
      JSON.stringify(
        kubeletConfig({
          dir,
          ip,
          ca: cp.caFile,
          serving,
          kubeletPort,
          healthzPort,
        }),
        null,
        2,
      ),
    );
    const kubelet = await spawnServer(bins.kubelet, [
      `--config=${dir}/kubelet.yaml`,
      `--kubeconfig=${kubeletKubeconfig}`,
      "--container-runtime=remote",
      `--container-runtime-endpoint=unix://${sock}`,
      `--root-dir=${dir}/kubelet`,
      `--cert-dir=${dir}/kubelet-pki`,
      `--volume-plugin-dir=${dir}/volume-plugins`,
      `--node-ip=${ip}`,
      `--hostname-override=${NODE_NAME}`,
      "--v=1",
    ], `${dir}/kubelet.log`);
    await Deno.writeTextFile(`${state}/pids/kubelet`, String(kubelet.pid));

    // kube-scheduler and kube-controller-manager: admin credentials, no
    // leader election, no insecure port, a free secure port on loopback.
    const component = async (
      name: string,
      bin: string,
      extra: string[],
    ): Promise<void> => {
      const child = await spawnServer(bin, [
        `--kubeconfig=${adminKubeconfig}`,
        `--authentication-kubeconfig=${adminKubeconfig}`,
        `--authorization-kubeconfig=${adminKubeconfig}`,
        "--leader-elect=false",
        "--port=0",
        "--bind-address=127.0.0.1",
        `--secure-port=${freePort()}`,
        `--cert-dir=${dir}/${name}-certs`,
        ...extra,
        "--v=1",
      ], `${dir}/kube-${name}.log`);
      await Deno.writeTextFile(`${state}/pids/${name}`, String(child.pid));
    };
    await component("scheduler", bins.kubeScheduler, []);
    await component("controller-manager", bins.kubeControllerManager, [
      // Only what rollouts, teardown, pods in fresh namespaces and a
      // schedulable node (nodelifecycle lifts the not-ready taint) need; no
      // controller that writes objects into every namespace (root CA
      // ConfigMaps).
      "--controllers=deployment,replicaset,statefulset,daemonset,job,garbagecollector,namespace,serviceaccount,serviceaccount-token,endpoint,endpointslice,podgc,nodelifecycle",
      `--service-account-private-key-file=${cp.dir}/pki/sa.key`,
      `--root-ca-file=${cp.caFile}`,
      "--use-service-account-credentials=false",
    ]);

    const http = adminHttpClient(cp);
    try {
      await waitFor("kubelet", kubelet, `${dir}/kubelet.log`, async () => {
        const r = await fetch(`${cp.server}/api/v1/nodes/${NODE_NAME}`, {
          client: http,
        });
        if (!r.ok) {
          await r.body?.cancel();
          return false;
        }
        const node = await r.json();
        const ready = (node.status?.conditions ?? []).some((
          c: { type: string; status: string },
        ) => c.type === "Ready" && c.status === "True");
        // Schedulable only once the node lifecycle controller lifts the not-ready taint.
        const tainted = (node.spec?.taints ?? []).some((t: { key: string }) =>
          t.key.startsWith("node.kubernetes.io/")
        );
        return ready && !tainted;
      }, opts.readyTimeoutMs ?? 120_000);
    } finally {
      http.close();
    }
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

function containerdConfig(dir: string, sock: string, runcRoot: string): string {
  const q = JSON.stringify;
  return `version = 2
root = ${q(`${dir}/containerd/root`)}
state = ${q(`${dir}/containerd/state`)}
disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.internal.v1.tracing", "io.containerd.tracing.processor.v1.otlp"]

[grpc]
  address = ${q(sock)}

[ttrpc]
  address = ${q(`${sock}.ttrpc`)}

[debug]
  level = "warn"

[metrics]
  address = ""

[plugins."io.containerd.internal.v1.opt"]
  path = ${q(`${dir}/containerd/opt`)}

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = ${q(IMAGES.pause)}
  # This VM denies root CAP_SYS_RESOURCE: without this runc fails every sandbox.
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  disable_apparmor = true
  enable_selinux = false

  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"

    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"

      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        Root = ${q(runcRoot)}
        SystemdCgroup = false

  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = ${q(CNI_DIR)}
    conf_dir = ${q(`${dir}/cni`)}
    max_conf_num = 1
`;
}

function kubeletConfig(o: {
  dir: string;
  ip: string;
  ca: string;
  serving: IssuedCert;
  kubeletPort: number;
  healthzPort: number;
}): Record<string, unknown> {
  return {
    apiVersion: "kubelet.config.k8s.io/v1beta1",
    kind: "KubeletConfiguration",
    address: o.ip,
    port: o.kubeletPort,
    readOnlyPort: 0,
    healthzBindAddress: "127.0.0.1",
    healthzPort: o.healthzPort,
    tlsCertFile: o.serving.certFile,
    tlsPrivateKeyFile: o.serving.keyFile,
    authentication: {
      anonymous: { enabled: false },
      webhook: { enabled: false },
      x509: { clientCAFile: o.ca },
    },
    authorization: { mode: "AlwaysAllow" },
    cgroupDriver: "cgroupfs",
    cgroupsPerQOS: false,
    enforceNodeAllocatable: [],
    failSwapOn: false,
    makeIPTablesUtilChains: false,
    // The VM denies CAP_SYS_RESOURCE: the kubelet must not lower its own oom_score_adj.
    oomScoreAdj: 0,
    protectKernelDefaults: false,
    // Images cannot be pulled again here: never collect them, never evict.
    imageGCHighThresholdPercent: 100,
    imageGCLowThresholdPercent: 99,
    evictionHard: {
      "memory.available": "0%",
      "nodefs.available": "0%",
      "nodefs.inodesFree": "0%",
      "imagefs.available": "0%",
    },
    clusterDomain: "cluster.local",
    staticPodPath: "",
    serializeImagePulls: false,
    nodeStatusUpdateFrequency: "2s",
    syncFrequency: "10s",
    fileCheckFrequency: "20s",
    streamingConnectionIdleTimeout: "30m",
    containerLogMaxSize: "10Mi",
  };
}
