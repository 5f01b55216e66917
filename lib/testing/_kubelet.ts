// The kubelet for the test node: its serving and client certificates (signed
// by the control plane's CA) and kubeconfig, starting it against containerd
// with the flags and KubeletConfiguration its release takes
// (lib/testing/_component_args.ts), and waiting until the Node is Ready and
// schedulable.

import { issueCert, type IssuedCert } from "./_pki.ts";
import { freePort, spawnServer, waitFor } from "./_processes.ts";
import { kubeconfigYaml } from "./_kubeconfigs.ts";
import {
  kubeletArgs,
  kubeletConfig,
  type KubeletPlan,
} from "./_component_args.ts";
import { binaryRelease } from "./_versions.ts";
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

/** True when the host mounts cgroup v1 (no unified hierarchy at /sys/fs/cgroup), as the kubelet checks. */
export async function hostUsesCgroupV1(): Promise<boolean> {
  try {
    await Deno.stat("/sys/fs/cgroup/cgroup.controllers");
    return false;
  } catch {
    return true;
  }
}

/**
 * Starts the kubelet against containerd's socket, with the flags and
 * configuration its release takes, and records its pid under `state`.
 *
 * @throws {TestingError} `UnknownVersion` when the binary names no release.
 */
export async function startKubelet(o: {
  dir: string;
  state: string;
  bin: string;
  sock: string;
  ip: string;
  ca: string;
  creds: KubeletCredentials;
}): Promise<Deno.ChildProcess> {
  const plan: KubeletPlan = {
    release: await binaryRelease(o.bin),
    dir: o.dir,
    sock: o.sock,
    ip: o.ip,
    nodeName: NODE_NAME,
    kubeconfig: o.creds.kubeconfig,
    ca: o.ca,
    serving: o.creds.serving,
    ports: { kubelet: freePort(), healthz: freePort() },
    cgroupV1: await hostUsesCgroupV1(),
  };
  await Deno.writeTextFile(
    `${o.dir}/kubelet.yaml`,
    JSON.stringify(kubeletConfig(plan), null, 2),
  );
  const kubelet = await spawnServer(
    o.bin,
    kubeletArgs(plan),
    `${o.dir}/kubelet.log`,
  );
  await Deno.writeTextFile(`${o.state}/pids/kubelet`, String(kubelet.pid));
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
