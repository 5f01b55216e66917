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
      { request, reason: "invalid-request" },
    );
  }
}

/**
 * Checks that no segment of the path would be resolved away before it
 * reaches the server: `.` and `..`, which fetch resolves (WHATWG URL, also
 * spelled `%2e`, `.%2E`, `%2E%2e`, and across `\`, a separator in http
 * URLs), and which `kubectl --raw` resolves since it cleans the decoded path
 * with Go's `path.Join` (kubectl 1.36: `…/configmaps/a%2F..` becomes
 * `…/configmaps`, `/api/v1/namespaces//configmaps` becomes the Namespace
 * `configmaps`; kubectl 1.20 sends the path as given, decoded); so also no
 * `%2F` before a dot segment and no empty segment inside the path.
 * `DELETE …/configmaps/.` would otherwise delete every ConfigMap of the
 * namespace, `…/configmaps/..` the namespace. Only the path counts: a query
 * may hold dots.
 *
 * @param request The request, its query (if any) after `?`.
 * @throws {TransportError} (`invalid-request`) naming the request.
 */
export function checkPathSegments(request: TransportRequest): void {
  const end = request.path.search(/[?#]/);
  const path = end === -1 ? request.path : request.path.slice(0, end);
  const segments = path.replace(/%2e/gi, ".").replace(/%2f/gi, "/")
    .split(/[/\\]/);
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i];
    const dots = s === "." || s === "..";
    // Empty: before the leading slash, or after a trailing one (`/apis/`).
    if (!dots && (s !== "" || i === 0 || i === segments.length - 1)) continue;
    throw new TransportError(
      `${request.method} ${safePath(request.path)}: ${
        dots
          ? `the path has a "${s}" segment (percent-encoded or not), which would be resolved away and address another object`
          : "the path has an empty segment (//), which would be collapsed and address another object"
      }; expected a segment per name, none of them empty, "." or ".." (nothing was sent)`,
      { request, reason: "invalid-request" },
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
        { request, reason: "invalid-request" },
      );
    }
  }
}

/** The path as it may be printed: control characters escaped, the query dropped. */
function safePath(path: string): string {
  const q = path.indexOf("?");
  return JSON.stringify(q === -1 ? path : path.slice(0, q)).slice(1, -1);
}
