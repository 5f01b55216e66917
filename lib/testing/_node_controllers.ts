// kube-scheduler and kube-controller-manager for the test node, so that
// pods get scheduled, Deployments roll out, new namespaces get their
// `default` ServiceAccount and the not-ready taint is lifted.

import { freePort, spawnServer } from "./_processes.ts";
import { kubeconfigYaml } from "./_kubeconfigs.ts";
import { controllerArgs } from "./_component_args.ts";
import { binaryRelease } from "./_versions.ts";
import type { NodeBinaries } from "./binaries.ts";
import type { CertUser, ControlPlaneInfo } from "./descriptor.ts";

/**
 * Writes an admin kubeconfig under `dir`, starts both with it, and records
 * their pids under `state` for the cleanup. Does not wait: the node's
 * readiness (its taint lifted) shows the controller-manager works.
 *
 * @throws {TestingError} `UnknownVersion` when a binary names no release.
 */
export async function startControllers(
  cp: ControlPlaneInfo,
  admin: CertUser,
  bins: NodeBinaries,
  dir: string,
  state: string,
): Promise<void> {
  const adminKubeconfig = `${dir}/admin.kubeconfig`;
  await Deno.writeTextFile(
    adminKubeconfig,
    kubeconfigYaml({
      server: cp.server,
      ca: cp.caFile,
      user: {
        "client-certificate": admin.certFile,
        "client-key": admin.keyFile,
      },
    }),
  );

  // Each with the flags its release takes (lib/testing/_component_args.ts).
  const component = async (
    name: string,
    bin: string,
    extra: string[],
  ): Promise<void> => {
    const args = controllerArgs({
      release: await binaryRelease(bin),
      kubeconfig: adminKubeconfig,
      port: freePort(),
      certDir: `${dir}/${name}-certs`,
      extra,
    });
    const child = await spawnServer(bin, args, `${dir}/kube-${name}.log`);
    await Deno.writeTextFile(`${state}/pids/${name}`, String(child.pid));
  };
  await component("scheduler", bins.kubeScheduler, []);
  await component("controller-manager", bins.kubeControllerManager, [
    // Only what rollouts, teardown, pods in fresh namespaces and a
    // schedulable node (nodelifecycle lifts the not-ready taint) need; no
    // controller that writes objects into every namespace (root CA
    // ConfigMaps).
    "--controllers=deployment,replicaset,statefulset,daemonset,job,garbagecollector,namespace,serviceaccount,serviceaccount-token,endpoint,endpointslice,podgc,nodelifecycle",
    `--service-account-private-key-file=${cp.dir}/pki/sa.key`,
    `--root-ca-file=${cp.caFile}`,
    "--use-service-account-credentials=false",
  ]);
}
