/**
 * `kubectl port-forward svc/NAME` and `deploy/NAME` for code: resolve a
 * Service's (or Deployment's) selector to a Running and Ready pod and the
 * port behind the one asked for (a Service's `targetPort`, named ports
 * looked up in the pod's containers), then forward a loopback port to it as
 * {@link portForward} does. With `reconnect`, a replaced pod is followed:
 * each new connection first checks its pod is still usable, and resolves
 * again when it is not or when the last connection to it failed.
 *
 * Needs `--allow-net` for the local address (e.g. `--allow-net=127.0.0.1`)
 * on top of what the transport needs; RBAC: `get` on the Service or
 * Deployment, `list` and `get` on pods, `create` on `pods/portforward`.
 *
 * @module
 */

import type { RestClient } from "../contract.ts";
import { KubernetesApiError } from "../errors/mod.ts";
import type { TunnelTarget } from "./tunnel_error.ts";
import type { PortForward } from "./port_forward.ts";
import {
  type ForwardTarget,
  listenForward,
  openForwardTunnel,
  podPath,
} from "./_forward_listener.ts";
import {
  asObj,
  pickPod,
  type PodLike,
  podPort,
  podUsable,
  servicePort,
  type ServicePortLike,
} from "./_forward_resolve.ts";
import { listPods, readWorkload } from "./_workload_pods.ts";

/** What every forward to a workload takes. */
export interface WorkloadForwardOptions {
  /** The namespace. @default {the client's `defaultNamespace`, then `"default"`} */
  namespace?: string;
  /** The local port. @default {0: any free port} */
  localPort?: number;
  /** The local address. @default {"127.0.0.1"} */
  hostname?: string;
  /**
   * Follow a replaced pod: before each connection check (one `get`) that
   * the pod is still Running, Ready and not being deleted, and resolve the
   * workload again when it is not, or when the last connection to it
   * failed; a connection whose tunnel cannot open is retried once on a
   * freshly resolved pod. Off, every connection goes to the pod resolved
   * at the start, like `kubectl port-forward`.
   * @default {false}
   */
  reconnect?: boolean;
  /**
   * Told about each connection that fails: a {@link TunnelError}
   * (`PortForwardFailed`, or `NoReadyPod` when reconnecting finds no pod),
   * or the transport's error.
   * @default {ignored}
   */
  onError?: (err: Error) => void;
  /** Cancels the resolution and verification; after that, use {@link PortForward.close}. @default {none: they run to their end} */
  signal?: AbortSignal;
  /** @deprecated Use `signal`, the name every helper of this library gives its abort signal. */
  abortSignal?: AbortSignal;
}

/** Forward to a Service. */
export interface ServiceForwardOptions extends WorkloadForwardOptions {
  /** The Service. */
  service: string;
  /**
   * The Service port, by number (`spec.ports[].port`) or name; its
   * `targetPort` is what the pod listens on.
   * @default {the Service's only port}
   */
  port?: number | string;
}

/** Forward to a Deployment. */
export interface DeploymentForwardOptions extends WorkloadForwardOptions {
  /** The Deployment. */
  deployment: string;
  /** The port in the pod, by number or by a container port's name. */
  port: number | string;
}

/** A running forward to a workload, with the pod it currently goes to. */
export interface WorkloadPortForward extends PortForward {
  /** The pod connections currently go to. */
  readonly pod: string;
  /** The port in that pod. */
  readonly remotePort: number;
}

interface Workload {
  via: string;
  /** The selector and the port in the pods (a number or a container port's name), read fresh. */
  read(signal?: AbortSignal): Promise<{
    selector: string;
    port: number | string;
  }>;
}

function checkPort(
  port: number | string | undefined,
  where: TunnelTarget,
): void {
  if (typeof port !== "number") return;
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new RangeError(
      `port-forward to ${where.namespace}/${where.via}: port must be an integer from 1 to 65535, got ${port}`,
    );
  }
}

/**
 * Forwards a loopback port to a Service: to the port behind its `port`
 * (`targetPort`, a name looked up in the pod's containers) on a Running
 * and Ready pod its selector matches. Before resolving it checks that the
 * pod is usable and that a first tunnel opens, so a dead target fails here.
 *
 * @param client Any transport that carries port-forward tunnels.
 * @param opts The Service, its port, local port, reconnect.
 * @returns The running forward; close it (or `await using`) to stop.
 * @throws {TunnelError} `NoSelector`, `NoReadyPod` or `PortNotFound`, naming the Service.
 * @throws {KubernetesApiError} When the Service is missing (404), access is refused (403), or the tunnel is refused.
 * @throws {RangeError} When a port number is out of range.
 * @throws {PathSegmentError} When the Service's name or the namespace cannot be one path segment (empty, `.`, `..`, `/`, `%`); nothing is sent.
 *
 * @example Fetch a page through a Service
 * ```ts
 * import { portForwardService } from "@denokube/transport/tunnels";
 * import type { RestClient } from "@denokube/transport/contract";
 *
 * async function home(client: RestClient): Promise<string> {
 *   await using fwd = await portForwardService(client, {
 *     namespace: "shop",
 *     service: "web",
 *     port: "http",
 *     reconnect: true,
 *   });
 *   const res = await fetch(`http://127.0.0.1:${fwd.localPort}/`);
 *   return await res.text();
 * }
 * ```
 */
export async function portForwardService(
  client: RestClient,
  opts: ServiceForwardOptions,
): Promise<WorkloadPortForward> {
  const namespace = opts.namespace ?? client.defaultNamespace ?? "default";
  const via = `service/${opts.service}`;
  const where = { namespace, pod: "", via };
  checkPort(opts.port, where);
  return await forwardWorkload(client, namespace, opts, {
    via,
    read: async (signal) => {
      const { selector, object } = await readWorkload(
        client,
        namespace,
        { kind: "Service", name: opts.service },
        where,
        signal,
      );
      const spec = asObj(object.spec);
      const chosen = servicePort(
        (Array.isArray(spec.ports) ? spec.ports : []) as ServicePortLike[],
        opts.port,
        where,
      );
      return { selector, port: chosen.targetPort ?? chosen.port! };
    },
  });
}

/**
 * Forwards a loopback port to a Deployment: to `port` (a number, or a
 * container port's name) on a Running and Ready pod its selector matches.
 * Before resolving it checks that the pod is usable and that a first
 * tunnel opens, so a dead target fails here.
 *
 * @param client Any transport that carries port-forward tunnels.
 * @param opts The Deployment, the port, local port, reconnect.
 * @returns The running forward; close it (or `await using`) to stop.
 * @throws {TunnelError} `NoSelector`, `NoReadyPod` or `PortNotFound`, naming the Deployment.
 * @throws {KubernetesApiError} When the Deployment is missing (404), access is refused (403), or the tunnel is refused.
 * @throws {RangeError} When the port number is out of range.
 * @throws {PathSegmentError} When the Deployment's name or the namespace cannot be one path segment (empty, `.`, `..`, `/`, `%`); nothing is sent.
 *
 * @example
 * ```ts
 * import { portForwardDeployment } from "@denokube/transport/tunnels";
 * import type { RestClient } from "@denokube/transport/contract";
 *
 * async function debugPort(client: RestClient): Promise<void> {
 *   await using fwd = await portForwardDeployment(client, {
 *     namespace: "shop",
 *     deployment: "api",
 *     port: 9229,
 *   });
 *   console.log(`inspector on 127.0.0.1:${fwd.localPort} (pod ${fwd.pod})`);
 * }
 * ```
 */
export async function portForwardDeployment(
  client: RestClient,
  opts: DeploymentForwardOptions,
): Promise<WorkloadPortForward> {
  const namespace = opts.namespace ?? client.defaultNamespace ?? "default";
  const via = `deployment/${opts.deployment}`;
  const where = { namespace, pod: "", via };
  checkPort(opts.port, where);
  return await forwardWorkload(client, namespace, opts, {
    via,
    read: async (signal) => {
      const { selector } = await readWorkload(
        client,
        namespace,
        { kind: "Deployment", name: opts.deployment },
        where,
        signal,
      );
      return { selector, port: opts.port };
    },
  });
}

async function forwardWorkload(
  client: RestClient,
  namespace: string,
  opts: WorkloadForwardOptions,
  workload: Workload,
): Promise<WorkloadPortForward> {
  const resolve = async (signal?: AbortSignal): Promise<ForwardTarget> => {
    const { selector, port } = await workload.read(signal);
    const pods = await listPods(client, namespace, selector, signal);
    const where = { namespace, pod: "", via: workload.via };
    const pod = pickPod(pods, selector, where);
    const name = pod.metadata!.name!;
    return {
      namespace,
      pod: name,
      port: podPort(pod, port, { ...where, pod: name }),
      via: workload.via,
    };
  };

  const setupSignal = opts.signal ?? opts.abortSignal;
  let current = await resolve(setupSignal);
  // Verify: the tunnel opens (the pod was Running and Ready a moment ago).
  const probe = await openForwardTunnel(client, current, setupSignal);
  await probe.stop();

  let stale = false;
  // Connections that find the pod gone at once share one resolution.
  let resolving: Promise<ForwardTarget> | undefined;
  const stillUsable = async (signal: AbortSignal) => {
    try {
      return podUsable(
        await client.performRequest({
          method: "GET",
          path: podPath(current),
          expectJson: true,
          abortSignal: signal,
        }) as PodLike,
      );
    } catch (err) {
      if (err instanceof KubernetesApiError && err.isNotFound()) return false;
      throw err;
    }
  };
  const reconnect = opts.reconnect ?? false;
  const listening = listenForward(client, {
    resolve: async (signal) => {
      if (!reconnect) return current;
      if (resolving) return await resolving;
      if (!stale && await stillUsable(signal)) return current;
      resolving ??= resolve(signal).then((t) => {
        current = t;
        stale = false;
        return t;
      }).finally(() => resolving = undefined);
      return await resolving;
    },
    failed: (target, beforeData) => {
      if (!reconnect) return false;
      if (target === current) stale = true;
      return beforeData;
    },
  }, opts);
  return {
    localPort: listening.localPort,
    hostname: listening.hostname,
    get pod() {
      return current.pod;
    },
    get remotePort() {
      return current.port;
    },
    close: listening.close,
    [Symbol.asyncDispose]: listening.close,
  };
}
