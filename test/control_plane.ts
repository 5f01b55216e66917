// A real control plane for tests: etcd + kube-apiserver on loopback, with
// their own PKI, client-certificate and token users, RBAC and kubeconfigs.
//
// `deno task test` (test/run.ts) starts one per run and hands its description
// to every suite through KUBE_TEST_CONTROL_PLANE; a test file run on its own
// starts its own through the same code.

import { createCa, createServiceAccountKeys, issueCert } from "./_pki.ts";

/** Where the suite finds its binaries. */
export interface Binaries {
  etcd: string;
  kubeApiserver: string;
  kubectl: string;
}

/** A client-certificate user. */
export interface CertUser {
  name: string;
  certFile: string;
  keyFile: string;
  certPem: string;
  keyPem: string;
}

/** The admin user: a client certificate, or a bearer token on an external cluster. */
export type AdminUser = CertUser | { name: string; token: string };

/** Everything a test needs to reach the control plane; JSON-serialisable. */
export interface ControlPlaneInfo {
  /** https://127.0.0.1:PORT */
  server: string;
  /** The CA that signed the serving and client certificates. */
  caFile: string;
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
    admin: string;
    adminRelative?: string;
    limited?: string;
    adminToken?: string;
    limitedToken?: string;
  };
  limitedNamespace: string;
  binaries: Binaries;
  /** Process ids of etcd and kube-apiserver (absent for an external cluster). */
  pids?: { etcd: number; apiserver: number };
  /** True when the suite runs against a cluster it did not start. */
  external: boolean;
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

let shared: Promise<ControlPlaneInfo> | undefined;

/**
 * The control plane for this test run: the one test/run.ts started (through
 * KUBE_TEST_CONTROL_PLANE), an external cluster (KUBE_TEST_KUBECONFIG), or
 * one started now for a test file run on its own and stopped at exit.
 */
export function controlPlane(): Promise<ControlPlaneInfo> {
  shared ??= loadOrStart();
  return shared;
}

async function loadOrStart(): Promise<ControlPlaneInfo> {
  const descriptor = Deno.env.get(DESCRIPTOR_ENV);
  if (descriptor) {
    return JSON.parse(await Deno.readTextFile(descriptor)) as ControlPlaneInfo;
  }
  const external = Deno.env.get(EXTERNAL_KUBECONFIG_ENV);
  if (external) return await describeExternal(external, await ensureBinaries());
  const cp = await startControlPlane({
    binaries: await ensureBinaries(),
    log: (m) => console.error(`test harness: ${m}`),
  });
  globalThis.addEventListener("unload", () => cp.stopSync());
  return cp;
}

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
/** Must match BUILD_TAG in test/install_binaries.sh (the cache is keyed by it). */
const KUBE_BUILD_TAG = "1.20.2-reflect2fix";

function cacheDir(): string {
  const base = Deno.env.get("XDG_CACHE_HOME") ??
    `${Deno.env.get("HOME") ?? "/tmp"}/.cache`;
  return `${base}/deno-kubernetes-transport/kubernetes-${KUBE_BUILD_TAG}/bin`;
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    const st = await Deno.stat(path);
    return st.isFile && ((st.mode ?? 0o111) & 0o111) !== 0;
  } catch {
    return false;
  }
}

async function onPath(name: string): Promise<string | undefined> {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    if (dir && await isExecutable(`${dir}/${name}`)) return `${dir}/${name}`;
  }
  return undefined;
}

/**
 * Finds etcd, kube-apiserver and kubectl: env overrides (ETCD_BIN,
 * KUBE_APISERVER_BIN, KUBECTL_BIN), then PATH, then the build cache.
 * Returns the names of those it could not find.
 */
export async function findBinaries(): Promise<
  { found: Partial<Binaries>; missing: (keyof Binaries)[] }
> {
  const found: Partial<Binaries> = {};
  const lookups: [keyof Binaries, string, string][] = [
    ["etcd", "ETCD_BIN", "etcd"],
    ["kubeApiserver", "KUBE_APISERVER_BIN", "kube-apiserver"],
    ["kubectl", "KUBECTL_BIN", "kubectl"],
  ];
  const missing: (keyof Binaries)[] = [];
  for (const [key, env, name] of lookups) {
    const override = Deno.env.get(env);
    if (override) {
      if (!await isExecutable(override)) {
        throw new Error(`${env}=${override} is not an executable file`);
      }
      found[key] = override;
      continue;
    }
    const cached = `${cacheDir()}/${name}`;
    const path = await onPath(name) ??
      (await isExecutable(cached) ? cached : undefined);
    if (path) found[key] = path;
    else missing.push(key);
  }
  return { found, missing };
}

/** Finds the binaries, installing what is missing with test/install_binaries.sh. */
export async function ensureBinaries(): Promise<Binaries> {
  const first = await findBinaries();
  if (first.missing.length === 0) return first.found as Binaries;
  console.error(
    `test harness: ${
      first.missing.join(", ")
    } not found; installing (the first kube-apiserver build takes a few minutes)`,
  );
  const script = new URL("./install_binaries.sh", import.meta.url).pathname;
  const out = await new Deno.Command("bash", {
    args: [script],
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).output();
  if (!out.success) {
    throw new Error(`test/install_binaries.sh failed with code ${out.code}`);
  }
  const second = await findBinaries();
  if (second.missing.length) {
    throw new Error(
      `still missing after install: ${second.missing.join(", ")}`,
    );
  }
  return second.found as Binaries;
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/**
 * Prefixes a command so that it dies with this process: on Linux,
 * `setpriv --pdeathsig` delivers `signal` when the spawning thread exits —
 * for Deno that is the main thread, so even a SIGKILL of this process leaves
 * nothing behind. Elsewhere the command is returned unchanged.
 */
export async function diesWithParent(
  argv: string[],
  signal: "KILL" | "TERM" = "KILL",
): Promise<string[]> {
  const setpriv = Deno.build.os === "linux"
    ? await onPath("setpriv")
    : undefined;
  return setpriv ? [setpriv, "--pdeathsig", signal, "--", ...argv] : argv;
}

/** Spawns a long-running server whose output goes to `logFile`. */
async function spawnServer(
  bin: string,
  args: string[],
  logFile: string,
): Promise<Deno.ChildProcess> {
  const argv = await diesWithParent([
    "sh",
    "-c",
    'exec "$@" >>"$KUBE_TEST_LOG" 2>&1',
    "sh",
    bin,
    ...args,
  ]);
  return new Deno.Command(argv[0], {
    args: argv.slice(1),
    env: { KUBE_TEST_LOG: logFile },
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
}

async function logTail(file: string, lines = 25): Promise<string> {
  try {
    const text = await Deno.readTextFile(file);
    return text.trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

async function stopProcess(child: Deno.ChildProcess): Promise<void> {
  try {
    child.kill("SIGTERM");
  } catch {
    // already exited
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const killed = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      try {
        child.kill("SIGKILL");
      } catch {
        // already exited
      }
      resolve();
    }, 5000);
  });
  await Promise.race([child.status, killed]);
  await child.status;
  clearTimeout(timer);
}

function kubeconfigYaml(opts: {
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
  /** Keep the scratch directory after stop (for debugging). */
  keepDir?: boolean;
}

/** Starts etcd and kube-apiserver on free loopback ports and bootstraps users and RBAC. */
export async function startControlPlane(
  opts: StartOptions,
): Promise<RunningControlPlane> {
  const log = opts.log ?? (() => {});
  const started = performance.now();
  const dir = await Deno.makeTempDir({ prefix: "kube-test-" });
  const pki = `${dir}/pki`;
  await Deno.mkdir(pki);

  const ca = await createCa(pki, "ca", "kube-test-ca");
  const [serving, admin, limited, sa] = await Promise.all([
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
      "--authorization-mode=RBAC",
      "--service-cluster-ip-range=10.96.0.0/24",
      // Watches of ConfigMaps go to etcd directly, so etcd compaction reaches them (410 tests).
      "--watch-cache-sizes=configmaps#0",
      "--enable-priority-and-fairness=false",
      "--profiling=false",
      "--v=1",
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

async function waitFor(
  what: string,
  child: Deno.ChildProcess,
  logFile: string,
  probe: () => Promise<boolean>,
  timeoutMs = 60_000,
): Promise<void> {
  let exited: Deno.CommandStatus | undefined;
  child.status.then((s) => exited = s);
  const deadline = performance.now() + timeoutMs;
  let lastError: unknown = undefined;
  while (performance.now() < deadline) {
    if (exited) {
      throw new Error(
        `${what} exited with code ${exited.code} before becoming ready; log tail:\n${await logTail(
          logFile,
        )}`,
      );
    }
    try {
      if (await probe()) return;
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(
    `${what} not ready after ${timeoutMs} ms (last probe error: ${lastError}); log tail:\n${await logTail(
      logFile,
    )}`,
  );
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
