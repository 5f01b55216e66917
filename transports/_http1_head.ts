// The head of an HTTP/1.x answer read from a connection of our own (a
// WebSocket handshake, a streamed GET): status line and header fields.

import { TransportError } from "../lib/errors/mod.ts";

/** A parsed response head. */
export interface ResponseHead {
  /** The status code. */
  status: number;
  /** The reason phrase, possibly empty. */
  statusText: string;
  /** The header fields (names case-insensitive; repeated fields joined). */
  headers: Headers;
}

/**
 * Parses `head` (the bytes before the blank line, as text).
 *
 * @param head The status line and header lines, CRLF-separated.
 * @param request For errors: the request as the caller named it.
 * @param notHttp What to say when the status line is not HTTP/1.x.
 * @returns The status and headers.
 * @throws {TransportError} (`bad-response`) On a status line that is not
 *   HTTP/1.x, a line without a field name, or an invalid field.
 */
export function parseResponseHead(
  head: string,
  request: { method: string; path: string },
  notHttp: string,
): ResponseHead {
  const bad = (why: string) =>
    new TransportError(`${request.method} ${request.path}: ${why}`, {
      request,
      reason: "bad-response",
    });
  const [statusLine, ...headerLines] = head.split("\r\n");
  const m = statusLine.match(/^HTTP\/1\.[01] (\d{3})(?: (.*))?$/);
  if (!m) throw bad(notHttp);
  const headers = new Headers();
  for (const line of headerLines) {
    const i = line.indexOf(":");
    if (i <= 0) throw bad("the response head has a malformed line");
    try {
      headers.append(line.slice(0, i).trim(), line.slice(i + 1).trim());
    } catch {
      throw bad("the response head has an invalid header");
    }
  }
  return { status: Number(m[1]), statusText: m[2] ?? "", headers };
}
