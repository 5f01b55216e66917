// The suites' view of the test cluster: re-exports the public testing
// module's control plane (lib/testing), which our tests use as users would.
export * from "../lib/testing/descriptor.ts";
export * from "../lib/testing/control_plane.ts";
export { compactEtcd } from "../lib/testing/_etcd.ts";
export { kubeconfigYaml } from "../lib/testing/_kubeconfigs.ts";
export { diesWithParent } from "../lib/testing/_processes.ts";
export {
  type Binaries,
  ensureBinaries,
  findBinaries,
  findNodeBinaries,
  type NodeBinaries,
  nodeWanted,
} from "../lib/testing/binaries.ts";
