// Tunnels (exec, attach, port-forward) for the fetch transport: a WebSocket
// over a connection of our own, with the same TLS and credentials as plain
// requests (Deno's WebSocket cannot present client certificates, nor show a
// failed handshake's Status). Tunnels trust only the configured CA.

import type { KubernetesTunnel, RequestOptions } from "../../lib/contract.ts";
import { credentialsFor } from "../../lib/auth/credentials.ts";
import { KubernetesApiError, TransportError } from "../../lib/errors/mod.ts";
import { checkHeaders } from "../../lib/_wire/request_head.ts";
import { tunnelOn } from "../_websocket_tunnel.ts";
import { dial, type DialContext, hostHeader, requestPath } from "./_dial.ts";

/**
 * Opens a WebSocket tunnel, refreshing dynamic credentials once on 401.
 *
 * @param opts The request (its `expectTunnel` names the subprotocols).
 * @param path The path with the query merged in.
 * @param c The client's context, plan, log and error mapping.
 * @returns The tunnel, once the server has agreed on a subprotocol.
 * @throws {TransportError} Through a proxy-url, or when the dial fails.
 * @throws {KubernetesApiError} When the server refuses the upgrade.
 */
export async function openTunnel(
  opts: RequestOptions,
  path: string,
  c: DialContext,
): Promise<KubernetesTunnel> {
  const request = { method: opts.method, path };
  const d = c.plan.dial;
  if (d.viaProxy) {
    throw new TransportError(
      `${opts.method} ${path}: tunnels through a proxy-url are not supported`,
      { request, reason: "invalid-request" },
    );
  }
  let refreshed = false;
  for (;;) {
    opts.abortSignal?.throwIfAborted();
    const auth = await credentialsFor(c.ctx).get();
    const headers: [string, string][] = c.plan.staticHeaders.filter(([k]) =>
      k !== "accept-encoding"
    );
    if (auth.authorization) {
      headers.push(["authorization", auth.authorization]);
    }
    checkHeaders(request, [
      ...headers,
      ["sec-websocket-protocol", opts.expectTunnel!.join(", ")],
    ]);
    const conn = await dial(auth, request, c);
    const started = c.log ? performance.now() : 0;
    try {
      const tunnel = await tunnelOn(conn, {
        host: hostHeader(c.plan),
        path: requestPath(c.plan, path),
        protocols: opts.expectTunnel!,
        headers,
        request,
      }, opts);
      c.log?.(
        `${opts.method} ${path} 101 ${tunnel.subProtocol} ${
          Math.round(performance.now() - started)
        }ms`,
      );
      return tunnel;
    } catch (err) {
      c.log?.(
        `${opts.method} ${path} tunnel failed: ${
          err instanceof KubernetesApiError ? err.httpCode : "error"
        }`,
      );
      if (
        err instanceof KubernetesApiError && err.isUnauthorized() &&
        !refreshed && credentialsFor(c.ctx).invalidate(auth)
      ) {
        refreshed = true;
        continue;
      }
      throw err;
    }
  }
}
