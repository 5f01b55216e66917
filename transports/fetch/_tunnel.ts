// Tunnels (exec, attach, port-forward) for the fetch transport: a WebSocket
// over a connection of our own, with the same TLS and credentials as plain
// requests (Deno's WebSocket cannot present client certificates, nor show a
// failed handshake's Status). Tunnels trust only the configured CA.

import type { KubernetesTunnel, RequestOptions } from "../../lib/contract.ts";
import { type AuthState, credentialsFor } from "../../lib/auth/credentials.ts";
import { KubernetesApiError, TransportError } from "../../lib/errors/mod.ts";
import type { KubeConfigContext } from "../../lib/config/mod.ts";
import { checkHeaders } from "../../lib/_wire/request_head.ts";
import type { RequestTarget } from "../_request_base.ts";
import {
  type ByteConn,
  dialStrictTls,
  NodeSocketConn,
} from "../_strict_tls.ts";
import { tunnelOn } from "../_websocket_tunnel.ts";
import { type ConnectionPlan, strictTarget } from "./_plan.ts";

/** What a tunnel needs from its client. */
export interface TunnelContext {
  /** The context whose credentials the tunnel presents. */
  ctx: KubeConfigContext;
  /** How to reach the server. */
  plan: ConnectionPlan;
  /** The client's log, if logging is on. */
  log: ((line: string) => void) | undefined;
  /** Turns a dial failure into the error to throw. */
  fail: (err: unknown, request: RequestTarget) => unknown;
}

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
  c: TunnelContext,
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
    const conn = await dialTunnel(auth, request, c);
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

/**
 * The Host header for a connection of our own.
 *
 * @param plan How the server is reached.
 * @returns `host:port`, with the TLS name when there is one.
 */
export function hostHeader(plan: ConnectionPlan): string {
  const d = plan.dial;
  return d.serverName
    ? `${d.serverName}:${d.port}`
    : `${d.hostname.includes(":") ? `[${d.hostname}]` : d.hostname}:${d.port}`;
}

/**
 * The request target on a connection of our own: the server's base path
 * first, non-ASCII percent-encoded as fetch's URL parser would.
 *
 * @param plan How the server is reached.
 * @param path The request's path and query.
 * @returns What goes on the request line.
 */
export function requestPath(plan: ConnectionPlan, path: string): string {
  return plan.dial.basePath +
    path.replace(/[\u0080-\u{10ffff}]+/gu, encodeURI);
}

/**
 * Whether a connection of our own can be dialled with these credentials:
 * Deno's TLS cannot verify another name and present a certificate at once.
 *
 * @param plan How the server is reached.
 * @param auth The credentials to present.
 * @returns Whether {@link dialTunnel} can work.
 */
export function canDial(plan: ConnectionPlan, auth: AuthState): boolean {
  const d = plan.dial;
  return !d.viaProxy &&
    !(d.tls && !plan.caCerts.length && d.serverName && auth.clientCert);
}

/**
 * A connection of our own (tunnels, streamed GETs): TCP, strict TLS with
 * the CA alone, or Deno's TLS.
 *
 * @param auth The credentials (a client certificate is presented).
 * @param request For errors.
 * @param c The client's plan and error mapping.
 * @returns The connection, TLS negotiated with ALPN http/1.1.
 * @throws What `c.fail` makes of a failed dial.
 */
export async function dialTunnel(
  auth: AuthState,
  request: RequestTarget,
  c: TunnelContext,
): Promise<ByteConn> {
  const d = c.plan.dial;
  try {
    if (!d.tls) {
      return await Deno.connect({ hostname: d.hostname, port: d.port });
    }
    if (c.plan.caCerts.length) {
      // Only the configured CA, as kubectl (Deno's TLS would add it to its roots).
      return new NodeSocketConn(
        await dialStrictTls(strictTarget(c.plan, auth, ["http/1.1"])),
      );
    }
    if (d.serverName) {
      // Deno.startTls verifies any name but cannot present a client certificate.
      if (auth.clientCert) {
        throw new Error(
          "tunnels with tls-server-name and a client certificate are not supported by Deno's TLS API without a certificate-authority",
        );
      }
      const tcp = await Deno.connect({ hostname: d.hostname, port: d.port });
      return await Deno.startTls(tcp, {
        hostname: d.serverName,
        alpnProtocols: ["http/1.1"],
      });
    }
    const base = {
      hostname: d.hostname,
      port: d.port,
      alpnProtocols: ["http/1.1"],
    };
    return auth.clientCert
      ? await Deno.connectTls({
        ...base,
        cert: auth.clientCert.cert,
        key: auth.clientCert.key,
      })
      : await Deno.connectTls(base);
  } catch (err) {
    throw c.fail(err, request);
  }
}
