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

import type { JSONObject } from "@denokube/transport";
import { errorText, sleep } from "./_leaf_helpers.ts";
import type { ComponentFlags } from "./_component_args.ts";
import { type Binaries, ensureBinaries, findBinaries } from "./binaries.ts";
import { attachCluster, type Cluster } from "./cluster.ts";
import { startControlPlane } from "./control_plane.ts";
import { describe } from "./descriptor.ts";
import { nodeUnavailable } from "./_node_host.ts";
import { describeNode, startNode } from "./node.ts";
import { TestingError } from "./testing_error.ts";

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
  /**
   * kube-apiserver flags beyond ours, or changes to ours. A list goes after
   * ours (a later flag wins); an object replaces our value of a flag (or
   * adds it) and removes a flag given `null` — removing one we do not pass
   * to this release is a no-op, so one object serves every release. Our
   * flags depend on the binary's release (read from its `--version`: no
   * `--insecure-port` from 1.24 on, for example).
   *
   * @example Change, remove and add flags
   * ```ts
   * import { startCluster } from "@denokube/testing";
   *
   * const start = () =>
   *   startCluster({
   *     apiserverFlags: {
   *       "--v": "4", // replaces our --v=1
   *       "--enable-priority-and-fairness": null, // removes ours: APF on
   *       "--max-requests-inflight": "50", // not ours: added
   *     },
   *   });
   * ```
   * @default {none: our flags for the binary's release}
   */
  apiserverFlags?: ComponentFlags;
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
 * import { startCluster } from "@denokube/testing";
 *
 * Deno.test({
 *   name: "a ConfigMap round-trips",
 *   ignore: true, // needs etcd and kube-apiserver; see this package's module doc
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
        const why = errorText(err);
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

/** Creates `crds` and waits until each is Established. */
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
      await sleep(100);
    }
  }
}
