// A real control plane for tests: etcd + kube-apiserver on loopback, with
// their own PKI, client-certificate and token users, RBAC and kubeconfigs.
//
// `deno task test` (test/run.ts) starts one per run and hands its description
// to every suite through KUBE_TEST_CONTROL_PLANE; a test file run on its own
// starts its own through the same code. This file runs the steps in order
// and owns stopping; each step lives in its own file.

import { startApiserver } from "./_apiserver.ts";
import {
  apiserverArgs,
  applyFlags,
  type ComponentFlags,
} from "./_component_args.ts";
import { bootstrap } from "./_bootstrap.ts";
import { issueControlPlaneCredentials } from "./_control_plane_pki.ts";
import { checkEtcdFor, startEtcd } from "./_etcd.ts";
import { writeControlPlaneKubeconfigs } from "./_kubeconfigs.ts";
import { freePort, removeWhenGone, stopProcess } from "./_processes.ts";
import { binaryRelease } from "./_versions.ts";
import type { Binaries } from "./binaries.ts";
import { type ControlPlaneInfo, LIMITED_NAMESPACE } from "./descriptor.ts";

/** A control plane this process started. */
export interface RunningControlPlane extends ControlPlaneInfo {
  /** Stops both processes and removes the scratch directory. Safe to call twice. */
  stop(): Promise<void>;
  /** The same, synchronously and less politely (SIGKILL), for `unload` handlers. */
  stopSync(): void;
}

/** Options for {@link startControlPlane}. */
export interface StartOptions {
  binaries: Binaries;
  /** Progress messages. @default no output */
  log?: (msg: string) => void;
  /** Keep the scratch directory after stop (for debugging). @default {false} */
  keepDir?: boolean;
  /** kube-apiserver flags to add, or changes to ours (see {@link ComponentFlags}). @default {none} */
  apiserverFlags?: ComponentFlags;
  /**
   * kube-apiserver feature gates. `WatchList` needs etcd ≥ 3.4.31 / 3.5.13:
   * an older etcd is a `TestingError` (`EtcdTooOld`) before anything starts.
   * @default {none}
   */
  featureGates?: Record<string, boolean>;
}

/** Starts etcd and kube-apiserver on free loopback ports and bootstraps users and RBAC. */
export async function startControlPlane(
  opts: StartOptions,
): Promise<RunningControlPlane> {
  const log = opts.log ?? (() => {});
  const started = performance.now();
  await checkEtcdFor(opts.binaries.etcd, opts.featureGates ?? {});
  // Before anything starts: its release decides its flags.
  const release = await binaryRelease(opts.binaries.kubeApiserver);
  applyFlags([], opts.apiserverFlags, "apiserverFlags"); // bad flags fail here, fast
  const dir = await Deno.makeTempDir({ prefix: "kube-test-" });
  // Removes the directory if this process is killed before stop().
  const janitor = opts.keepDir ? undefined : await removeWhenGone(dir);
  const stopJanitor = () => {
    try {
      janitor?.kill("SIGTERM");
    } catch {
      // already gone
    }
  };
  const pki = `${dir}/pki`;
  await Deno.mkdir(pki);
  const creds = await issueControlPlaneCredentials(pki);
  const { ca, admin, limited, tokens } = creds;

  const [etcdPort, peerPort, apiPort] = [freePort(), freePort(), freePort()];
  const server = `https://127.0.0.1:${apiPort}`;
  const children: Deno.ChildProcess[] = [];
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    for (const child of [...children].reverse()) await stopProcess(child);
    if (!opts.keepDir) await Deno.remove(dir, { recursive: true });
    stopJanitor();
  };
  const stopSync = () => {
    if (stopped) return;
    stopped = true;
    for (const child of children) {
      try {
        child.kill("SIGKILL");
      } catch {
        // already exited
      }
    }
    if (!opts.keepDir) Deno.removeSync(dir, { recursive: true });
    stopJanitor();
  };

  try {
    const etcd = await startEtcd(
      opts.binaries.etcd,
      dir,
      { client: etcdPort, peer: peerPort },
      children,
    );
    log(`etcd ready in ${Math.round(performance.now() - started)} ms`);

    const adminClient = Deno.createHttpClient({
      caCerts: [ca.certPem],
      cert: admin.certPem,
      key: admin.keyPem,
    });
    let apiserver: Deno.ChildProcess;
    try {
      apiserver = await startApiserver(
        opts.binaries.kubeApiserver,
        apiserverArgs({
          release,
          etcdUrl: etcd.url,
          port: apiPort,
          dir,
          creds,
          featureGates: opts.featureGates,
          flags: opts.apiserverFlags,
        }),
        dir,
        server,
        adminClient,
        children,
      );
      log(
        `kube-apiserver ${release.gitVersion} ready in ${
          Math.round(performance.now() - started)
        } ms`,
      );
      await bootstrap(server, adminClient);
    } finally {
      adminClient.close();
    }
    const kubeconfigs = await writeControlPlaneKubeconfigs(dir, server, creds);

    log(
      `control plane ready in ${
        Math.round(performance.now() - started)
      } ms (${dir})`,
    );
    return {
      server,
      caFile: ca.certFile,
      caPem: ca.certPem,
      etcdUrl: etcd.url,
      dir,
      users: {
        admin: { name: "kube-test-admin", ...admin },
        limited: { name: "kube-test-limited", ...limited },
      },
      tokens,
      kubeconfigs,
      limitedNamespace: LIMITED_NAMESPACE,
      binaries: opts.binaries,
      pids: { etcd: etcd.child.pid, apiserver: apiserver.pid },
      external: false,
      stop,
      stopSync,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
