// Streamed GETs (watches, followed logs) for the fetch transport, over a
// connection of our own: fetch hands a body over one HTTP chunk per read,
// and the apiserver sends one chunk per watch event; a socket read takes
// every event that has arrived (see ../_http1_stream.ts).

import type { AuthState } from "../../lib/auth/credentials.ts";
import type { RequestTarget } from "../_request_base.ts";
import { getOverConnection } from "../_http1_stream.ts";
import {
  canDial,
  dial,
  type DialContext,
  hostHeader,
  requestPath,
} from "./_dial.ts";
import { abortable } from "../../lib/_internal/delay.ts";

/**
 * Whether a streamed GET goes over a connection of our own: wherever a
 * connection of our own can be dialled, unless fetch would take a proxy (a `proxy-url`,
 * or one from the environment) or the caller gave an HttpClient of its own.
 *
 * @param c The client's plan.
 * @param auth The credentials to present.
 * @param ownClient Whether the caller passed an HttpClient.
 * @returns Whether {@link streamGet} is the way.
 */
export function streamsOnOwnConnection(
  c: DialContext,
  auth: AuthState,
  ownClient: boolean,
): boolean {
  return !ownClient && !proxyFromEnv() && canDial(c.plan, auth);
}

/**
 * Sends a GET whose body is streamed, on a connection of our own.
 *
 * @param request The method and path (with the query).
 * @param headers The request's headers (accept-encoding is replaced by identity).
 * @param auth The credentials (a client certificate is presented).
 * @param signal Ends the dial, the head's wait and (through the body's owner) the body.
 * @param c The client's plan and error mapping.
 * @returns The response; its body is a byte stream over the connection.
 * @throws The signal's reason when it aborts; what `c.fail` makes of a failed dial.
 * @throws {TransportError} When the answer is not HTTP/1.1 or ends early.
 */
export async function streamGet(
  request: RequestTarget,
  headers: [string, string][],
  auth: AuthState,
  signal: AbortSignal | undefined,
  c: DialContext,
): Promise<Response> {
  const dialing = dial(auth, request, c);
  // A dial the abort overtook is closed when it completes.
  dialing.then((conn) => signal?.aborted && conn.close(), () => {});
  const conn = await abortable(dialing, signal);
  // An abort before the head is in closes the connection; afterwards the
  // body's owner does.
  const onAbort = () => conn.close();
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    return await getOverConnection(conn, {
      target: requestPath(c.plan, request.path),
      host: hostHeader(c.plan),
      // A body read here is never compressed.
      headers: [
        ...headers.filter(([k]) => k !== "accept-encoding"),
        ["accept-encoding", "identity"],
      ],
      request,
    });
  } catch (err) {
    throw signal?.aborted ? signal.reason : err;
  } finally {
    signal?.removeEventListener("abort", onAbort);
  }
}

/** Whether fetch would send requests through a proxy from the environment. */
function proxyFromEnv(): boolean {
  for (const name of ["HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY"]) {
    for (const key of [name, name.toLowerCase()]) {
      try {
        if (Deno.env.get(key)) return true;
      } catch {
        return true; // cannot tell without env permission: let fetch decide
      }
    }
  }
  return false;
}
