/**
 * A real Kubernetes API server for tests: etcd + kube-apiserver on loopback
 * with their own PKI and users and, when asked and possible, a node
 * (kubelet + containerd) that runs real pods. One call starts it; `await
 * using` (or `stop()`) leaves nothing behind — no process, directory,
 * network namespace or mount — also when a test fails, and (through
 * parent-death signals and the node's janitor) when the process is killed.
 *
 * Deno permissions: `--allow-run` (etcd, kube-apiserver, openssl, kubectl;
 * containerd, kubelet, ip, ctr for a node), `--allow-read`, `--allow-write`
 * (temp dirs), `--allow-net=127.0.0.1`, `--allow-env`. A node needs root.
 *
 * @module
 */

import type { JSONObject, JSONValue } from "../contract.ts";
import { KubeConfigRestClient } from "../../transports/kubeconfig.ts";
import { type Binaries, ensureBinaries, findBinaries } from "./binaries.ts";
import {
  type ControlPlaneInfo,
  describe,
  describeExternal,
  DESCRIPTOR_ENV,
  EXTERNAL_KUBECONFIG_ENV,
  kubeconfigYaml,
  startControlPlane,
} from "./control_plane.ts";
import { describeNode, nodeUnavailable, startNode } from "./node.ts";
import { TestingError } from "./testing_error.ts";

/** For an external cluster: a busybox-like image its nodes can run, which turns the node tests on. */
export const EXTERNAL_NODE_IMAGE_ENV = "KUBE_TEST_NODE_IMAGE";

/** An RBAC rule, as in a Role. */
export interface PolicyRule {
  /** API groups (`""` is the core group). */
  apiGroups: string[];
  /** Resources, e.g. `pods`, `pods/log`, `deployments`. */
  resources: string[];
  /** Verbs, e.g. `get`, `list`, `watch`, `create`. */
  verbs: string[];
  /** Limit to these object names. @default {all} */
  resourceNames?: string[];
}

/** A user {@link Cluster.addUser} made: a ServiceAccount with the rules given, and its token. */
export interface TestUser {
  /** The ServiceAccount's name. */
  name: string;
  /** Its namespace. */
  namespace: string;
  /** A bearer token minted through TokenRequest. */
  token: string;
  /** A kubeconfig file for it (token auth, the cluster's CA, its namespace). */
  kubeconfig: string;
  /** A client authenticated as it. */
  client(): Promise<KubeConfigRestClient>;
}

/** Options for {@link Cluster.addUser}. */
export interface UserOptions {
  /** The ServiceAccount's name. */
  name: string;
  /** Its namespace, and the rules' scope unless `clusterWide`. @default {"default"} */
  namespace?: string;
  /** What it may do. */
  rules: PolicyRule[];
  /** Grant the rules in every namespace (ClusterRole) instead of one (Role). @default {false} */
  clusterWide?: boolean;
  /** The token's lifetime. @default {3600} */
  expirationSeconds?: number;
}

/** A test cluster: its description plus what tests do with it. */
export interface Cluster extends ControlPlaneInfo, AsyncDisposable {
  /** A client authenticated as the admin (`system:masters`). Close it when done. */
  adminClient(): Promise<KubeConfigRestClient>;
  /**
   * Creates a namespace (with its `default` ServiceAccount, so pods are
   * admitted) named `<prefix>-<random>` and returns its name.
   */
  createNamespace(prefix?: string): Promise<string>;
  /** Deletes a namespace, without waiting. */
  deleteNamespace(name: string): Promise<void>;
  /** A ServiceAccount with exactly `rules`, a token and a kubeconfig for it. */
  addUser(opts: UserOptions): Promise<TestUser>;
  /** Mints a token for a ServiceAccount through TokenRequest. */
  serviceAccountToken(
    namespace: string,
    name: string,
    opts?: { expirationSeconds?: number; audiences?: string[] },
  ): Promise<string>;
  /** Stops the node, then the control plane, and removes their files; a no-op for a cluster this process did not start. Safe to call twice. */
  stop(): Promise<void>;
  /** The same, synchronously and less politely, for signal and `unload` handlers. */
  stopSync(): void;
}

/** Options for {@link startCluster}. */
export interface ClusterOptions {
  /**
   * Binaries to use; the rest are looked up: ETCD_BIN / KUBE_APISERVER_BIN
   * / KUBECTL_BIN, then `$KUBEBUILDER_ASSETS` (envtest's layout), then PATH,
   * then this module's build cache.
   * @default {looked up}
   */
  binaries?: Partial<Binaries>;
  /**
   * Install what is missing (Debian packages through apt, a build from
   * Debian's Kubernetes source: root, 10-20 minutes once, cached). Off, a
   * missing binary is a {@link TestingError} `BinariesMissing` that says
   * how to provide it.
   * @default {false}
   */
  install?: boolean;
  /**
   * A node (kubelet + containerd; root and Linux only, one per machine):
   * `true` requires one (`NodeUnavailable` otherwise), `"if-possible"`
   * starts one where it can and says why not in `nodeSkipReason`.
   * @default {false}
   */
  node?: boolean | "if-possible";
  /** Extra kube-apiserver flags. @default {none} */
  apiserverFlags?: string[];
  /** kube-apiserver feature gates (`WatchList` checks etcd's version first). @default {none} */
  featureGates?: Record<string, boolean>;
  /** CustomResourceDefinitions to create and wait for (Established) before returning. @default {none} */
  crds?: JSONObject[];
  /** Progress messages, e.g. `console.error`. @default {none} */
  log?: (msg: string) => void;
  /** Keep the control plane's directory after stop, for debugging. @default {false} */
  keepDir?: boolean;
}

/**
 * Starts a control plane (and a node when asked) and returns it ready:
 * `/readyz` answers, namespaces `default` and `kube-test-limited` exist,
 * users and kubeconfigs are written, CRDs are Established. About 5 s; 15 s
 * with a node.
 *
 * @param opts Binaries, node, flags, CRDs.
 * @returns The running cluster; `await using` stops it.
 * @throws {TestingError} When binaries are missing, a server exits early (with its log tail), or a required node cannot run.
 *
 * @example
 * ```ts
 * import { startCluster } from "@denokube/transport/testing";
 *
 * Deno.test({
 *   name: "a ConfigMap round-trips",
 *   ignore: true, // needs etcd and kube-apiserver; see the README
 *   fn: async () => {
 *     await using cluster = await startCluster();
 *     using client = await cluster.adminClient();
 *     const ns = await cluster.createNamespace("demo");
 *     await client.performRequest({
 *       method: "POST",
 *       path: `/api/v1/namespaces/${ns}/configmaps`,
 *       bodyJson: { metadata: { name: "a" }, data: { k: "v" } },
 *     });
 *   },
 * });
 * ```
 */
export async function startCluster(
  opts: ClusterOptions = {},
): Promise<Cluster> {
  const log = opts.log ?? (() => {});
  const binaries = await resolveBinaries(opts);
  const cp = await startControlPlane({
    binaries,
    log,
    keepDir: opts.keepDir,
    apiserverFlags: opts.apiserverFlags,
    featureGates: opts.featureGates,
  });
  const info = describe(cp);
  let node: Awaited<ReturnType<typeof startNode>> | undefined;
  try {
    if (opts.node) {
      const reason = await nodeUnavailable();
      try {
        if (reason) throw new TestingError("NodeUnavailable", reason);
        node = await startNode(info, { log });
        info.node = describeNode(node);
      } catch (err) {
        const why = err instanceof Error ? err.message : String(err);
        if (opts.node === true) {
          throw new TestingError(
            "NodeUnavailable",
            `a node was required, but: ${why}`,
            err,
          );
        }
        info.nodeSkipReason = why;
        log(`no node: ${why}`);
      }
    } else {
      info.nodeSkipReason = "no node was asked for";
    }
    const cluster = attachCluster(info, {
      stop: async () => {
        await node?.stop();
        await cp.stop();
      },
      stopSync: () => {
        node?.stopSync();
        cp.stopSync();
      },
    });
    if (opts.crds?.length) await installCrds(cluster, opts.crds);
    return cluster;
  } catch (err) {
    await node?.stop();
    await cp.stop();
    throw err;
  }
}

/** Explicit binaries first, then the lookup; the installer only when asked and needed. */
async function resolveBinaries(opts: ClusterOptions): Promise<Binaries> {
  const merged = { ...(await findBinaries()).found, ...opts.binaries };
  const complete = Boolean(
    merged.etcd && merged.kubeApiserver && merged.kubectl,
  );
  if (complete && !(opts.node && opts.install)) return merged as Binaries;
  return {
    ...await ensureBinaries({
      node: Boolean(opts.node),
      install: opts.install,
    }),
    ...opts.binaries,
  };
}

/**
 * A {@link Cluster} for a cluster described elsewhere (a descriptor another
 * process wrote, or an existing cluster): its helpers work, and `stop()`
 * runs only the given `owner` functions.
 *
 * @param info The cluster's description (`JSON.parse` of a descriptor).
 * @param owner How to stop it, when this process owns it.
 * @returns The cluster.
 */
export function attachCluster(
  info: ControlPlaneInfo,
  owner: { stop(): Promise<void>; stopSync(): void } = {
    stop: () => Promise.resolve(),
    stopSync: () => {},
  },
): Cluster {
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await owner.stop();
  };
  const adminClient = () =>
    KubeConfigRestClient.readKubeConfig(info.kubeconfigs.admin);
  const call = async (
    fn: (c: KubeConfigRestClient) => Promise<JSONValue>,
  ): Promise<JSONValue> => {
    using client = await adminClient();
    return await fn(client);
  };
  const serviceAccountToken = async (
    namespace: string,
    name: string,
    o: { expirationSeconds?: number; audiences?: string[] } = {},
  ): Promise<string> => {
    const answer = await call((c) =>
      c.performRequest({
        method: "POST",
        path: `/api/v1/namespaces/${namespace}/serviceaccounts/${name}/token`,
        bodyJson: {
          apiVersion: "authentication.k8s.io/v1",
          kind: "TokenRequest",
          spec: {
            expirationSeconds: o.expirationSeconds ?? 3600,
            ...(o.audiences ? { audiences: o.audiences } : {}),
          },
        },
        expectJson: true,
      })
    ) as { status: { token: string } };
    return answer.status.token;
  };
  return {
    ...info,
    adminClient,
    createNamespace: async (prefix = "test") => {
      const name = `${prefix}-${crypto.randomUUID().slice(0, 8)}`;
      await call((c) =>
        c.performRequest({
          method: "POST",
          path: "/api/v1/namespaces",
          bodyJson: { apiVersion: "v1", kind: "Namespace", metadata: { name } },
          expectJson: true,
        })
      );
      await ensureServiceAccount(call, name, "default");
      return name;
    },
    deleteNamespace: async (name) => {
      await call((c) =>
        c.performRequest({
          method: "DELETE",
          path: `/api/v1/namespaces/${name}`,
          expectJson: true,
        })
      );
    },
    addUser: async (o) => {
      const namespace = o.namespace ?? "default";
      await ensureServiceAccount(call, namespace, o.name);
      const roleKind = o.clusterWide ? "ClusterRole" : "Role";
      const base = o.clusterWide
        ? "/apis/rbac.authorization.k8s.io/v1"
        : `/apis/rbac.authorization.k8s.io/v1/namespaces/${namespace}`;
      const roleName = o.clusterWide
        ? `kube-test:${namespace}:${o.name}`
        : o.name;
      await call((c) =>
        c.performRequest({
          method: "POST",
          path: `${base}/${o.clusterWide ? "clusterroles" : "roles"}`,
          bodyJson: {
            apiVersion: "rbac.authorization.k8s.io/v1",
            kind: roleKind,
            metadata: { name: roleName },
            rules: o.rules as unknown as JSONValue,
          },
          expectJson: true,
        })
      );
      await call((c) =>
        c.performRequest({
          method: "POST",
          path: `${base}/${
            o.clusterWide ? "clusterrolebindings" : "rolebindings"
          }`,
          bodyJson: {
            apiVersion: "rbac.authorization.k8s.io/v1",
            kind: `${roleKind}Binding`,
            metadata: { name: roleName },
            roleRef: {
              apiGroup: "rbac.authorization.k8s.io",
              kind: roleKind,
              name: roleName,
            },
            subjects: [{ kind: "ServiceAccount", name: o.name, namespace }],
          },
          expectJson: true,
        })
      );
      const token = await serviceAccountToken(namespace, o.name, {
        expirationSeconds: o.expirationSeconds,
      });
      const kubeconfig =
        `${info.dir}/kubeconfigs/sa-${namespace}-${o.name}.yaml`;
      await Deno.mkdir(`${info.dir}/kubeconfigs`, { recursive: true });
      await Deno.writeTextFile(
        kubeconfig,
        kubeconfigYaml({
          server: info.server,
          ca: info.caFile,
          user: { token },
          namespace,
        }),
        { mode: 0o600 },
      );
      return {
        name: o.name,
        namespace,
        token,
        kubeconfig,
        client: () => KubeConfigRestClient.readKubeConfig(kubeconfig),
      };
    },
    serviceAccountToken,
    stop,
    stopSync: () => {
      if (stopped) return;
      stopped = true;
      owner.stopSync();
    },
    [Symbol.asyncDispose]: stop,
  };
}

async function ensureServiceAccount(
  call: (fn: (c: KubeConfigRestClient) => Promise<JSONValue>) => Promise<
    JSONValue
  >,
  namespace: string,
  name: string,
): Promise<void> {
  const path = `/api/v1/namespaces/${namespace}/serviceaccounts`;
  const deadline = performance.now() + 30_000;
  for (;;) {
    try {
      await call((c) =>
        c.performRequest({
          method: "GET",
          path: `${path}/${name}`,
          expectJson: true,
        })
      );
      return;
    } catch {
      // not there (yet)
    }
    // Without a controller-manager nobody makes `default`: make it ourselves
    // (a controller that comes second just finds it there).
    {
      await call((c) =>
        c.performRequest({
          method: "POST",
          path,
          bodyJson: {
            apiVersion: "v1",
            kind: "ServiceAccount",
            metadata: { name },
          },
          expectJson: true,
        })
      ).catch(() => undefined);
    }
    if (performance.now() > deadline) {
      throw new TestingError(
        "NotReady",
        `ServiceAccount ${namespace}/${name} did not appear within 30 s`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function installCrds(
  cluster: Cluster,
  crds: JSONObject[],
): Promise<void> {
  using client = await cluster.adminClient();
  const path = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";
  for (const crd of crds) {
    await client.performRequest({
      method: "POST",
      path,
      bodyJson: crd,
      expectJson: true,
    });
  }
  const deadline = performance.now() + 60_000;
  for (const crd of crds) {
    const name = (crd.metadata as { name?: string } | undefined)?.name;
    if (!name) {
      throw new TestingError(
        "InvalidOption",
        "a CRD in crds has no metadata.name",
      );
    }
    for (;;) {
      const got = await client.performRequest({
        method: "GET",
        path: `${path}/${name}`,
        expectJson: true,
      }) as { status?: { conditions?: { type: string; status: string }[] } };
      if (
        (got.status?.conditions ?? []).some((c) =>
          c.type === "Established" && c.status === "True"
        )
      ) break;
      if (performance.now() > deadline) {
        throw new TestingError(
          "NotReady",
          `CRD ${name} was not Established within 60 s`,
        );
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

let shared: Promise<Cluster> | undefined;

/**
 * One cluster for the whole test run, started by the first caller and
 * stopped when the process ends; later calls (any test file in the same
 * `deno test` run) get the same one. Isolate tests with
 * {@link Cluster.createNamespace}. When KUBE_TEST_CONTROL_PLANE names a
 * descriptor file (a runner started the cluster, e.g. this repository's
 * test/run.ts), that cluster is used; when KUBE_TEST_KUBECONFIG names a
 * kubeconfig, tests run against that existing cluster instead (its current
 * context must be an admin).
 *
 * @param opts As for {@link startCluster}; used by the first call only.
 * @returns The shared cluster.
 *
 * @example
 * ```ts
 * import { sharedCluster } from "@denokube/transport/testing";
 *
 * Deno.test({
 *   name: "namespaces isolate tests",
 *   ignore: true, // needs etcd and kube-apiserver; see the README
 *   fn: async () => {
 *     const cluster = await sharedCluster();
 *     const ns = await cluster.createNamespace("isolated");
 *     await cluster.deleteNamespace(ns);
 *   },
 * });
 * ```
 */
export function sharedCluster(opts: ClusterOptions = {}): Promise<Cluster> {
  shared ??= (async () => {
    const descriptor = Deno.env.get(DESCRIPTOR_ENV);
    if (descriptor) {
      return attachCluster(
        JSON.parse(await Deno.readTextFile(descriptor)) as ControlPlaneInfo,
      );
    }
    const external = Deno.env.get(EXTERNAL_KUBECONFIG_ENV);
    if (external) return await describeExisting(external, opts);
    const cluster = await startCluster(opts);
    globalThis.addEventListener("unload", () => cluster.stopSync());
    return cluster;
  })();
  return shared;
}

/** A cluster KUBE_TEST_KUBECONFIG names: only an admin is known there. */
async function describeExisting(
  kubeconfig: string,
  opts: ClusterOptions,
): Promise<Cluster> {
  const { found } = await findBinaries();
  const kubectl = opts.binaries?.kubectl ?? found.kubectl;
  if (!kubectl) {
    throw new TestingError(
      "BinariesMissing",
      `${EXTERNAL_KUBECONFIG_ENV} needs kubectl on PATH (or KUBECTL_BIN)`,
    );
  }
  const info = await describeExternal(kubeconfig, {
    etcd: found.etcd ?? "",
    kubeApiserver: found.kubeApiserver ?? "",
    kubectl,
  });
  const image = Deno.env.get(EXTERNAL_NODE_IMAGE_ENV);
  if (image) {
    info.node = {
      name: "(any schedulable node)",
      images: { busybox: image },
      imagePullPolicy: "IfNotPresent",
    };
  } else {
    info.nodeSkipReason =
      `an existing cluster runs node tests only with ${EXTERNAL_NODE_IMAGE_ENV}=<a busybox image its nodes can pull>`;
  }
  return attachCluster(info, {
    stop: () => Deno.remove(info.dir, { recursive: true }),
    stopSync: () => Deno.removeSync(info.dir, { recursive: true }),
  });
}
