// A WebSocket client (RFC 6455) over a connection we open ourselves, because
// Deno's `WebSocket` cannot present client certificates to the apiserver and
// never exposes a failed handshake's status or body. Here the handshake
// answer is ours to read: a non-101 answer becomes the apiserver's Status as
// a KubernetesApiError.

import { errorText } from "../lib/_internal/error_text.ts";
import { apiErrorFromBody, TransportError } from "../lib/errors/mod.ts";
import { writeAll } from "../lib/_internal/bytes.ts";
import { closeQuietly } from "../lib/_internal/close.ts";
import type { ByteConn } from "./_strict_tls.ts";
import { WsConnection } from "./_websocket.ts";
import { BufferedReader } from "./_websocket_reader.ts";
import { parseResponseHead } from "./_http1_head.ts";

const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
const MAX_ERROR_BODY = 64 * 1024;

/** What to open. */
export interface WsHandshake {
  /** The connection, already TLS-wrapped for wss (a `Deno.Conn` or a node:tls socket's adapter). */
  conn: ByteConn;
  /** `host[:port]` for the Host header. */
  host: string;
  /** Path and query. */
  path: string;
  /** Offered subprotocols, preferred first. */
  protocols: string[];
  /** Extra headers (auth, impersonation). */
  headers: [string, string][];
  /** For error messages: the request as the caller named it. */
  request: { method: string; path: string };
}

/**
 * Performs the opening handshake on `conn`.
 *
 * @throws {KubernetesApiError} When the server answers anything but 101 (its Status, or one built from the code).
 * @throws {Error} When the answer is not a valid WebSocket acceptance.
 */
export async function openWebSocket(h: WsHandshake): Promise<WsConnection> {
  const key = btoa(
    String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))),
  );
  const lines = [
    `GET ${h.path} HTTP/1.1`,
    `Host: ${h.host}`,
    "Upgrade: websocket",
    "Connection: Upgrade",
    `Sec-WebSocket-Key: ${key}`,
    "Sec-WebSocket-Version: 13",
    `Sec-WebSocket-Protocol: ${h.protocols.join(", ")}`,
    ...h.headers.map(([k, v]) => `${k}: ${v}`),
    "",
    "",
  ];
  await writeAll(h.conn, lines.join("\r\n"));

  const reader = new BufferedReader(h.conn);
  let head: string;
  try {
    head = await reader.readHead();
  } catch (err) {
    closeQuietly(h.conn);
    throw new TransportError(
      `${h.request.method} ${h.request.path}: the WebSocket handshake failed: ${
        errorText(err)
      }`,
      {
        request: h.request,
        cause: err,
        kind: err instanceof Error && /too large/.test(err.message)
          ? "bad-response"
          : undefined,
      },
    );
  }
  let status: number;
  let headers: Headers;
  try {
    ({ status, headers } = parseResponseHead(
      head,
      h.request,
      "not an HTTP answer to the WebSocket handshake",
    ));
  } catch (err) {
    closeQuietly(h.conn);
    throw err;
  }
  if (status !== 101) {
    const length = headers.has("content-length")
      ? Number(headers.get("content-length"))
      : undefined;
    const chunked = /chunked/i.test(headers.get("transfer-encoding") ?? "");
    const body = await reader.readBody(length, chunked, MAX_ERROR_BODY).catch(
      () => new Uint8Array(0),
    );
    closeQuietly(h.conn);
    throw apiErrorFromBody(status, body, h.request);
  }
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-1", new TextEncoder().encode(key + GUID)),
  );
  const expected = btoa(String.fromCharCode(...digest));
  const fail = (why: string): never => {
    closeQuietly(h.conn);
    throw new TransportError(`${h.request.method} ${h.request.path}: ${why}`, {
      request: h.request,
      reason: "bad-response",
    });
  };
  if (headers.get("sec-websocket-accept") !== expected) {
    fail("the server's Sec-WebSocket-Accept does not match");
  }
  const protocol = headers.get("sec-websocket-protocol") ?? "";
  if (!h.protocols.includes(protocol)) {
    fail(
      protocol
        ? `the server chose subprotocol ${
          JSON.stringify(protocol)
        }, which was not offered`
        : `the server accepted none of the offered subprotocols (${
          h.protocols.join(", ")
        })`,
    );
  }
  return new WsConnection(h.conn, reader, protocol, h.request);
}
