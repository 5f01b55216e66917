/**
 * `kubectl port-forward` for code: a loopback TCP listener whose every
 * connection is carried to a pod's port through its own tunnel.
 *
 * Kubelets serve port-forward over WebSocket as the v4 channel protocol
 * (`v4.channel.k8s.io`, ports in the `ports=` query): channel 0 carries the
 * data and channel 1 the pod side's error text, each opening with the port
 * number. That protocol has no half-close: a forwarded connection ends when
 * the pod side closes it, the local side closes or fails, or the forward is
 * closed.
 *
 * Needs `--allow-net` for the local address (e.g. `--allow-net=127.0.0.1`)
 * on top of what the transport needs.
 *
 * @module
 */

import type { RestClient } from "../contract.ts";
import { TunnelError, type TunnelTarget } from "./tunnel_error.ts";
import {
  listenForward,
  openForwardTunnel,
  podPath,
  PORT_FORWARD_PROTOCOLS as PROTOCOLS,
} from "./_forward_listener.ts";

/** The subprotocols offered for port-forward: what kubelets accept. */
export const PORT_FORWARD_PROTOCOLS: string[] = PROTOCOLS;

/** What to forward. */
export interface PortForwardOptions {
  /** The pod's namespace. */
  namespace: string;
  /** The pod. */
  pod: string;
  /** The port in the pod. */
  remotePort: number;
  /** The local port. @default {0: any free port} */
  localPort?: number;
  /** The local address. @default {"127.0.0.1"} */
  hostname?: string;
  /**
   * Told about each connection that fails (nothing listens on the pod's
   * port, the pod went away, a tunnel refused): a {@link TunnelError} with
   * reason `PortForwardFailed`, or the transport's error.
   * @default {ignored}
   */
  onError?: (err: Error) => void;
  /**
   * Check before listening that the pod exists and is Running and that a
   * tunnel to it opens, so a dead target fails this call instead of the
   * first connection. Needs `get` on the pod.
   * @default {true}
   */
  verify?: boolean;
  /** Cancels the verification; after that, use {@link PortForward.close}. @default {none: the verification runs to its end} */
  signal?: AbortSignal;
  /** @deprecated Use `signal`, the name every helper of this library gives its abort signal. */
  abortSignal?: AbortSignal;
}

/** A running forward. */
export interface PortForward extends AsyncDisposable {
  /** The local port it listens on. */
  readonly localPort: number;
  /** The local address. */
  readonly hostname: string;
  /** Stops listening and closes every forwarded connection. */
  close(): Promise<void>;
}

/**
 * Throws a {@link TunnelError} (`PodNotRunning`) unless the pod is Running
 * and not being deleted; a missing pod throws the API's 404.
 *
 * @param client Any transport.
 * @param target The pod.
 * @param abortSignal Cancels the request.
 * @throws {TunnelError} When the pod exists but is not Running.
 * @throws {KubernetesApiError} When the pod cannot be read (404, 403).
 * @throws {PathSegmentError} When the pod's name or namespace cannot be one path segment.
 */
export async function assertPodRunning(
  client: RestClient,
  target: TunnelTarget,
  abortSignal?: AbortSignal,
): Promise<void> {
  const pod = await client.performRequest({
    method: "GET",
    path: podPath(target),
    expectJson: true,
    abortSignal,
  }) as {
    metadata?: { deletionTimestamp?: string };
    status?: { phase?: string; reason?: string };
  };
  const phase = pod.status?.phase ?? "Unknown";
  if (phase !== "Running") {
    const why = pod.status?.reason ? ` (${pod.status.reason})` : "";
    throw new TunnelError(
      "PodNotRunning",
      target,
      `the pod is ${phase}${why}, not Running`,
    );
  }
  if (pod.metadata?.deletionTimestamp) {
    throw new TunnelError(
      "PodNotRunning",
      target,
      "the pod is being deleted",
    );
  }
}

/**
 * Listens on a loopback port and forwards each connection to the pod.
 *
 * @param client Any transport that supports tunnels.
 * @param opts Pod, ports, address.
 * @returns The running forward; close it (or `await using`) to stop.
 * @throws {TunnelError} When the pod is not Running (`PodNotRunning`).
 * @throws {KubernetesApiError} When the pod is missing, or the server refuses the tunnel (403, 400 without a node).
 * @throws {PathSegmentError} When the pod's name or namespace cannot be one path segment (empty, `.`, `..`, `/`, `%`); nothing is sent.
 *
 * @example
 * ```ts
 * import { portForward } from "@denokube/transport/tunnels";
 * import type { RestClient } from "@denokube/transport/contract";
 *
 * async function forwardDatabase(client: RestClient): Promise<void> {
 *   await using fwd = await portForward(client, {
 *     namespace: "default",
 *     pod: "db-0",
 *     remotePort: 5432,
 *   });
 *   console.log(`psql -h 127.0.0.1 -p ${fwd.localPort}`);
 * }
 * ```
 */
export async function portForward(
  client: RestClient,
  opts: PortForwardOptions,
): Promise<PortForward> {
  const target = {
    namespace: opts.namespace,
    pod: opts.pod,
    port: opts.remotePort,
  };
  if (
    !Number.isInteger(opts.remotePort) || opts.remotePort < 1 ||
    opts.remotePort > 65535
  ) {
    throw new RangeError(
      `port-forward to ${opts.namespace}/${opts.pod}: remotePort must be an integer from 1 to 65535, got ${opts.remotePort}`,
    );
  }
  // Checks the namespace and pod name before anything is sent or listened on.
  podPath(target);
  if (opts.verify ?? true) {
    const signal = opts.signal ?? opts.abortSignal;
    await assertPodRunning(client, target, signal);
    const probe = await openForwardTunnel(client, target, signal);
    await probe.stop();
  }

  const listening = listenForward(client, {
    resolve: () => Promise.resolve(target),
    failed: () => false,
  }, opts);
  return {
    localPort: listening.localPort,
    hostname: listening.hostname,
    close: listening.close,
    [Symbol.asyncDispose]: listening.close,
  };
}
