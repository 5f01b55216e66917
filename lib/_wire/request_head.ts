// The last line of defence for everything that goes into a request head:
// path, query and header values. A CR or LF there would become extra header
// lines on the raw tunnel handshake (and fetch's URL parser silently drops
// them, sending a different path); other control characters are never valid
// either. Callers name the request; values are never quoted, since headers
// carry credentials.

import {
  TransportError,
  type TransportRequest,
} from "../errors/transport_error.ts";

// deno-lint-ignore no-control-regex
const CONTROL_IN_TARGET = /[\x00-\x20\x7f]/;
// deno-lint-ignore no-control-regex
const CONTROL_IN_VALUE = /[\x00-\x08\x0a-\x1f\x7f]/;
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * Checks a request target (path with its query string): no control
 * characters and no spaces, which would end the request line.
 *
 * @throws {TransportError} (`invalid-request`) naming the request.
 */
export function checkRequestTarget(request: TransportRequest): void {
  if (!request.path.startsWith("/") || CONTROL_IN_TARGET.test(request.path)) {
    throw new TransportError(
      `${request.method} ${
        safePath(request.path)
      }: the path must start with / and contain no spaces or control characters (percent-encode them)`,
      { request, kind: "invalid-request" },
    );
  }
}

/**
 * Checks header names and values: names are HTTP tokens, values hold no
 * control character but tab. Says which header is wrong, never its value.
 *
 * @throws {TransportError} (`invalid-request`) naming the request and header.
 */
export function checkHeaders(
  request: TransportRequest,
  headers: Iterable<[string, string]>,
): void {
  for (const [name, value] of headers) {
    if (!TOKEN.test(name) || CONTROL_IN_VALUE.test(value)) {
      throw new TransportError(
        `${request.method} ${safePath(request.path)}: the ${
          TOKEN.test(name) ? `${name} header's value` : "name of a header"
        } contains a line break or another control character`,
        { request, kind: "invalid-request" },
      );
    }
  }
}

/** The path as it may be printed: control characters escaped, the query dropped. */
function safePath(path: string): string {
  const q = path.indexOf("?");
  return JSON.stringify(q === -1 ? path : path.slice(0, q)).slice(1, -1);
}
