// A test cluster as tests use it: the `Cluster` interface and
// attachCluster, which gives any described cluster (started here, by another
// process, or existing) its helpers — clients, namespaces, users with RBAC,
// service-account tokens — and an owner-supplied stop.

import { type JSONValue, KubeConfigRestClient } from "@denokube/transport";
import { sleep } from "./_leaf_helpers.ts";
import { compactEtcd } from "./_etcd.ts";
import { kubeconfigYaml } from "./_kubeconfigs.ts";
import { attachNode, type ClusterNode } from "./cluster_node.ts";
import type { ControlPlaneInfo } from "./descriptor.ts";
import { TestingError } from "./testing_error.ts";

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
  /** The node pods run on, with its image store ({@link ClusterNode.importImage}), when there is one. */
  node?: ClusterNode;
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
  /**
   * Compacts the cluster's etcd up to its current revision, so every older
   * `resourceVersion` and continue token expires: the next watch or list
   * from one gets 410 Gone, as after a long disconnection.
   *
   * @returns The etcd revision compacted to.
   * @throws {TestingError} `EtcdUnavailable` for a cluster whose etcd this
   *   module did not start (no `etcdUrl`: an external cluster), or when etcd
   *   refuses.
   */
  compactEtcd(): Promise<number>;
  /** Stops the node, then the control plane, and removes their files; a no-op for a cluster this process did not start. Safe to call twice. */
  stop(): Promise<void>;
  /** The same, synchronously and less politely, for signal and `unload` handlers. */
  stopSync(): void;
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
  const { node, ...rest } = info;
  return {
    ...rest,
    ...(node ? { node: attachNode(node) } : {}),
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
    compactEtcd: () => compactEtcd(info),
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
    await sleep(100);
  }
}
