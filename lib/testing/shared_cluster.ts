// The one cluster a test run shares: the first caller makes it — from the
// descriptor a runner wrote (KUBE_TEST_CONTROL_PLANE), from an existing
// cluster (KUBE_TEST_KUBECONFIG), or by starting one — and every later
// caller in the process gets the same promise.

import { parseJsonQuietly } from "./_leaf_helpers.ts";
import { TestingError } from "./testing_error.ts";
import { describeExisting } from "./_external_cluster.ts";
import { attachCluster, type Cluster } from "./cluster.ts";
import {
  type ControlPlaneInfo,
  DESCRIPTOR_ENV,
  EXTERNAL_KUBECONFIG_ENV,
} from "./descriptor.ts";
import { type ClusterOptions, startCluster } from "./start_cluster.ts";

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
 * import { sharedCluster } from "@denokube/testing";
 *
 * Deno.test({
 *   name: "namespaces isolate tests",
 *   ignore: true, // needs etcd and kube-apiserver; see this package's module doc
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
      // A descriptor holds keys and tokens: a parse error quotes none.
      const info = parseJsonQuietly(
        await Deno.readTextFile(descriptor),
        (chars) =>
          new TestingError(
            "InvalidOption",
            `${DESCRIPTOR_ENV}=${descriptor}: expected a cluster descriptor as JSON, found ${chars} characters that are not JSON`,
          ),
      );
      return attachCluster(info as ControlPlaneInfo);
    }
    const external = Deno.env.get(EXTERNAL_KUBECONFIG_ENV);
    if (external) return await describeExisting(external, opts);
    const cluster = await startCluster(opts);
    globalThis.addEventListener("unload", () => cluster.stopSync());
    return cluster;
  })();
  return shared;
}
