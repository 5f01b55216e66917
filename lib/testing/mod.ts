/**
 * `@denokube/testing`: a real Kubernetes control plane — and optionally a
 * node that runs real pods — for your own tests, like controller-runtime's
 * envtest but with users, tokens, RBAC and kubeconfigs ready. A package of
 * its own on top of `@denokube/transport` (its clients are that package's
 * `KubeConfigRestClient`s), so the transport package carries no installer
 * or build script.
 *
 * ## Adding it
 *
 * ```sh
 * deno add jsr:@denokube/transport jsr:@denokube/testing
 * ```
 *
 * then `import { startCluster } from "@denokube/testing"` in your tests.
 * Deno flags: `-A` is simplest; precisely `--allow-run`, `--allow-read`,
 * `--allow-write` (temp dirs), `--allow-net=127.0.0.1`, `--allow-env`. A
 * node needs root and Linux.
 *
 * ## One cluster, or one per run
 *
 * - {@link startCluster}`(options)` returns when `/readyz` answers,
 *   namespaces and users exist and the given CRDs are Established (about
 *   5 s; 15 s with a node). `await using` or `stop()` stops everything and
 *   removes its files, also when a test fails; etcd and kube-apiserver die
 *   with the process even on SIGKILL (parent-death signal), and a detached
 *   janitor then removes the directory.
 * - {@link sharedCluster}`(options)`: one cluster for the whole `deno test`
 *   run, started by the first caller and stopped at exit; give each test its
 *   own namespace with `cluster.createNamespace(prefix)`. With
 *   `KUBE_TEST_CONTROL_PLANE` ({@link DESCRIPTOR_ENV}) naming a descriptor
 *   file (a runner wrote `JSON.stringify(cluster)`), every test process
 *   attaches to that one; with `KUBE_TEST_KUBECONFIG`
 *   ({@link EXTERNAL_KUBECONFIG_ENV}) tests run against an existing cluster.
 * - The {@link Cluster}: `server`, `caFile`/`caPem`, `kubeconfigs` (admin by
 *   client certificate, admin by static token, a read-only `limited` user),
 *   `adminClient()`, `addUser({ name, namespace, rules, clusterWide })` (a
 *   ServiceAccount with exactly those RBAC rules, its token, kubeconfig and
 *   `client()`), `serviceAccountToken(ns, name)`, `deleteNamespace(name)`,
 *   `compactEtcd()` (every older resourceVersion expires: the next watch from
 *   one gets 410 Gone), and `node` when one runs.
 * - The aggregation layer is configured as kubeadm configures it (a front
 *   proxy CA of its own, `front-proxy-client`, the `X-Remote-*` headers,
 *   published in `kube-system/extension-apiserver-authentication`), so an
 *   APIService works: with no kube-proxy, point it at an ExternalName
 *   Service (`externalName: localhost`, the APIService's `port` your
 *   server's, a `caBundle` for a certificate naming `<service>.<namespace>.svc`).
 *
 * ## The node
 *
 * `node: true` requires a kubelet + containerd node (root, Linux; one per
 * machine, held by a lock: a second concurrent run gets none), and
 * `node: "if-possible"` starts one where it can and says why not in
 * `nodeSkipReason`. Pods then really run (busybox and a static `pause`
 * image are imported locally; nothing is pulled). `cluster.node` (a
 * {@link ClusterNode}) imports a test's own image tarballs
 * (`importImage`), tags images (`tagImage`) and lists them, each call's
 * names removed again by `await using`.
 *
 * ## Binaries: KUBEBUILDER_ASSETS and envtest
 *
 * Looked up in this order: the `binaries` option, `ETCD_BIN` /
 * `KUBE_APISERVER_BIN` / `KUBECTL_BIN`, `KUBEBUILDER_ASSETS`
 * ({@link ASSETS_ENV}; envtest's layout, so binaries that
 * `setup-envtest use` downloaded work as they are: bring any Kubernetes
 * release), PATH, then this package's build cache (under `~/.cache`).
 * Missing ones are a {@link TestingError} `BinariesMissing` that names the
 * variables to set and the installer; `install: true` (root, Debian) runs
 * the installer for you.
 *
 * ## install_binaries.sh
 *
 * This package ships `install_binaries.sh` (and `node_cleanup.sh`, which
 * tears a node down). It installs etcd from Debian, builds kube-apiserver
 * (and, for a node, kubelet, kube-scheduler, kube-controller-manager) once
 * from Debian's Kubernetes 1.20 source, installs containerd, runc and the
 * CNI plugins, and caches the result: 10-20 minutes once, then nothing. Run
 * it from the package's folder, e.g. `bash lib/testing/install_binaries.sh`
 * in a checkout (`KUBE_TEST_NODE=0` skips the node's parts), or let
 * `install: true` find it.
 *
 * ## Any release: version-aware flags
 *
 * Each binary's `--version` is read once and it gets the flags its release
 * takes: no `--insecure-port` from 1.24, no `--port`/`--address` for the
 * scheduler and controller-manager from 1.24, the kubelet's runtime
 * endpoint in its KubeletConfiguration from 1.27, and `failCgroupV1: false`
 * on cgroup v1 hosts from 1.31 (1.35 refuses such hosts otherwise). Your
 * changes go on top: `apiserverFlags` takes a list to append or an object
 * `{ "--flag": "value" | null }` that changes, adds or removes ours, valid
 * for every release ({@link ComponentFlags}). A binary whose `--version`
 * names no release is a {@link TestingError} `UnknownVersion`.
 *
 * ## Failures
 *
 * Every failure is a {@link TestingError} with a `reason`:
 * `BinariesMissing`, `InstallFailed`, `ServerExited` (with the last lines of
 * the server's log), `NotReady`, `UnknownVersion`, `EtcdTooOld`
 * (`featureGates: { WatchList: true }` needs etcd ≥ 3.4.31 / 3.5.13),
 * `NodeUnavailable`, `InvalidOption`, `EtcdUnavailable`, and for the node's
 * images `ImageArchiveInvalid`, `ImageNotFound`, `ImageExists`.
 *
 * @example Testing an operator's watch against a real API server
 * ```ts
 * import { startCluster } from "@denokube/testing";
 *
 * Deno.test({
 *   name: "the operator sees a new ConfigMap",
 *   ignore: true, // needs etcd and kube-apiserver: see "Binaries" above
 *   fn: async () => {
 *     await using cluster = await startCluster();
 *     using client = await cluster.adminClient();
 *     const ns = await cluster.createNamespace("operator");
 *     await client.performRequest({
 *       method: "POST",
 *       path: `/api/v1/namespaces/${ns}/configmaps`,
 *       bodyJson: { metadata: { name: "settings" }, data: { mode: "fast" } },
 *     });
 *   },
 * });
 * ```
 *
 * @example One cluster per test run, a namespace per test
 * ```ts
 * import { sharedCluster } from "@denokube/testing";
 *
 * Deno.test({
 *   name: "a watch resumes after etcd compaction",
 *   ignore: true, // needs etcd and kube-apiserver: see "Binaries" above
 *   fn: async () => {
 *     const cluster = await sharedCluster({ install: true });
 *     const ns = await cluster.createNamespace("resume");
 *     await cluster.compactEtcd(); // older resourceVersions now get 410 Gone
 *     await cluster.deleteNamespace(ns);
 *   },
 * });
 * ```
 *
 * @module
 */

export {
  attachCluster,
  type Cluster,
  type PolicyRule,
  type TestUser,
  type UserOptions,
} from "./cluster.ts";
export {
  type ClusterNode,
  type ImportImageOptions,
  type NodeImage,
  type NodeImages,
  type TagImageOptions,
} from "./cluster_node.ts";
export { type ClusterOptions, startCluster } from "./start_cluster.ts";
export type { ComponentFlags } from "./_component_args.ts";
export { sharedCluster } from "./shared_cluster.ts";
export {
  type AdminUser,
  type CertUser,
  type ControlPlaneInfo,
  DESCRIPTOR_ENV,
  EXTERNAL_KUBECONFIG_ENV,
  EXTERNAL_NODE_IMAGE_ENV,
  type NodeInfo,
} from "./descriptor.ts";
export {
  ASSETS_ENV,
  type Binaries,
  ensureBinaries,
  type EnsureBinariesOptions,
  findBinaries,
  findNodeBinaries,
  type NodeBinaries,
} from "./binaries.ts";
export { TestingError, type TestingErrorReason } from "./testing_error.ts";
