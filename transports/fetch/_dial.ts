// A connection of our own to the API server, for what fetch cannot carry:
// tunnels (exec, attach, port-forward: a WebSocket whose handshake Status
// must be seen) and streamed GETs (watches, followed logs: one read per
// event). Same TLS and credentials as plain requests; trusts only the
// configured CA.

import type { AuthState } from "../../lib/auth/credentials.ts";
import type { KubeConfigContext } from "../../lib/config/context.ts";
import type { RequestTarget } from "../_request_base.ts";
import { type ByteConn, dialStrictTls, NodeJsTlsConn } from "../_strict_tls.ts";
import { type ConnectionPlan, strictTarget } from "./_plan.ts";

/** What a connection of our own needs from its client (tunnels and streamed GETs alike). */
export interface DialContext {
  /** The context whose credentials the connection presents. */
  ctx: KubeConfigContext;
  /** How to reach the server. */
  plan: ConnectionPlan;
  /** The client's log, if logging is on. */
  log: ((line: string) => void) | undefined;
  /** Turns a dial failure into the error to throw. */
  fail: (err: unknown, request: RequestTarget) => unknown;
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
 * @returns Whether {@link dial} can work.
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
export async function dial(
  auth: AuthState,
  request: RequestTarget,
  c: DialContext,
): Promise<ByteConn> {
  const d = c.plan.dial;
  try {
    if (!d.tls) {
      return await Deno.connect({ hostname: d.hostname, port: d.port });
    }
    if (c.plan.caCerts.length) {
      // Only the configured CA, as kubectl (Deno's TLS would add it to its roots).
      return new NodeJsTlsConn(
        await dialStrictTls(strictTarget(c.plan, auth, ["http/1.1"])),
      );
    }
    if (d.serverName) {
      // Deno.startTls verifies any name but cannot present a client certificate.
      if (auth.clientCert) {
        throw new Error(
          "connections of our own (tunnels, streamed GETs) with tls-server-name and a client certificate are not supported by Deno's TLS API without a certificate-authority",
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
