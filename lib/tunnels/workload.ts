/**
 * `kubectl logs deploy/NAME`, `kubectl logs -l app=web --prefix -f` and
 * `kubectl exec deploy/NAME` for code: logs and commands by workload (a
 * Service, Deployment, StatefulSet, DaemonSet, ReplicaSet or Job) or by
 * label selector instead of by pod name. The workload is resolved to pods
 * the way `portForwardService` does (its selector, then the pods it
 * matches; one shared resolver). Logs come from one pod (the Running and
 * Ready one Ready the longest, as port-forward picks) or from all of them
 * merged, each line prefixed `[pod/NAME/CONTAINER] ` as
 * `kubectl logs --prefix` writes it; with `follow`, the selector's pods are
 * watched and pods that start later are followed too.
 *
 * Permissions: whatever the transport needs; RBAC: `get` on the workload,
 * `list` and `watch` on pods, `get` on `pods/log`, `create` on `pods/exec`.
 *
 * @example Follow every pod of a Deployment, prefixed
 * ```ts
 * import { workloadLogs } from "@denokube/transport/tunnels";
 * import type { RestClient } from "@denokube/transport/contract";
 *
 * async function tail(client: RestClient): Promise<void> {
 *   const lines = await workloadLogs(client, { kind: "Deployment", name: "web" }, {
 *     namespace: "shop",
 *     allPods: true,
 *     follow: true,
 *     signal: AbortSignal.timeout(60_000),
 *   });
 *   for await (const line of lines) console.log(line); // [pod/web-7d9f-abcde/httpd] GET / 200
 * }
 * ```
 *
 * @module
 */

import type { RestClient } from "../contract.ts";
import type { JSONObject } from "../contract.ts";
import { errorText } from "../_internal/error_text.ts";
import { apiPath } from "../_wire/api_path.ts";
import { listWatch } from "../watch/list_watch.ts";
import { Reflector } from "../watch/reflector.ts";
import {
  execCommand,
  type ExecOptions,
  type ExecResult,
  type ExecSession,
  openExec,
} from "./exec.ts";
import { streamLogs, type StreamLogsOptions } from "./logs.ts";
import type { TunnelTarget } from "./tunnel_error.ts";
import { pickPod, type PodLike, podUsable } from "./_forward_resolve.ts";
import {
  listPods,
  readWorkload,
  type WorkloadRef,
  workloadVia,
} from "./_workload_pods.ts";

export type { WorkloadKind, WorkloadRef } from "./_workload_pods.ts";

/** What to read of a workload's logs. */
export interface WorkloadLogsOptions
  extends Omit<StreamLogsOptions, "abortSignal"> {
  /**
   * Every pod the selector matches, merged line by line (each whole line
   * from one pod; lines of different pods interleave as they arrive). Off,
   * one pod: the Running and Ready pod Ready the longest, else the first
   * by name, as `kubectl logs deploy/NAME` reads one.
   * @default {false}
   */
  allPods?: boolean;
  /**
   * Prefix each line with `[pod/NAME/CONTAINER] `, as
   * `kubectl logs --prefix` does.
   * @default {true with `allPods`, else false}
   */
  prefix?: boolean;
  /**
   * With `allPods` and `follow`: told about a pod whose log could not be
   * read (it is tried again when the pod changes); the others go on.
   * Without `follow` such a failure errors the stream.
   * @default {ignored}
   */
  onError?: (err: Error) => void;
}

type Pod = PodLike & {
  metadata?: {
    name?: string;
    annotations?: Record<string, string>;
    uid?: string;
  };
  spec?: { containers?: { name?: string }[] };
};

/** The container kubectl reads when none is named: the annotated default, else the first. */
function containerOf(pod: Pod, want: string | undefined): string | undefined {
  return want ??
    pod.metadata?.annotations?.["kubectl.kubernetes.io/default-container"] ??
    pod.spec?.containers?.[0]?.name;
}

/** A pod whose containers have started, so its log can be read. */
function started(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase === "Running" || phase === "Succeeded" || phase === "Failed";
}

/**
 * Streams the logs of a workload's pods as lines: of one pod, or of all
 * of them merged with a `[pod/NAME/CONTAINER] ` prefix per line.
 *
 * @param client Any transport.
 * @param workload A workload by kind and name, or `{ selector: "app=web" }`.
 * @param opts Namespace, all pods or one, prefix, and what {@link streamLogs} takes (container, follow, tail, since, timestamps, signal).
 * @returns A stream of lines; cancel it (or `break` out of `for await`) to stop every pod's log.
 * @throws {TunnelError} `NoSelector` for a Service without one (or ExternalName), `NoReadyPod` when no pod has started (without `follow` and `allPods`; with both, pods are waited for).
 * @throws {LogError} For one pod's refused log (such as `ContainerNotFound`).
 * @throws {KubernetesApiError} When the workload is missing (404) or access is refused (403).
 */
export async function workloadLogs(
  client: RestClient,
  workload: WorkloadRef,
  opts: WorkloadLogsOptions = {},
): Promise<ReadableStream<string>> {
  const namespace = opts.namespace ?? client.defaultNamespace ?? "default";
  const via = workloadVia(workload);
  const where: TunnelTarget = { namespace, pod: "", via };
  const { selector } = await readWorkload(
    client,
    namespace,
    workload,
    where,
    opts.signal,
  );
  const prefix = opts.prefix ?? !!opts.allPods;
  const { allPods: _a, prefix: _p, onError: _e, ...logOpts } = opts;
  const open = async (pod: Pod, signal?: AbortSignal) => {
    const name = pod.metadata!.name!;
    const container = containerOf(pod, opts.container);
    const lines = await streamLogs(client, { name, namespace }, {
      ...logOpts,
      ...(container ? { container } : {}),
      signal,
    });
    if (!prefix) return lines;
    const tag = `[pod/${name}/${container}] `;
    return lines.pipeThrough(
      new TransformStream<string, string>({
        transform: (line, out) => out.enqueue(tag + line),
      }),
    );
  };

  if (!opts.allPods) {
    const pods =
      (await listPods(client, namespace, selector, opts.signal)) as Pod[];
    const pod = pods.some(podUsable)
      ? pickPod(pods, selector, where) as Pod
      : pods.filter(started).sort((a, b) =>
        (a.metadata?.name ?? "").localeCompare(b.metadata?.name ?? "")
      )[0];
    if (!pod) pickPod(pods, selector, where); // throws NoReadyPod, naming the pods
    return await open(pod, opts.signal);
  }
  return mergedLogs(client, namespace, selector, opts, open);
}

/** Every started pod's log, merged; with `follow`, pods that start later join. */
function mergedLogs(
  client: RestClient,
  namespace: string,
  selector: string,
  opts: WorkloadLogsOptions,
  open: (pod: Pod, signal?: AbortSignal) => Promise<ReadableStream<string>>,
): ReadableStream<string> {
  const stop = new AbortController();
  const signal = opts.signal
    ? AbortSignal.any([opts.signal, stop.signal])
    : stop.signal;
  /** Pods whose log is being read, by uid (a pod replaced under its name is another pod). */
  const reading = new Set<string>();
  const pumps = new Set<Promise<void>>();
  let out!: ReadableStreamDefaultController<string>;
  let closed = false;
  /** Resolved by the consumer's next pull (or the end): the pumps wait on it while the queue is full. */
  let room: PromiseWithResolvers<void> | undefined;
  const freeRoom = () => {
    room?.resolve();
    room = undefined;
  };
  // A slow consumer holds every pod's log where it is (each log's own
  // stream, and its connection, stop being read): memory stays bounded by
  // the queue plus one line per pod, as with one pod's log.
  const roomForALine = async () => {
    while (!closed && (out.desiredSize ?? 1) <= 0) {
      room ??= Promise.withResolvers<void>();
      await room.promise;
    }
  };
  const finish = (err?: unknown) => {
    if (closed) return;
    closed = true;
    stop.abort();
    freeRoom();
    if (err !== undefined) out.error(err);
    else out.close();
  };
  const follow = (pod: Pod) => {
    const key = pod.metadata?.uid ?? pod.metadata?.name ?? "";
    if (closed || reading.has(key) || !started(pod)) return;
    reading.add(key);
    const pump = (async () => {
      try {
        for await (const line of await open(pod, signal)) {
          await roomForALine();
          if (closed) return;
          out.enqueue(line);
        }
      } catch (err) {
        if (closed || signal.aborted) return;
        if (!opts.follow) return finish(err);
        opts.onError?.(
          err instanceof Error ? err : new Error(errorText(err)),
        );
      } finally {
        // A pod whose container restarts (a new log) is read again on its next change.
        reading.delete(key);
      }
    })();
    pumps.add(pump);
    pump.finally(() => pumps.delete(pump));
  };

  const run = async () => {
    if (!opts.follow) {
      const pods = await listPods(client, namespace, selector, signal);
      for (const pod of pods as Pod[]) follow(pod);
      while (pumps.size) await Promise.all([...pumps]);
      return finish();
    }
    // Follow: the library's one list/watch loop on the selector's pods.
    const { lister, watcher } = listWatch<JSONObject>(
      client,
      apiPath({ version: "v1", resource: "pods", namespace }),
    );
    const reflector = new Reflector<JSONObject>(lister, watcher, {
      labelSelector: selector,
    });
    const running = reflector.run(signal);
    try {
      for await (const evt of reflector.observeAll()) {
        if (evt.type === "ADDED" || evt.type === "MODIFIED") {
          follow(evt.object as unknown as Pod);
        }
      }
    } finally {
      reflector.stop();
      await running;
    }
    finish();
  };

  return new ReadableStream<string>({
    start(controller) {
      out = controller;
      run().catch((err) => finish(signal.aborted ? undefined : err));
    },
    pull: freeRoom,
    cancel() {
      closed = true;
      stop.abort();
      freeRoom();
    },
  }, new CountQueuingStrategy({ highWaterMark: MERGED_LINES_QUEUED }));
}

/** Lines a merged log holds for a consumer that is behind (then every pod's log waits). */
const MERGED_LINES_QUEUED = 256;

/** What to run in a workload's pod. */
export interface WorkloadExecOptions
  extends Omit<ExecOptions, "pod" | "namespace" | "stdin" | "tty"> {
  /** The namespace. @default {the client's `defaultNamespace`, then `"default"`} */
  namespace?: string;
  /** Data to send on stdin, then EOF (needs v5.channel.k8s.io, Kubernetes ≥ 1.30, as {@link execCommand}). @default {no stdin} */
  stdin?: Uint8Array | string;
}

/**
 * Runs a command to completion in a Running and Ready pod of a workload
 * (the one Ready the longest), as `kubectl exec deploy/NAME -- …` does.
 *
 * @param client Any transport that supports tunnels.
 * @param workload A workload by kind and name, or `{ selector: "app=web" }`.
 * @param opts The command, container, namespace, stdin, signal.
 * @returns Output and exit code, and the pod it ran in.
 * @throws {TunnelError} `NoReadyPod` naming the pods seen, `NoSelector`.
 * @throws {KubernetesApiError} When the workload is missing or the server refuses the exec.
 *
 * @example
 * ```ts
 * import { execWorkload } from "@denokube/transport/tunnels";
 * import type { RestClient } from "@denokube/transport/contract";
 *
 * async function migrate(client: RestClient): Promise<number> {
 *   const r = await execWorkload(client, { kind: "Deployment", name: "api" }, { namespace: "shop", command: ["./migrate"] });
 *   return r.exitCode;
 * }
 * ```
 */
export async function execWorkload(
  client: RestClient,
  workload: WorkloadRef,
  opts: WorkloadExecOptions,
): Promise<ExecResult & { pod: string }> {
  const { namespace, pod } = await readyPodOf(client, workload, opts);
  const { namespace: _n, ...rest } = opts;
  return { ...(await execCommand(client, { ...rest, namespace, pod })), pod };
}

/** What to start in a workload's pod, streams and all. */
export interface WorkloadOpenExecOptions
  extends Omit<ExecOptions, "pod" | "namespace"> {
  /** The namespace. @default {the client's `defaultNamespace`, then `"default"`} */
  namespace?: string;
}

/**
 * Starts a command in a Running and Ready pod of a workload (the one Ready
 * the longest, as {@link execWorkload} picks) and returns its streams, as
 * {@link openExec} does for a pod by name: `kubectl exec -it deploy/NAME`
 * for code (interactive shells, TTYs, piping data in and out).
 *
 * @param client Any transport that supports tunnels.
 * @param workload A workload by kind and name, or `{ selector: "app=web" }`.
 * @param opts The command, container, namespace, stdin, tty, protocols, signal.
 * @returns The session, and the pod it runs in.
 * @throws {TunnelError} `NoReadyPod` naming the pods seen, `NoSelector`; `StdinCloseUnsupported` when only v5 is offered to a v4 server.
 * @throws {KubernetesApiError} When the workload is missing or the server refuses the exec.
 *
 * @example
 * ```ts
 * import { openExecWorkload } from "@denokube/transport/tunnels";
 * import type { RestClient } from "@denokube/transport/contract";
 *
 * async function shell(client: RestClient): Promise<number> {
 *   const session = await openExecWorkload(client, { kind: "StatefulSet", name: "db" }, {
 *     namespace: "shop",
 *     command: ["sh"],
 *     stdin: true,
 *     tty: true,
 *   });
 *   console.log(`connected to ${session.pod}`);
 *   const w = session.stdin!.getWriter();
 *   await w.write(new TextEncoder().encode("exit 3\n"));
 *   const { exitCode } = await session.status;
 *   await session.stop();
 *   return exitCode;
 * }
 * ```
 */
export async function openExecWorkload(
  client: RestClient,
  workload: WorkloadRef,
  opts: WorkloadOpenExecOptions,
): Promise<ExecSession & { pod: string }> {
  const { namespace, pod } = await readyPodOf(client, workload, opts);
  const { namespace: _n, ...rest } = opts;
  return { ...(await openExec(client, { ...rest, namespace, pod })), pod };
}

/** The workload's Running and Ready pod Ready the longest, for exec. */
async function readyPodOf(
  client: RestClient,
  workload: WorkloadRef,
  opts: { namespace?: string; signal?: AbortSignal },
): Promise<{ namespace: string; pod: string }> {
  const namespace = opts.namespace ?? client.defaultNamespace ?? "default";
  const where: TunnelTarget = {
    namespace,
    pod: "",
    via: workloadVia(workload),
  };
  const { selector } = await readWorkload(
    client,
    namespace,
    workload,
    where,
    opts.signal,
  );
  const pods = await listPods(client, namespace, selector, opts.signal);
  return { namespace, pod: pickPod(pods, selector, where).metadata!.name! };
}
