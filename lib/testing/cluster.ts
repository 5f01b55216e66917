// The cluster every suite tests against: a control plane (control_plane.ts)
// and, where the machine can run one, a node (lib/testing/node.ts), started
// together and stopped together, or an existing cluster named by
// KUBE_TEST_KUBECONFIG.
//
// `deno task test` (test/run.ts) starts one per run and hands its description
// to every suite through KUBE_TEST_CONTROL_PLANE; a test file run on its own
// starts its own through the same code.

import { ensureBinaries, nodeWanted } from "./binaries.ts";
import {
  type ControlPlaneInfo,
  describe,
  describeExternal,
  DESCRIPTOR_ENV,
  EXTERNAL_KUBECONFIG_ENV,
  startControlPlane,
} from "./control_plane.ts";
import { describeNode, nodeUnavailable, startNode } from "./node.ts";

/** For an external cluster: a busybox-like image its nodes can run, which turns the node tests on. */
export const EXTERNAL_NODE_IMAGE_ENV = "KUBE_TEST_NODE_IMAGE";

/** A cluster this process started (or described). */
export interface TestCluster {
  /** What the suites get, JSON-serialisable. */
  info: ControlPlaneInfo;
  /** Stops the node, then the control plane; removes their directories. */
  stop(): Promise<void>;
  /** The same, synchronously, for signal and `unload` handlers. */
  stopSync(): void;
}

/** Options for {@link startTestCluster}. */
export interface TestClusterOptions {
  /** Progress messages. @default no output */
  log?: (msg: string) => void;
  /**
   * Fail instead of skipping the node tests when no node can run (CI must
   * run them). @default {true when the CI env var is set}
   */
  requireNode?: boolean;
}

/**
 * Starts the control plane and, unless KUBE_TEST_NODE=0, a node; or
 * describes the cluster KUBE_TEST_KUBECONFIG names.
 */
export async function startTestCluster(
  opts: TestClusterOptions = {},
): Promise<TestCluster> {
  const log = opts.log ?? (() => {});
  const requireNode = opts.requireNode ?? Boolean(Deno.env.get("CI"));
  const binaries = await ensureBinaries();

  const external = Deno.env.get(EXTERNAL_KUBECONFIG_ENV);
  if (external) {
    const info = await describeExternal(external, binaries);
    const image = Deno.env.get(EXTERNAL_NODE_IMAGE_ENV);
    if (image) {
      info.node = {
        name: "(any schedulable node)",
        images: { busybox: image },
        imagePullPolicy: "IfNotPresent",
      };
    } else {
      info.nodeSkipReason =
        `an external cluster runs node tests only with ${EXTERNAL_NODE_IMAGE_ENV}=<a busybox image its nodes can pull>`;
    }
    log(`testing against the existing cluster ${info.server} (${external})`);
    const cleanup = () => Deno.removeSync(info.dir, { recursive: true });
    return {
      info,
      stop: () => Deno.remove(info.dir, { recursive: true }),
      stopSync: cleanup,
    };
  }

  const cp = await startControlPlane({ binaries, log });
  const info = describe(cp);
  let node: Awaited<ReturnType<typeof startNode>> | undefined;
  if (!nodeWanted()) {
    info.nodeSkipReason = "KUBE_TEST_NODE=0 asked for no node";
  } else {
    const reason = await nodeUnavailable();
    try {
      if (reason) throw new Error(reason);
      node = await startNode(info, { log });
      info.node = describeNode(node);
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      if (requireNode) {
        await cp.stop();
        throw new Error(`the node tests must run here, but: ${why}`);
      }
      info.nodeSkipReason = why;
      log(`no node, so node tests will be skipped: ${why}`);
    }
  }
  return {
    info,
    stop: async () => {
      await node?.stop();
      await cp.stop();
    },
    stopSync: () => {
      node?.stopSync();
      cp.stopSync();
    },
  };
}

let shared: Promise<ControlPlaneInfo> | undefined;

/**
 * The cluster for this test run: the one test/run.ts started (through
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
  const cluster = await startTestCluster({
    log: (m) => console.error(`test harness: ${m}`),
  });
  globalThis.addEventListener("unload", () => cluster.stopSync());
  return cluster.info;
}
