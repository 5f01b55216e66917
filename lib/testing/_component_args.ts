// What each component of the test cluster is started with, by the release
// its binary reports (lib/testing/_versions.ts reads it): kube-apiserver's
// flags, kube-scheduler's and kube-controller-manager's, the kubelet's
// flags and KubeletConfiguration, and the user's changes to our defaults.
// Pure: test/unit/testing/component_args_test.ts checks it release by release with no
// binary at all.
//
// Where a release changed what a component accepts (each the first release
// with the change; #N are kubernetes/kubernetes pull requests):
//
// | release | component               | change                                                                   |
// | ------- | ----------------------- | ------------------------------------------------------------------------ |
// | 1.24    | kube-apiserver          | `--insecure-port` removed; a no-op taking only 0 since 1.20 (#95856,      |
// |         |                         | whose deprecation says "will be removed in v1.24")                       |
// | 1.24    | kube-controller-manager | `--port` / `--address` removed (#106860); no-op since 1.22 (#96216)       |
// | 1.24    | kube-scheduler          | `--port` / `--address` removed; no-op since 1.23 (#96345: "would be       |
// |         |                         | removed in v1.24"; 1.23 still logs that, canonical/microk8s#2917)         |
// | 1.27    | kubelet                 | `--container-runtime` removed (#114017; deprecated in 1.24)               |
// | 1.27    | kubelet                 | `containerRuntimeEndpoint` in KubeletConfiguration, the flag deprecated   |
// |         |                         | (a 1.26 kubelet ignores the field: #118787)                              |
// | 1.31    | kubelet                 | `failCgroupV1` in KubeletConfiguration, default false (#126031, KEP-4569) |
// | 1.35    | kubelet                 | `failCgroupV1` defaults to true (KEP-5573): a cgroup v1 host is refused   |
// |         |                         | unless it is set false (kubernetes/minikube#22319)                        |
//
// Unchanged in every release we plan for (1.20 to 1.36): the aggregation
// layer's flags, `--proxy-client-cert-file`/`--proxy-client-key-file` and
// `--requestheader-{client-ca-file,allowed-names,username-headers,
// group-headers,extra-headers-prefix}` (since 1.7; "Configure the
// Aggregation Layer" in the Kubernetes docs names the same set). With them
// the aggregator shows an aggregated API server (metrics-server, or a
// test's own) the front proxy's client certificate, and publishes the
// front proxy CA in kube-system/extension-apiserver-authentication, where
// a server built on k8s.io/apiserver reads it. `--enable-aggregator-routing`
// is not passed: Endpoints refuse loopback addresses, so a test's
// APIService names an ExternalName Service instead, which the default
// (cluster-IP) resolver routes to (k8s.io/apiserver util/proxy
// ResolveCluster) and the endpoint resolver refuses.

import type { IssuedCert } from "./_pki.ts";
import {
  type ControlPlaneCredentials,
  FRONT_PROXY_CLIENT,
} from "./_control_plane_pki.ts";
import { TestingError } from "./testing_error.ts";

/** A Kubernetes release as a binary's `--version` reports it (`Kubernetes v1.20.2`). */
export interface KubeRelease {
  /** The minor version: 20 for v1.20.2 (the major is always 1). */
  minor: number;
  /** What the binary printed, e.g. `v1.20.2`, for messages. */
  gitVersion: string;
}

/** The first release of each change in what the components accept (see the table above). */
export const CHANGED_IN = {
  /** kube-apiserver no longer knows `--insecure-port`. */
  apiserverInsecurePortRemoved: 24,
  /** kube-scheduler and kube-controller-manager no longer know `--port`. */
  controllersPortRemoved: 24,
  /** The kubelet no longer knows `--container-runtime`. */
  kubeletContainerRuntimeRemoved: 27,
  /** KubeletConfiguration takes `containerRuntimeEndpoint` (the flag is deprecated). */
  kubeletRuntimeEndpointInConfig: 27,
  /** KubeletConfiguration takes `failCgroupV1`. */
  kubeletFailCgroupV1Field: 31,
  /** `failCgroupV1` defaults to true: a cgroup v1 host needs `false` said. */
  kubeletFailCgroupV1Default: 35,
} as const;

/**
 * The release in a `--version` output (`Kubernetes v1.20.2`,
 * `Kubernetes v1.36.0-rc.1+abc`), or undefined when it names none (a build
 * without version stamps prints `v0.0.0-master+$Format:%H$`).
 */
export function parseRelease(output: string): KubeRelease | undefined {
  const m = output.match(/\bv1\.(\d+)\.\d+[^\s]*/);
  if (!m) return undefined;
  return { minor: Number(m[1]), gitVersion: m[0] };
}

/**
 * Flags to add to a component's, or changes to ours.
 *
 * - A list of flags goes after ours, where the component's flag parser
 *   lets a later flag win (`["--v=4", "--max-requests-inflight=10"]`).
 * - An object names flags: a string value replaces our value of that flag
 *   (or adds the flag when we do not pass it), `null` removes the flag
 *   from ours. Removing a flag we do not pass (some we pass only to some
 *   releases, like `--insecure-port` before 1.24) changes nothing, so one
 *   object serves every release.
 */
export type ComponentFlags =
  | string[]
  | { [flag: `--${string}`]: string | null };

/**
 * Our `defaults` with the user's `flags` applied (see {@link ComponentFlags}).
 *
 * @throws {TestingError} `InvalidOption` when a key of the object is not a flag name (`--name`, no `=`), naming `option`.
 */
export function applyFlags(
  defaults: string[],
  flags: ComponentFlags | undefined,
  option: string,
): string[] {
  if (flags === undefined) return defaults;
  if (Array.isArray(flags)) {
    const bad = flags.find((f) => typeof f !== "string");
    if (bad !== undefined) {
      throw new TestingError(
        "InvalidOption",
        `${option}: expected flags as strings, found ${typeof bad}`,
      );
    }
    return [...defaults, ...flags];
  }
  let args = [...defaults];
  for (const [flag, value] of Object.entries(flags)) {
    if (!/^--[A-Za-z0-9][-A-Za-z0-9_.]*$/.test(flag)) {
      throw new TestingError(
        "InvalidOption",
        `${option}: expected keys naming flags ("--name"), found ${
          JSON.stringify(flag)
        }`,
      );
    }
    if (value !== null && typeof value !== "string") {
      throw new TestingError(
        "InvalidOption",
        `${option}["${flag}"]: expected a string (the value) or null (remove the flag), found ${typeof value}`,
      );
    }
    const isIt = (a: string) => a === flag || a.startsWith(`${flag}=`);
    const at = args.findIndex(isIt);
    const rest = args.filter((a) => !isIt(a));
    if (value === null) {
      args = rest;
    } else if (at < 0) {
      args = [...rest, `${flag}=${value}`];
    } else {
      // Where ours was: a component that keeps the first of a repeated flag still gets this one.
      rest.splice(at, 0, `${flag}=${value}`);
      args = rest;
    }
  }
  return args;
}

/** What {@link apiserverArgs} builds the command line from. */
export interface ApiserverPlan {
  /** The binary's release. */
  release: KubeRelease;
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
  /** The user's flags, applied to ours. */
  flags?: ComponentFlags;
}

/**
 * kube-apiserver's arguments: loopback, our PKI, Node+RBAC, the
 * aggregation layer's front proxy, no watch cache for ConfigMaps, no
 * insecure port where the release still has the flag.
 *
 * @throws {TestingError} `InvalidOption` for malformed `flags`.
 */
export function apiserverArgs(p: ApiserverPlan): string[] {
  const { ca, serving, sa, kubeletClient, frontProxyCa, frontProxyClient } =
    p.creds;
  const gates = Object.entries(p.featureGates ?? {});
  return applyFlags(
    [
      `--etcd-servers=${p.etcdUrl}`,
      "--bind-address=127.0.0.1",
      "--advertise-address=127.0.0.1",
      `--secure-port=${p.port}`,
      // Serving nothing already since 1.20; the flag is gone in 1.24.
      ...(p.release.minor < CHANGED_IN.apiserverInsecurePortRemoved
        ? ["--insecure-port=0"]
        : []),
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
      // The aggregation layer: who the aggregator is to the servers it
      // proxies to, and the headers that carry the user it authenticated.
      `--proxy-client-cert-file=${frontProxyClient.certFile}`,
      `--proxy-client-key-file=${frontProxyClient.keyFile}`,
      `--requestheader-client-ca-file=${frontProxyCa.certFile}`,
      `--requestheader-allowed-names=${FRONT_PROXY_CLIENT}`,
      "--requestheader-username-headers=X-Remote-User",
      "--requestheader-group-headers=X-Remote-Group",
      "--requestheader-extra-headers-prefix=X-Remote-Extra-",
      // Watches of ConfigMaps go to etcd directly, so etcd compaction reaches them (410 tests).
      "--watch-cache-sizes=configmaps#0",
      "--enable-priority-and-fairness=false",
      "--profiling=false",
      "--v=1",
      ...(gates.length
        ? [`--feature-gates=${gates.map(([k, v]) => `${k}=${v}`).join(",")}`]
        : []),
    ],
    p.flags,
    "apiserverFlags",
  );
}

/** What {@link controllerArgs} builds a scheduler's or controller-manager's command line from. */
export interface ControllerPlan {
  /** The binary's release. */
  release: KubeRelease;
  /** An admin kubeconfig (also for delegated authentication and authorization). */
  kubeconfig: string;
  /** The secure port on 127.0.0.1. */
  port: number;
  /** Where it writes its self-signed serving certificate. */
  certDir: string;
  /** Its own flags, before `--v`. */
  extra?: string[];
}

/**
 * kube-scheduler's or kube-controller-manager's arguments: admin
 * credentials, no leader election, a secure port on loopback, and no
 * insecure port where the release still serves one.
 */
export function controllerArgs(p: ControllerPlan): string[] {
  return [
    `--kubeconfig=${p.kubeconfig}`,
    `--authentication-kubeconfig=${p.kubeconfig}`,
    `--authorization-kubeconfig=${p.kubeconfig}`,
    "--leader-elect=false",
    // 1.20-1.21 (controller-manager) and 1.20-1.22 (scheduler) serve
    // unauthenticated HTTP unless told 0; the flag is gone in 1.24.
    ...(p.release.minor < CHANGED_IN.controllersPortRemoved
      ? ["--port=0"]
      : []),
    "--bind-address=127.0.0.1",
    `--secure-port=${p.port}`,
    `--cert-dir=${p.certDir}`,
    ...(p.extra ?? []),
    "--v=1",
  ];
}

/** What {@link kubeletArgs} and {@link kubeletConfig} build from. */
export interface KubeletPlan {
  /** The binary's release. */
  release: KubeRelease;
  /** The node's scratch directory. */
  dir: string;
  /** containerd's socket path. */
  sock: string;
  /** The node's IP (the bridge's gateway address). */
  ip: string;
  /** The Node's name. */
  nodeName: string;
  /** Its kubeconfig to the apiserver. */
  kubeconfig: string;
  /** The CA that signs clients it accepts (the apiserver's). */
  ca: string;
  /** Its serving certificate. */
  serving: IssuedCert;
  /** Its port and its healthz port. */
  ports: { kubelet: number; healthz: number };
  /** The host mounts cgroup v1 (no `/sys/fs/cgroup/cgroup.controllers`). */
  cgroupV1: boolean;
}

/** The kubelet's arguments; the rest is in its KubeletConfiguration (`--config`). */
export function kubeletArgs(p: KubeletPlan): string[] {
  const runtime = `unix://${p.sock}`;
  return [
    `--config=${p.dir}/kubelet.yaml`,
    `--kubeconfig=${p.kubeconfig}`,
    // Before 1.24 the default runtime is dockershim: say "remote". From
    // 1.27 the endpoint goes in the configuration.
    ...(p.release.minor < CHANGED_IN.kubeletContainerRuntimeRemoved
      ? ["--container-runtime=remote"]
      : []),
    ...(p.release.minor < CHANGED_IN.kubeletRuntimeEndpointInConfig
      ? [`--container-runtime-endpoint=${runtime}`]
      : []),
    `--root-dir=${p.dir}/kubelet`,
    `--cert-dir=${p.dir}/kubelet-pki`,
    `--volume-plugin-dir=${p.dir}/volume-plugins`,
    `--node-ip=${p.ip}`,
    `--hostname-override=${p.nodeName}`,
    "--v=1",
  ];
}

/** The kubelet's KubeletConfiguration (written as JSON, which is YAML). */
export function kubeletConfig(p: KubeletPlan): Record<string, unknown> {
  return {
    apiVersion: "kubelet.config.k8s.io/v1beta1",
    kind: "KubeletConfiguration",
    ...(p.release.minor >= CHANGED_IN.kubeletRuntimeEndpointInConfig
      ? { containerRuntimeEndpoint: `unix://${p.sock}` }
      : {}),
    // From 1.35 a kubelet refuses a cgroup v1 host unless told otherwise;
    // the field exists from 1.31 (older releases would warn about it).
    ...(p.cgroupV1 && p.release.minor >= CHANGED_IN.kubeletFailCgroupV1Field
      ? { failCgroupV1: false }
      : {}),
    address: p.ip,
    port: p.ports.kubelet,
    readOnlyPort: 0,
    healthzBindAddress: "127.0.0.1",
    healthzPort: p.ports.healthz,
    tlsCertFile: p.serving.certFile,
    tlsPrivateKeyFile: p.serving.keyFile,
    authentication: {
      anonymous: { enabled: false },
      webhook: { enabled: false },
      x509: { clientCAFile: p.ca },
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
