/**
 * `kubectl port-forward` for code: a loopback TCP listener whose every
 * connection is carried to a pod's port through a `portforward.k8s.io`
 * tunnel.
 *
 * @module
 */

import type { RestClient } from "./contract.ts";

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
  /** Told about each connection that fails (a refused remote port, a tunnel error). @default {ignored} */
  onError?: (err: Error) => void;
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
 * Listens on a loopback port and forwards each connection to the pod.
 *
 * @param client Any transport that supports tunnels.
 * @param opts Pod, ports, address.
 * @returns The running forward; close it (or `await using`) to stop.
 *
 * @example
 * ```ts ignore
 * await using fwd = await portForward(client, { namespace: "default", pod: "db-0", remotePort: 5432 });
 * console.log(`psql -h 127.0.0.1 -p ${fwd.localPort}`);
 * ```
 */
export function portForward(
  client: RestClient,
  opts: PortForwardOptions,
): Promise<PortForward> {
  const hostname = opts.hostname ?? "127.0.0.1";
  const listener = Deno.listen({ hostname, port: opts.localPort ?? 0 });
  const stopping = new AbortController();
  const live = new Set<Promise<void>>();
  const conns = new Set<Deno.Conn>();
  const onError = opts.onError ?? (() => {});

  const forward = async (conn: Deno.Conn) => {
    conns.add(conn);
    try {
      const tunnel = await client.performRequest({
        method: "POST",
        path: `/api/v1/namespaces/${encodeURIComponent(opts.namespace)}/pods/${
          encodeURIComponent(opts.pod)
        }/portforward`,
        querystring: new URLSearchParams({ ports: String(opts.remotePort) }),
        expectTunnel: ["portforward.k8s.io"],
        abortSignal: stopping.signal,
      });
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
      const errorText = new Response(errors.readable).text();
      await Promise.allSettled([
        conn.readable.pipeTo(data.writable),
        data.readable.pipeTo(conn.writable),
      ]);
      const message = await errorText.catch(() => "");
      if (message) {
        onError(
          new Error(
            `port-forward to ${opts.pod}:${opts.remotePort}: ${message}`,
          ),
        );
      }
      await tunnel.stop();
    } catch (err) {
      if (!stopping.signal.aborted) {
        onError(err instanceof Error ? err : new Error(String(err)));
      }
    } finally {
      conns.delete(conn);
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
  return Promise.resolve({
    localPort: (listener.addr as Deno.NetAddr).port,
    hostname,
    close,
    [Symbol.asyncDispose]: close,
  });
}
