// How this repository's suites get their cluster: the public testing
// package's shared cluster (@denokube/testing), as a user's tests would,
// with our policy: install what is missing, a node where possible
// (KUBE_TEST_NODE=0 for none; with CI set a node is required); and the
// release its apiserver reports, which tests branch on.

import {
  type Cluster,
  type ClusterOptions,
  sharedCluster,
} from "@denokube/testing";
import {
  type KubeRelease,
  parseRelease,
} from "../lib/testing/_component_args.ts";

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

let release: Promise<KubeRelease> | undefined;

/**
 * The shared cluster's apiserver release, read once per process from
 * `/version`, so each test says what it expects of the release it meets
 * (our own is 1.20; KUBE_TEST_CONTROL_PLANE / KUBE_TEST_KUBECONFIG may
 * point at any other).
 */
export function serverVersion(): Promise<KubeRelease> {
  release ??= (async () => {
    const cluster = await controlPlane();
    using client = await cluster.adminClient();
    const v = await client.performRequest({
      method: "GET",
      path: "/version",
      expectJson: true,
    }) as { gitVersion?: string };
    const parsed = parseRelease(String(v.gitVersion ?? ""));
    if (!parsed) {
      throw new Error(
        `${cluster.server}/version: expected a gitVersion "v1.<minor>.<patch>", found ${
          JSON.stringify(v.gitVersion)
        }`,
      );
    }
    return parsed;
  })();
  return release;
}
