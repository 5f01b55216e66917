// A WebSocket client (RFC 6455) over a connection we open ourselves, because
// Deno's `WebSocket` cannot present client certificates to the apiserver and
// never exposes a failed handshake's status or body. Here the handshake
// answer is ours to read: a non-101 answer becomes the apiserver's Status as
// a KubernetesApiError.

import { apiErrorFromBody, TransportError } from "../lib/errors/mod.ts";
import type { ByteConn } from "./_strict_tls.ts";

const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
const MAX_HEAD = 16 * 1024;
const MAX_MESSAGE = 64 * 1024 * 1024;
const MAX_ERROR_BODY = 64 * 1024;

/** One received message. */
export interface WsMessage {
  /** Binary or text. */
  binary: boolean;
  /** The payload. */
  data: Uint8Array;
}

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

/** Reads from a connection with a buffer, so a head and the first frames can arrive together. */
class BufferedReader {
  #buf: Uint8Array = new Uint8Array(0);
  constructor(readonly conn: ByteConn) {}

  async #fill(): Promise<boolean> {
    const chunk = new Uint8Array(64 * 1024);
    const n = await this.conn.read(chunk);
    if (n === null) return false;
    this.#buf = concat(this.#buf, chunk.subarray(0, n));
    return true;
  }

  /** Exactly `n` bytes, or null at a clean end before any of them. */
  async read(n: number): Promise<Uint8Array | null> {
    while (this.#buf.length < n) {
      if (!await this.#fill()) {
        if (this.#buf.length === 0) return null;
        throw new Error(
          "the connection closed in the middle of a WebSocket frame",
        );
      }
    }
    const out = this.#buf.slice(0, n);
    this.#buf = this.#buf.subarray(n);
    return out;
  }

  /** Bytes up to and including `\r\n\r\n`. */
  async readHead(): Promise<string> {
    for (;;) {
      const end = indexOfCrlfCrlf(this.#buf);
      if (end !== -1) {
        const head = new TextDecoder().decode(this.#buf.subarray(0, end));
        this.#buf = this.#buf.subarray(end + 4);
        return head;
      }
      if (this.#buf.length > MAX_HEAD) {
        throw new Error("the handshake answer's head is too large");
      }
      if (!await this.#fill()) {
        throw new Error("the connection closed during the WebSocket handshake");
      }
    }
  }

  /** The rest of a body, up to `limit` bytes. */
  async readBody(
    length: number | undefined,
    chunked: boolean,
    limit: number,
  ): Promise<Uint8Array> {
    if (chunked) {
      const parts: Uint8Array[] = [];
      let total = 0;
      // Stops at `limit`: an endless chunked body is never read to its end.
      while (total < limit) {
        const line = await this.#readLine();
        const size = parseInt(line, 16);
        if (!size) break;
        const data = await this.read(Math.min(size, limit - total));
        if (!data) break;
        parts.push(data);
        total += data.length;
        if (data.length < size) break;
        await this.read(2);
      }
      return parts.reduce((a, b) => concat(a, b), new Uint8Array(0));
    }
    if (length !== undefined) {
      return (await this.read(Math.min(length, limit))) ?? new Uint8Array(0);
    }
    while (this.#buf.length < limit && await this.#fill().catch(() => false));
    return this.#buf.slice(0, limit);
  }

  async #readLine(): Promise<string> {
    for (;;) {
      const at = this.#buf.indexOf(10);
      if (at !== -1) {
        const line = new TextDecoder().decode(this.#buf.subarray(0, at)).trim();
        this.#buf = this.#buf.subarray(at + 1);
        return line;
      }
      if (!await this.#fill()) return "";
    }
  }
}

/** An open WebSocket: messages in, messages out, pings answered. */
export class WsConnection {
  readonly protocol: string;
  readonly #conn: ByteConn;
  readonly #reader: BufferedReader;
  #writing: Promise<void> = Promise.resolve();
  #closeSent = false;
  #closed = false;

  constructor(conn: ByteConn, reader: BufferedReader, protocol: string) {
    this.#conn = conn;
    this.#reader = reader;
    this.protocol = protocol;
  }

  /** The next data message, or null once the peer closed. Answers pings on the way. */
  async read(): Promise<WsMessage | null> {
    let fragments: Uint8Array[] = [];
    let fragmentBinary = true;
    let size = 0;
    for (;;) {
      const head = await this.#reader.read(2);
      if (!head) return this.#ended();
      const fin = (head[0] & 0x80) !== 0;
      const opcode = head[0] & 0x0f;
      const masked = (head[1] & 0x80) !== 0;
      let len = head[1] & 0x7f;
      if (len === 126) {
        const ext = await this.#need(2);
        len = (ext[0] << 8) | ext[1];
      } else if (len === 127) {
        const ext = await this.#need(8);
        len = Number(
          new DataView(ext.buffer, ext.byteOffset, 8).getBigUint64(0),
        );
      }
      if (len > MAX_MESSAGE || size + len > MAX_MESSAGE) {
        throw new Error(`WebSocket message over ${MAX_MESSAGE} bytes`);
      }
      const mask = masked ? await this.#need(4) : undefined;
      const payload = len ? await this.#need(len) : new Uint8Array(0);
      if (mask) {
        for (let i = 0; i < payload.length; i++) payload[i] ^= mask[i & 3];
      }

      switch (opcode) {
        case 0x8: // close
          if (!this.#closeSent) {
            await this.#sendFrame(0x8, payload.subarray(0, 2)).catch(() => {});
          }
          return this.#ended();
        case 0x9: // ping
          await this.#sendFrame(0xa, payload);
          continue;
        case 0xa: // pong
          continue;
        case 0x0: // continuation
        case 0x1: // text
        case 0x2: // binary
          if (opcode !== 0) fragmentBinary = opcode === 0x2;
          fragments.push(payload);
          size += payload.length;
          if (!fin) continue;
          {
            const data = fragments.length === 1
              ? fragments[0]
              : fragments.reduce((a, b) => concat(a, b));
            fragments = [];
            size = 0;
            return { binary: fragmentBinary, data };
          }
        default:
          throw new Error(`unknown WebSocket opcode ${opcode}`);
      }
    }
  }

  /** Sends one binary message. Writes are queued in order. */
  send(data: Uint8Array): Promise<void> {
    if (this.#closed || this.#closeSent) {
      return Promise.reject(new Error("the WebSocket is closed"));
    }
    return this.#sendFrame(0x2, data);
  }

  /** Sends a close frame (once) and closes the connection. */
  async close(code = 1000): Promise<void> {
    if (!this.#closeSent && !this.#closed) {
      await this.#sendFrame(0x8, new Uint8Array([code >> 8, code & 0xff]))
        .catch(() => {});
    }
    this.#ended();
  }

  #ended(): null {
    if (!this.#closed) {
      this.#closed = true;
      try {
        this.#conn.close();
      } catch {
        // already closed
      }
    }
    return null;
  }

  async #need(n: number): Promise<Uint8Array> {
    const data = await this.#reader.read(n);
    if (!data) {
      throw new Error(
        "the connection closed in the middle of a WebSocket frame",
      );
    }
    return data;
  }

  #sendFrame(opcode: number, payload: Uint8Array): Promise<void> {
    if (opcode === 0x8) this.#closeSent = true;
    const write = async () => {
      const mask = crypto.getRandomValues(new Uint8Array(4));
      const len = payload.length;
      const headLen = 2 + (len < 126 ? 0 : len < 65536 ? 2 : 8) + 4;
      const frame = new Uint8Array(headLen + len);
      frame[0] = 0x80 | opcode;
      let at = 2;
      if (len < 126) frame[1] = 0x80 | len;
      else if (len < 65536) {
        frame[1] = 0x80 | 126;
        frame[2] = len >> 8;
        frame[3] = len & 0xff;
        at = 4;
      } else {
        frame[1] = 0x80 | 127;
        new DataView(frame.buffer).setBigUint64(2, BigInt(len));
        at = 10;
      }
      frame.set(mask, at);
      at += 4;
      for (let i = 0; i < len; i++) frame[at + i] = payload[i] ^ mask[i & 3];
      let off = 0;
      while (off < frame.length) {
        off += await this.#conn.write(frame.subarray(off));
      }
    };
    const next = this.#writing.then(write);
    this.#writing = next.catch(() => {});
    return next;
  }
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
  const bytes = new TextEncoder().encode(lines.join("\r\n"));
  let off = 0;
  while (off < bytes.length) off += await h.conn.write(bytes.subarray(off));

  const reader = new BufferedReader(h.conn);
  let head: string;
  try {
    head = await reader.readHead();
  } catch (err) {
    try {
      h.conn.close();
    } catch {
      // already closed
    }
    throw new TransportError(
      `${h.request.method} ${h.request.path}: the WebSocket handshake failed: ${
        err instanceof Error ? err.message : String(err)
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
  const [statusLine, ...headerLines] = head.split("\r\n");
  const status = Number(statusLine.match(/^HTTP\/1\.[01] (\d{3})/)?.[1]);
  if (!status) {
    throw new TransportError(
      `${h.request.method} ${h.request.path}: not an HTTP answer to the WebSocket handshake`,
      { request: h.request, kind: "bad-response" },
    );
  }
  const headers = new Map<string, string>();
  for (const line of headerLines) {
    const i = line.indexOf(":");
    if (i > 0) {
      headers.set(
        line.slice(0, i).trim().toLowerCase(),
        line.slice(i + 1).trim(),
      );
    }
  }
  if (status !== 101) {
    const length = headers.has("content-length")
      ? Number(headers.get("content-length"))
      : undefined;
    const chunked = /chunked/i.test(headers.get("transfer-encoding") ?? "");
    const body = await reader.readBody(length, chunked, MAX_ERROR_BODY).catch(
      () => new Uint8Array(0),
    );
    try {
      h.conn.close();
    } catch {
      // already closed
    }
    throw apiErrorFromBody(status, body, h.request);
  }
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-1", new TextEncoder().encode(key + GUID)),
  );
  const expected = btoa(String.fromCharCode(...digest));
  const fail = (why: string): never => {
    try {
      h.conn.close();
    } catch {
      // already closed
    }
    throw new TransportError(`${h.request.method} ${h.request.path}: ${why}`, {
      request: h.request,
      kind: "bad-response",
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
  return new WsConnection(h.conn, reader, protocol);
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function indexOfCrlfCrlf(buf: Uint8Array): number {
  for (let i = 0; i + 3 < buf.length; i++) {
    if (
      buf[i] === 13 && buf[i + 1] === 10 && buf[i + 2] === 13 &&
      buf[i + 3] === 10
    ) return i;
  }
  return -1;
}
