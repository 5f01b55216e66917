// A real control plane for tests: etcd + kube-apiserver on loopback, with
// their own PKI, client-certificate and token users, RBAC and kubeconfigs.
//
// `deno task test` (test/run.ts) starts one per run and hands its description
// to every suite through KUBE_TEST_CONTROL_PLANE; a test file run on its own
// starts its own through the same code.

import { createCa, createServiceAccountKeys, issueCert } from "./_pki.ts";
import { TestingError } from "./testing_error.ts";
import {
  diesWithParent,
  freePort,
  removeWhenGone,
  runCommand,
  spawnServer,
  stopProcess,
  waitFor,
} from "./_processes.ts";
import type { Binaries } from "./binaries.ts";

export { diesWithParent };
export {
  type Binaries,
  ensureBinaries,
  findBinaries,
  findNodeBinaries,
  type NodeBinaries,
  nodeWanted,
} from "./binaries.ts";

/** A client-certificate user. */
export interface CertUser {
  /** The certificate's common name: the user name Kubernetes sees. */
  name: string;
  /** The client certificate (PEM file). */
  certFile: string;
  /** Its private key (PEM file). */
  keyFile: string;
  /** The client certificate's PEM text. */
  certPem: string;
  /** The private key's PEM text. */
  keyPem: string;
}

/** The admin user: a client certificate, or a bearer token on an external cluster. */
export type AdminUser = CertUser | { name: string; token: string };

/** Everything a test needs to reach the control plane; JSON-serialisable. */
export interface ControlPlaneInfo {
  /** https://127.0.0.1:PORT */
  server: string;
  /** The CA that signed the serving and client certificates (PEM file). */
  caFile: string;
  /** The same CA's PEM text. */
  caPem: string;
  /** http://127.0.0.1:PORT, for compaction; absent for an external cluster. */
  etcdUrl?: string;
  /** Scratch directory owned by this control plane. */
  dir: string;
  /** Users: `admin` is in system:masters; `limited` may only read in `limitedNamespace`. */
  users: { admin: AdminUser; limited?: CertUser };
  /** Static bearer tokens (`--token-auth-file`) for the same two roles. */
  tokens: { admin?: string; limited?: string };
  /** A kubeconfig per user; `adminRelative` uses paths relative to its own file. */
  kubeconfigs: {
    /** The admin's client certificate. */
    admin: string;
    /** The same, with file paths relative to the kubeconfig. */
    adminRelative?: string;
    /** The limited user's client certificate, namespace `limitedNamespace`. */
    limited?: string;
    /** The admin's static bearer token. */
    adminToken?: string;
    /** The limited user's static bearer token. */
    limitedToken?: string;
  };
  /** The namespace the limited user may read (`kube-test-limited`). */
  limitedNamespace: string;
  /** The binaries the control plane runs. */
  binaries: Binaries;
  /** Process ids of etcd and kube-apiserver (absent for an external cluster). */
  pids?: { etcd: number; apiserver: number };
  /** True when the suite runs against a cluster it did not start. */
  external: boolean;
  /** The node pods run on, when there is one (see lib/testing/node.ts). */
  node?: NodeInfo;
  /** Why there is no node: node tests report themselves skipped with it. */
  nodeSkipReason?: string;
}

/** What suites learn about the node (JSON-serialisable, in the descriptor). */
export interface NodeInfo {
  /** The Node object's name. */
  name: string;
  /** The node's InternalIP (the CNI bridge's gateway address); absent for an external cluster. */
  ip?: string;
  /** A busybox-like image pods can run (`sh`, `httpd`, `nc`, `sleep`, `cat`), and how to get it. */
  images: { busybox: string };
  /** `Never` for the harness's node (images are imported, no registry); `IfNotPresent` elsewhere. */
  imagePullPolicy: "Never" | "IfNotPresent";
  /** Scratch directory (containerd, kubelet, logs); absent for an external cluster. */
  dir?: string;
  /** Milliseconds from start to a Ready node. */
  readyAfterMs?: number;
}

/** A control plane this process started. */
export interface RunningControlPlane extends ControlPlaneInfo {
  /** Stops both processes and removes the scratch directory. Safe to call twice. */
  stop(): Promise<void>;
  /** The same, synchronously and less politely (SIGKILL), for `unload` handlers. */
  stopSync(): void;
}

/** The env var through which test/run.ts hands its control plane to the suites. */
export const DESCRIPTOR_ENV = "KUBE_TEST_CONTROL_PLANE";
/** The env var naming an existing cluster's kubeconfig to test against instead. */
export const EXTERNAL_KUBECONFIG_ENV = "KUBE_TEST_KUBECONFIG";

/** Serialisable view of a control plane, for the descriptor file. */
export function describe(cp: ControlPlaneInfo): ControlPlaneInfo {
  const { stop: _stop, stopSync: _stopSync, ...info } =
    cp as RunningControlPlane;
  return info;
}

/**
 * Describes an existing cluster from the current context of a kubeconfig,
 * flattened by kubectl. Only an admin user is known there: suites that need
 * the limited user, static tokens or etcd skip themselves.
 */
export async function describeExternal(
  kubeconfig: string,
  binaries: Binaries,
): Promise<ControlPlaneInfo> {
  const out = await new Deno.Command(binaries.kubectl, {
    args: [
      "config",
      "view",
      "--raw",
      "--minify",
      "--flatten",
      "-o",
      "json",
      `--kubeconfig=${kubeconfig}`,
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(
      `${EXTERNAL_KUBECONFIG_ENV}=${kubeconfig}: kubectl config view failed: ${
        new TextDecoder().decode(out.stderr).trim()
      }`,
    );
  }
  const cfg = JSON.parse(new TextDecoder().decode(out.stdout));
  const cluster = cfg.clusters?.[0]?.cluster ?? {};
  const user = cfg.users?.[0]?.user ?? {};
  const b64 = (s: string) =>
    new TextDecoder().decode(Uint8Array.from(atob(s), (c) => c.charCodeAt(0)));
  const dir = await Deno.makeTempDir({ prefix: "kube-test-external-" });
  const caPem = cluster["certificate-authority-data"]
    ? b64(cluster["certificate-authority-data"])
    : "";
  await Deno.writeTextFile(`${dir}/ca.crt`, caPem);
  let admin: AdminUser;
  if (user["client-certificate-data"] && user["client-key-data"]) {
    const certPem = b64(user["client-certificate-data"]);
    const keyPem = b64(user["client-key-data"]);
    await Deno.writeTextFile(`${dir}/admin.crt`, certPem);
    await Deno.writeTextFile(`${dir}/admin.key`, keyPem);
    admin = {
      name: "external-admin",
      certPem,
      keyPem,
      certFile: `${dir}/admin.crt`,
      keyFile: `${dir}/admin.key`,
    };
  } else if (user.token) {
    admin = { name: "external-admin", token: user.token };
  } else {
    throw new Error(
      `${EXTERNAL_KUBECONFIG_ENV}=${kubeconfig}: the current user has neither a client certificate nor a token; the suite needs one of them`,
    );
  }
  return {
    server: cluster.server,
    caFile: `${dir}/ca.crt`,
    caPem,
    dir,
    users: { admin },
    tokens: {},
    kubeconfigs: { admin: kubeconfig },
    limitedNamespace: LIMITED_NAMESPACE,
    binaries,
    external: true,
  };
}

/** An HttpClient that authenticates as the admin user (close it when done). */
export function adminHttpClient(cp: ControlPlaneInfo): Deno.HttpClient {
  const admin = cp.users.admin;
  const caCerts = cp.caPem ? [cp.caPem] : [];
  return "certPem" in admin
    ? Deno.createHttpClient({ caCerts, cert: admin.certPem, key: admin.keyPem })
    : Deno.createHttpClient({ caCerts });
}

/** Headers that authenticate as the admin user (empty for certificate auth). */
export function adminHeaders(cp: ControlPlaneInfo): Record<string, string> {
  const admin = cp.users.admin;
  return "token" in admin ? { authorization: `Bearer ${admin.token}` } : {};
}

export const LIMITED_NAMESPACE = "kube-test-limited";

/** A one-context kubeconfig (JSON, which YAML readers accept). */
export function kubeconfigYaml(opts: {
  server: string;
  ca: string;
  user: Record<string, string>;
  namespace?: string;
}): string {
  // JSON is valid YAML; kubectl and our loader both read it.
  return JSON.stringify(
    {
      apiVersion: "v1",
      kind: "Config",
      clusters: [{
        name: "kube-test",
        cluster: { server: opts.server, "certificate-authority": opts.ca },
      }],
      users: [{ name: "kube-test-user", user: opts.user }],
      contexts: [{
        name: "kube-test",
        context: {
          cluster: "kube-test",
          user: "kube-test-user",
          ...(opts.namespace ? { namespace: opts.namespace } : {}),
        },
      }],
      "current-context": "kube-test",
    },
    null,
    2,
  ) + "\n";
}

/** Options for {@link startControlPlane}. */
export interface StartOptions {
  binaries: Binaries;
  /** Progress messages. @default no output */
  log?: (msg: string) => void;
  /** Keep the scratch directory after stop (for debugging). @default {false} */
  keepDir?: boolean;
  /** Extra kube-apiserver flags, after ours (a later flag wins). @default {none} */
  apiserverFlags?: string[];
  /**
   * kube-apiserver feature gates. `WatchList` needs etcd ≥ 3.4.31 / 3.5.13:
   * an older etcd is a {@link TestingError} (`EtcdTooOld`) before anything starts.
   * @default {none}
   */
  featureGates?: Record<string, boolean>;
}

/** Feature gates that need a newer etcd than some releases ship: [gate, minimum 3.4.x, minimum 3.5.x]. */
const ETCD_MINIMUMS: [string, string, string][] = [
  ["WatchList", "3.4.31", "3.5.13"],
];

function olderThan(version: string, minimum: string): boolean {
  const a = version.split(".").map(Number);
  const b = minimum.split(".").map(Number);
  for (let i = 0; i < 3; i++) {
    if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) < (b[i] ?? 0);
  }
  return false;
}

/** Throws `EtcdTooOld` when a requested feature gate needs a newer etcd. */
async function checkEtcdFor(
  etcd: string,
  gates: Record<string, boolean>,
): Promise<void> {
  const needed = ETCD_MINIMUMS.filter(([gate]) => gates[gate]);
  if (!needed.length) return;
  const out = await runCommand(etcd, ["--version"]).catch(() => "");
  const version = out.match(/etcd Version: (\d+\.\d+\.\d+)/)?.[1];
  if (!version) return;
  for (const [gate, min34, min35] of needed) {
    const min = version.startsWith("3.4.") ? min34 : min35;
    if (olderThan(version, min)) {
      throw new TestingError(
        "EtcdTooOld",
        `feature gate ${gate} needs etcd >= ${min34} (3.4) or >= ${min35} (3.5+); ${etcd} is ${version}`,
      );
    }
  }
}

/** Starts etcd and kube-apiserver on free loopback ports and bootstraps users and RBAC. */
export async function startControlPlane(
  opts: StartOptions,
): Promise<RunningControlPlane> {
  const log = opts.log ?? (() => {});
  const started = performance.now();
  await checkEtcdFor(opts.binaries.etcd, opts.featureGates ?? {});
  const dir = await Deno.makeTempDir({ prefix: "kube-test-" });
  // Removes the directory if this process is killed before stop().
  const janitor = opts.keepDir ? undefined : await removeWhenGone(dir);
  const stopJanitor = () => {
    try {
      janitor?.kill("SIGTERM");
    } catch {
      // already gone
    }
  };
  const pki = `${dir}/pki`;
  await Deno.mkdir(pki);

  const ca = await createCa(pki, "ca", "kube-test-ca");
  const [serving, admin, limited, sa, kubeletClient] = await Promise.all([
    issueCert(pki, ca, {
      name: "apiserver",
      commonName: "kube-apiserver",
      dnsNames: [
        "localhost",
        "kubernetes",
        "kubernetes.default",
        "kubernetes.default.svc",
        "kubernetes.default.svc.cluster.local",
      ],
      ipAddresses: ["127.0.0.1", "::1"],
      usage: "server",
    }),
    issueCert(pki, ca, {
      name: "admin",
      commonName: "kube-test-admin",
      organizations: ["system:masters"],
      usage: "client",
    }),
    issueCert(pki, ca, {
      name: "limited",
      commonName: "kube-test-limited",
      usage: "client",
    }),
    createServiceAccountKeys(pki),
    // How the apiserver authenticates to a kubelet (logs, exec, port-forward).
    issueCert(pki, ca, {
      name: "apiserver-kubelet-client",
      commonName: "kube-apiserver-kubelet-client",
      organizations: ["system:masters"],
      usage: "client",
    }),
  ]);

  const tokens = {
    admin: `admin-${crypto.randomUUID()}`,
    limited: `limited-${crypto.randomUUID()}`,
  };
  await Deno.writeTextFile(
    `${pki}/tokens.csv`,
    `${tokens.admin},kube-test-token-admin,uid-token-admin,"system:masters"\n` +
      `${tokens.limited},kube-test-limited,uid-token-limited\n`,
  );

  const [etcdPort, peerPort, apiPort] = [freePort(), freePort(), freePort()];
  const etcdUrl = `http://127.0.0.1:${etcdPort}`;
  const server = `https://127.0.0.1:${apiPort}`;
  const children: Deno.ChildProcess[] = [];
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    for (const child of [...children].reverse()) await stopProcess(child);
    if (!opts.keepDir) await Deno.remove(dir, { recursive: true });
    stopJanitor();
  };
  const stopSync = () => {
    if (stopped) return;
    stopped = true;
    for (const child of children) {
      try {
        child.kill("SIGKILL");
      } catch {
        // already exited
      }
    }
    if (!opts.keepDir) Deno.removeSync(dir, { recursive: true });
    stopJanitor();
  };

  try {
    const etcd = await spawnServer(opts.binaries.etcd, [
      "--name=kube-test",
      `--data-dir=${dir}/etcd`,
      `--listen-client-urls=${etcdUrl}`,
      `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=http://127.0.0.1:${peerPort}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${peerPort}`,
      `--initial-cluster=kube-test=http://127.0.0.1:${peerPort}`,
      "--unsafe-no-fsync",
      "--log-level=warn",
    ], `${dir}/etcd.log`);
    children.push(etcd);
    await waitFor("etcd", etcd, `${dir}/etcd.log`, async () => {
      const r = await fetch(`${etcdUrl}/health`);
      const body = await r.json();
      return r.ok && body.health === "true";
    });
    log(`etcd ready in ${Math.round(performance.now() - started)} ms`);

    const apiserver = await spawnServer(opts.binaries.kubeApiserver, [
      `--etcd-servers=${etcdUrl}`,
      "--bind-address=127.0.0.1",
      "--advertise-address=127.0.0.1",
      `--secure-port=${apiPort}`,
      "--insecure-port=0",
      `--cert-dir=${dir}/apiserver-certs`,
      `--tls-cert-file=${serving.certFile}`,
      `--tls-private-key-file=${serving.keyFile}`,
      `--client-ca-file=${ca.certFile}`,
      `--token-auth-file=${pki}/tokens.csv`,
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
      ...(opts.featureGates && Object.keys(opts.featureGates).length
        ? [
          `--feature-gates=${
            Object.entries(opts.featureGates).map(([k, v]) => `${k}=${v}`)
              .join(",")
          }`,
        ]
        : []),
      ...(opts.apiserverFlags ?? []),
    ], `${dir}/apiserver.log`);
    children.push(apiserver);

    const adminClient = Deno.createHttpClient({
      caCerts: [ca.certPem],
      cert: admin.certPem,
      key: admin.keyPem,
    });
    try {
      await waitFor(
        "kube-apiserver",
        apiserver,
        `${dir}/apiserver.log`,
        async () => {
          const r = await fetch(`${server}/readyz`, { client: adminClient });
          await r.body?.cancel();
          return r.ok;
        },
      );
      log(
        `kube-apiserver ready in ${Math.round(performance.now() - started)} ms`,
      );
      await bootstrap(server, adminClient);
    } finally {
      adminClient.close();
    }

    // Kubeconfigs: absolute paths, embedded-free; one with paths relative to itself.
    const kc = `${dir}/kubeconfigs`;
    await Deno.mkdir(`${kc}/relative/certs`, { recursive: true });
    const kubeconfigs = {
      admin: `${kc}/admin.yaml`,
      adminRelative: `${kc}/relative/admin.yaml`,
      limited: `${kc}/limited.yaml`,
      adminToken: `${kc}/admin-token.yaml`,
      limitedToken: `${kc}/limited-token.yaml`,
    };
    await Deno.writeTextFile(
      kubeconfigs.admin,
      kubeconfigYaml({
        server,
        ca: ca.certFile,
        user: {
          "client-certificate": admin.certFile,
          "client-key": admin.keyFile,
        },
      }),
    );
    await Deno.copyFile(ca.certFile, `${kc}/relative/certs/ca.crt`);
    await Deno.copyFile(admin.certFile, `${kc}/relative/certs/admin.crt`);
    await Deno.copyFile(admin.keyFile, `${kc}/relative/certs/admin.key`);
    await Deno.writeTextFile(
      kubeconfigs.adminRelative,
      kubeconfigYaml({
        server,
        ca: "certs/ca.crt",
        user: {
          "client-certificate": "certs/admin.crt",
          "client-key": "./certs/admin.key",
        },
      }),
    );
    await Deno.writeTextFile(
      kubeconfigs.limited,
      kubeconfigYaml({
        server,
        ca: ca.certFile,
        user: {
          "client-certificate": limited.certFile,
          "client-key": limited.keyFile,
        },
        namespace: LIMITED_NAMESPACE,
      }),
    );
    await Deno.writeTextFile(
      kubeconfigs.adminToken,
      kubeconfigYaml({
        server,
        ca: ca.certFile,
        user: { token: tokens.admin },
      }),
    );
    await Deno.writeTextFile(
      kubeconfigs.limitedToken,
      kubeconfigYaml({
        server,
        ca: ca.certFile,
        user: { token: tokens.limited },
        namespace: LIMITED_NAMESPACE,
      }),
    );

    log(
      `control plane ready in ${
        Math.round(performance.now() - started)
      } ms (${dir})`,
    );
    return {
      server,
      caFile: ca.certFile,
      caPem: ca.certPem,
      etcdUrl,
      dir,
      users: {
        admin: { name: "kube-test-admin", ...admin },
        limited: { name: "kube-test-limited", ...limited },
      },
      tokens,
      kubeconfigs,
      limitedNamespace: LIMITED_NAMESPACE,
      binaries: opts.binaries,
      pids: { etcd: etcd.pid, apiserver: apiserver.pid },
      external: false,
      stop,
      stopSync,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Namespaces, RBAC and service accounts every suite may rely on. */
async function bootstrap(server: string, client: Deno.HttpClient) {
  const post = async (path: string, body: unknown) => {
    const r = await fetch(`${server}${path}`, {
      method: "POST",
      client,
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    const text = await r.text();
    if (!r.ok && r.status !== 409) {
      throw new Error(`bootstrap POST ${path}: HTTP ${r.status}: ${text}`);
    }
  };
  // The apiserver creates `default` itself, but only some time after /readyz.
  for (const name of ["default", LIMITED_NAMESPACE]) {
    await post("/api/v1/namespaces", {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name },
    });
  }
  for (const ns of ["default", LIMITED_NAMESPACE]) {
    await post(`/api/v1/namespaces/${ns}/serviceaccounts`, {
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: { name: "default" },
      automountServiceAccountToken: false,
    });
  }
  // No controller-manager runs, so the aggregated `view` role is empty: bind an explicit Role.
  await post(
    `/apis/rbac.authorization.k8s.io/v1/namespaces/${LIMITED_NAMESPACE}/roles`,
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "Role",
      metadata: { name: "kube-test-read-only" },
      rules: [{
        apiGroups: ["", "apps", "batch"],
        resources: ["*"],
        verbs: ["get", "list", "watch"],
      }],
    },
  );
  await post(
    `/apis/rbac.authorization.k8s.io/v1/namespaces/${LIMITED_NAMESPACE}/rolebindings`,
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: { name: "kube-test-read-only" },
      roleRef: {
        apiGroup: "rbac.authorization.k8s.io",
        kind: "Role",
        name: "kube-test-read-only",
      },
      subjects: [{
        apiGroup: "rbac.authorization.k8s.io",
        kind: "User",
        name: "kube-test-limited",
      }],
    },
  );
}

/**
 * Compacts etcd up to its current revision through etcd's HTTP gateway, so
 * every older resourceVersion and continue token expires (410 Gone).
 */
export async function compactEtcd(cp: ControlPlaneInfo): Promise<number> {
  if (!cp.etcdUrl) throw new Error("compactEtcd needs the harness's own etcd");
  const range = await fetch(`${cp.etcdUrl}/v3/kv/range`, {
    method: "POST",
    body: JSON.stringify({ key: btoa("/") }),
  });
  if (!range.ok) throw new Error(`etcd range: HTTP ${range.status}`);
  const revision = Number((await range.json()).header.revision);
  const compact = await fetch(`${cp.etcdUrl}/v3/kv/compaction`, {
    method: "POST",
    body: JSON.stringify({ revision: String(revision), physical: true }),
  });
  const body = await compact.text();
  if (!compact.ok) {
    throw new Error(`etcd compaction: HTTP ${compact.status}: ${body}`);
  }
  return revision;
}
