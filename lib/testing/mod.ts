/**
 * A real Kubernetes control plane — and optionally a node that runs real
 * pods — for your own tests, like controller-runtime's envtest but with
 * users, tokens, RBAC and kubeconfigs ready: `startCluster()` for one
 * cluster, `sharedCluster()` for one per test run with a namespace per test.
 *
 * Binaries come from `KUBEBUILDER_ASSETS` (envtest's layout: `etcd`,
 * `kube-apiserver`, `kubectl`), ETCD_BIN / KUBE_APISERVER_BIN /
 * KUBECTL_BIN, PATH, or this module's build cache; `install: true` (root,
 * Debian) installs and builds what is missing.
 *
 * @example Testing an operator's watch against a real API server
 * ```ts
 * import { startCluster } from "@denokube/transport/testing";
 *
 * Deno.test({
 *   name: "the operator sees a new ConfigMap",
 *   ignore: true, // needs etcd and kube-apiserver; see the README's testing guide
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
 * @module
 */

export {
  attachCluster,
  type Cluster,
  type PolicyRule,
  type TestUser,
  type UserOptions,
} from "./cluster.ts";
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
