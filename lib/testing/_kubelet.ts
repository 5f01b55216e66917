// The kubelet for the test node: its serving and client certificates (signed
// by the control plane's CA), its kubeconfig and KubeletConfiguration,
// starting it against containerd, and waiting until the Node is Ready and
// schedulable.

import { issueCert, type IssuedCert } from "./_pki.ts";
import { freePort, spawnServer, waitFor } from "./_processes.ts";
import { kubeconfigYaml } from "./_kubeconfigs.ts";
import { adminHttpClient, type ControlPlaneInfo } from "./descriptor.ts";

/** The Node object's name (and the kubelet's hostname). */
export const NODE_NAME = "kube-test-node";

/** The kubelet's credentials: what it serves with, and its kubeconfig to the apiserver. */
export interface KubeletCredentials {
  /** The serving certificate (the node IP, its name, loopback). */
  serving: IssuedCert;
  /** A kubeconfig as `system:node:<name>` in `system:nodes`. */
  kubeconfig: string;
}

/** Issues the kubelet's certificates with the control plane's CA, and writes its kubeconfig. */
export async function issueKubeletCredentials(
  dir: string,
  cp: ControlPlaneInfo,
  ip: string,
): Promise<KubeletCredentials> {
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
  const kubeletKubeconfig = `${dir}/kubelet.kubeconfig`;
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
  return { serving, kubeconfig: kubeletKubeconfig };
}

/** Starts the kubelet against containerd's socket and records its pid under `state`. */
export async function startKubelet(o: {
  dir: string;
  state: string;
  bin: string;
  sock: string;
  ip: string;
  ca: string;
  creds: KubeletCredentials;
}): Promise<Deno.ChildProcess> {
  const { dir, state, sock, ip } = o;
  const serving = o.creds.serving;
  const kubeletKubeconfig = o.creds.kubeconfig;
  const kubeletPort = freePort();
  const healthzPort = freePort();
  await Deno.writeTextFile(
    `${dir}/kubelet.yaml`,
    JSON.stringify(
      kubeletConfig({
        dir,
        ip,
        ca: o.ca,
        serving,
        kubeletPort,
        healthzPort,
      }),
      null,
      2,
    ),
  );
  const kubelet = await spawnServer(o.bin, [
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
  return kubelet;
}

/**
 * Waits until the Node is Ready and carries no `node.kubernetes.io/` taint,
 * failing early (with the kubelet's log tail) when the kubelet exits.
 */
export async function waitNodeReady(
  cp: ControlPlaneInfo,
  kubelet: Deno.ChildProcess,
  dir: string,
  timeoutMs: number,
): Promise<void> {
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
    }, timeoutMs);
  } finally {
    http.close();
  }
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
