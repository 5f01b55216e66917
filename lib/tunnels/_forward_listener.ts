// The loopback listener behind portForward and its Service / Deployment
// variants: each accepted connection asks its target source where to go,
// opens its own v4.channel.k8s.io tunnel there and copies bytes both ways.
// The source hears about every failed connection, so a source that follows
// a Service can pick another pod.

import type { KubernetesTunnel, RestClient } from "../contract.ts";
import { TunnelError, type TunnelTarget } from "./tunnel_error.ts";
import { apiPath } from "../_wire/api_path.ts";

/** The subprotocols offered for port-forward: what kubelets accept. */
export const PORT_FORWARD_PROTOCOLS: string[] = ["v4.channel.k8s.io"];

/** A pod and the port in it. */
export type ForwardTarget = TunnelTarget & { port: number };

/** Where connections go. */
export interface TargetSource {
  /** The target for a new connection. */
  resolve(signal: AbortSignal): Promise<ForwardTarget>;
  /**
   * A connection to `target` failed. `beforeData`: its tunnel did not open,
   * so nothing was sent and the connection may be retried elsewhere.
   * @returns Whether to resolve again and retry this connection once.
   */
  failed(target: ForwardTarget, beforeData: boolean): boolean;
}

/**
 * What {@link listenForward} needs besides the source: the forwarders'
 * own options, taken as they are so each forwarder does not repeat the
 * defaults.
 */
export interface ListenOptions {
  /** @default {"127.0.0.1"} (loopback: a forward is not for the network) */
  hostname?: string;
  /** @default {0} (any free port) */
  localPort?: number;
  /** @default {ignoring it} (a failed connection closes; the listener stays) */
  onError?: (err: Error) => void;
}

/** A running listener. */
export interface Listening {
  localPort: number;
  hostname: string;
  close(): Promise<void>;
}

/**
 * The path of a pod, or of one of its subresources.
 *
 * @throws {PathSegmentError} When the namespace or pod cannot be one path segment.
 */
export function podPath(t: TunnelTarget, subresource?: string): string {
  return apiPath({
    version: "v1",
    resource: "pods",
    namespace: t.namespace,
    name: t.pod,
    subresource,
  });
}

/** Opens one port-forward tunnel to the target (channels not yet set up). */
export async function openForwardTunnel(
  client: RestClient,
  target: ForwardTarget,
  abortSignal: AbortSignal | undefined,
): Promise<KubernetesTunnel> {
  return await client.performRequest({
    method: "POST",
    path: podPath(target, "portforward"),
    querystring: new URLSearchParams({ ports: String(target.port) }),
    expectTunnel: PORT_FORWARD_PROTOCOLS,
    abortSignal,
  });
}

/** Listens and forwards every connection; `close()` ends all of them. */
export function listenForward(
  client: RestClient,
  source: TargetSource,
  opts: ListenOptions,
): Listening {
  const hostname = opts.hostname ?? "127.0.0.1";
  const onError = opts.onError ?? (() => {});
  const listener = Deno.listen({ hostname, port: opts.localPort ?? 0 });
  const stopping = new AbortController();
  const live = new Set<Promise<void>>();
  const conns = new Set<Deno.Conn>();
  const report = (err: unknown) => {
    if (stopping.signal.aborted) return;
    onError(err instanceof Error ? err : new Error(String(err)));
  };

  /** A tunnel with its channels up, retried once elsewhere when the source says so. */
  const connect = async () => {
    for (let attempt = 0;; attempt++) {
      const target = await source.resolve(stopping.signal);
      let tunnel: KubernetesTunnel | undefined;
      try {
        tunnel = await openForwardTunnel(client, target, stopping.signal);
        const data = await tunnel.getChannel({
          streamIndex: 0,
          readable: true,
          writable: true,
        });
        const errors = await tunnel.getChannel({
          streamIndex: 1,
          readable: true,
          writable: false,
        });
        await tunnel.ready();
        return { target, tunnel, data, errors };
      } catch (err) {
        await tunnel?.stop().catch(() => {});
        if (stopping.signal.aborted) throw err;
        if (source.failed(target, true) && attempt === 0) continue;
        throw err;
      }
    }
  };

  const forward = async (conn: Deno.Conn) => {
    conns.add(conn);
    let tunnel: KubernetesTunnel | undefined;
    try {
      const up = await connect();
      const { target, data, errors } = up;
      const t = tunnel = up.tunnel;
      // The pod side's error ends the connection at once: nothing more will come.
      const errorText = new Response(errors.readable).text().then(
        (text) => {
          if (text) void t.stop();
          return text;
        },
        () => "",
      );
      // Local → pod ends at the local EOF without ending the tunnel (no half-close in v4);
      // pod → local ends the connection.
      const upstream = conn.readable.pipeTo(data.writable, {
        preventClose: true,
      }).catch(() => {});
      await data.readable.pipeTo(conn.writable).catch(() => {});
      const message = await errorText;
      if (message && !stopping.signal.aborted) {
        source.failed(target, false);
        report(
          new TunnelError(
            "PortForwardFailed",
            target,
            `the pod side failed: ${message}`,
          ),
        );
      }
      await t.stop();
      await upstream;
    } catch (err) {
      report(err);
    } finally {
      conns.delete(conn);
      await tunnel?.stop().catch(() => {});
      try {
        conn.close();
      } catch {
        // closed by pipeTo
      }
    }
  };

  const accepting = (async () => {
    try {
      for await (const conn of listener) {
        const p = forward(conn);
        live.add(p);
        p.finally(() => live.delete(p));
      }
    } catch {
      // listener closed
    }
  })();

  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    stopping.abort();
    listener.close();
    for (const c of conns) {
      try {
        c.close();
      } catch {
        // already closed
      }
    }
    await accepting;
    await Promise.allSettled([...live]);
  };
  return { localPort: (listener.addr as Deno.NetAddr).port, hostname, close };
}
