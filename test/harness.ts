// How this repository's suites get their cluster: the public testing
// module's shared cluster (lib/testing/mod.ts), as a user's tests would,
// with our policy: install what is missing, a node where possible
// (KUBE_TEST_NODE=0 for none; with CI set a node is required).

import {
  type Cluster,
  type ClusterOptions,
  sharedCluster,
} from "../lib/testing/mod.ts";

export { EXTERNAL_NODE_IMAGE_ENV } from "../lib/testing/mod.ts";

/** The options the suites' cluster starts with. */
export function suiteOptions(log?: (msg: string) => void): ClusterOptions {
  const node = Deno.env.get("KUBE_TEST_NODE") === "0"
    ? false
    : Deno.env.get("CI")
    ? true
    : "if-possible";
  return {
    install: true,
    node,
    log: log ?? ((m) => console.error(`test harness: ${m}`)),
  };
}

/** The cluster for this test run: started once, shared by every suite. */
export function controlPlane(): Promise<Cluster> {
  return sharedCluster(suiteOptions());
}
