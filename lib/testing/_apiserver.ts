// kube-apiserver for the test control plane: its flags (a pure planner) and
// starting it until /readyz answers.

import type { ControlPlaneCredentials } from "./_control_plane_pki.ts";
import { spawnServer, waitFor } from "./_processes.ts";

/** What {@link apiserverArgs} builds the command line from. */
export interface ApiserverPlan {
  /** etcd's client URL. */
  etcdUrl: string;
  /** The secure port on 127.0.0.1. */
  port: number;
  /** The control plane's scratch directory. */
  dir: string;
  /** The certificates, keys and token file it serves and checks with. */
  creds: ControlPlaneCredentials;
  /** Feature gates (`--feature-gates`). */
  featureGates?: Record<string, boolean>;
  /** Extra flags, after ours (a later flag wins). */
  extraFlags?: string[];
}

/** kube-apiserver's arguments: loopback, our PKI, Node+RBAC, no watch cache for ConfigMaps. */
export function apiserverArgs(p: ApiserverPlan): string[] {
  const { ca, serving, sa, kubeletClient } = p.creds;
  return [
    `--etcd-servers=${p.etcdUrl}`,
    "--bind-address=127.0.0.1",
    "--advertise-address=127.0.0.1",
    `--secure-port=${p.port}`,
    "--insecure-port=0",
    `--cert-dir=${p.dir}/apiserver-certs`,
    `--tls-cert-file=${serving.certFile}`,
    `--tls-private-key-file=${serving.keyFile}`,
    `--client-ca-file=${ca.certFile}`,
    `--token-auth-file=${p.creds.tokensFile}`,
    `--service-account-key-file=${sa.publicKeyFile}`,
    `--service-account-signing-key-file=${sa.privateKeyFile}`,
    "--service-account-issuer=https://kubernetes.default.svc",
    "--api-audiences=https://kubernetes.default.svc",
    "--authorization-mode=Node,RBAC",
    `--kubelet-client-certificate=${kubeletClient.certFile}`,
    `--kubelet-client-key=${kubeletClient.keyFile}`,
    `--kubelet-certificate-authority=${ca.certFile}`,
    "--kubelet-preferred-address-types=InternalIP",
    "--service-cluster-ip-range=10.96.0.0/24",
    // Watches of ConfigMaps go to etcd directly, so etcd compaction reaches them (410 tests).
    "--watch-cache-sizes=configmaps#0",
    "--enable-priority-and-fairness=false",
    "--profiling=false",
    "--v=1",
    ...(p.featureGates && Object.keys(p.featureGates).length
      ? [
        `--feature-gates=${
          Object.entries(p.featureGates).map(([k, v]) => `${k}=${v}`)
            .join(",")
        }`,
      ]
      : []),
    ...(p.extraFlags ?? []),
  ];
}

/**
 * Starts kube-apiserver with `args` and waits until `server`/readyz answers
 * through `client` (an admin). The process goes into `children` before the
 * wait, so the caller stops it when the wait fails.
 */
export async function startApiserver(
  bin: string,
  args: string[],
  dir: string,
  server: string,
  client: Deno.HttpClient,
  children: Deno.ChildProcess[],
): Promise<Deno.ChildProcess> {
  const apiserver = await spawnServer(bin, args, `${dir}/apiserver.log`);
  children.push(apiserver);
  await waitFor(
    "kube-apiserver",
    apiserver,
    `${dir}/apiserver.log`,
    async () => {
      const r = await fetch(`${server}/readyz`, { client });
      await r.body?.cancel();
      return r.ok;
    },
  );
  return apiserver;
}
