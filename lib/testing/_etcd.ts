// etcd for the test control plane: the version check some feature gates
// need, starting it on loopback, and compacting it (to expire resourceVersions).

import type { ControlPlaneInfo } from "./descriptor.ts";
import { runCommand, spawnServer, waitFor } from "./_processes.ts";
import { TestingError } from "./testing_error.ts";

/** Feature gates that need a newer etcd than some releases ship: [gate, minimum 3.4.x, minimum 3.5.x]. */
const ETCD_MINIMUMS: [string, string, string][] = [
  ["WatchList", "3.4.31", "3.5.13"],
];

function olderThan(version: string, minimum: string): boolean {
  const a = version.split(".").map(Number);
  const b = minimum.split(".").map(Number);
  for (let i = 0; i < 3; i++) {
    if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) < (b[i] ?? 0);
  }
  return false;
}

/** Throws `EtcdTooOld` when a requested feature gate needs a newer etcd. */
export async function checkEtcdFor(
  etcd: string,
  gates: Record<string, boolean>,
): Promise<void> {
  const needed = ETCD_MINIMUMS.filter(([gate]) => gates[gate]);
  if (!needed.length) return;
  const out = await runCommand(etcd, ["--version"]).catch(() => "");
  const version = out.match(/etcd Version: (\d+\.\d+\.\d+)/)?.[1];
  if (!version) return;
  for (const [gate, min34, min35] of needed) {
    const min = version.startsWith("3.4.") ? min34 : min35;
    if (olderThan(version, min)) {
      throw new TestingError(
        "EtcdTooOld",
        `feature gate ${gate} needs etcd >= ${min34} (3.4) or >= ${min35} (3.5+); ${etcd} is ${version}`,
      );
    }
  }
}

/**
 * Starts etcd on the given loopback ports with its data under `dir`, and
 * waits until /health answers. The process goes into `children` before the
 * wait, so the caller stops it when the wait fails.
 */
export async function startEtcd(
  bin: string,
  dir: string,
  ports: { client: number; peer: number },
  children: Deno.ChildProcess[],
): Promise<{ child: Deno.ChildProcess; url: string }> {
  const url = `http://127.0.0.1:${ports.client}`;
  const peerUrl = `http://127.0.0.1:${ports.peer}`;
  const etcd = await spawnServer(bin, [
    "--name=kube-test",
    `--data-dir=${dir}/etcd`,
    `--listen-client-urls=${url}`,
    `--advertise-client-urls=${url}`,
    `--listen-peer-urls=${peerUrl}`,
    `--initial-advertise-peer-urls=${peerUrl}`,
    `--initial-cluster=kube-test=${peerUrl}`,
    "--unsafe-no-fsync",
    "--log-level=warn",
  ], `${dir}/etcd.log`);
  children.push(etcd);
  await waitFor("etcd", etcd, `${dir}/etcd.log`, async () => {
    const r = await fetch(`${url}/health`);
    const body = await r.json();
    return r.ok && body.health === "true";
  });
  return { child: etcd, url };
}

/**
 * Compacts etcd up to its current revision through etcd's HTTP gateway, so
 * every older resourceVersion and continue token expires (410 Gone).
 *
 * @param cp The cluster; its `etcdUrl` is the etcd to compact.
 * @returns The revision compacted to.
 * @throws {TestingError} `EtcdUnavailable` when the cluster has no `etcdUrl`
 *   (an external cluster) or etcd answers a request with an error.
 */
export async function compactEtcd(cp: ControlPlaneInfo): Promise<number> {
  if (!cp.etcdUrl) {
    throw new TestingError(
      "EtcdUnavailable",
      `compactEtcd: expected a cluster whose etcd this module started (an etcdUrl), found a cluster without one (${cp.server})`,
    );
  }
  const range = await fetch(`${cp.etcdUrl}/v3/kv/range`, {
    method: "POST",
    body: JSON.stringify({ key: btoa("/") }),
  });
  if (!range.ok) {
    await range.body?.cancel();
    throw new TestingError(
      "EtcdUnavailable",
      `etcd range at ${cp.etcdUrl}: expected 200, found HTTP ${range.status}`,
    );
  }
  const revision = Number((await range.json()).header.revision);
  const compact = await fetch(`${cp.etcdUrl}/v3/kv/compaction`, {
    method: "POST",
    body: JSON.stringify({ revision: String(revision), physical: true }),
  });
  const body = await compact.text();
  if (!compact.ok) {
    throw new TestingError(
      "EtcdUnavailable",
      `etcd compaction at ${cp.etcdUrl}: expected 200, found HTTP ${compact.status}: ${body}`,
    );
  }
  return revision;
}
