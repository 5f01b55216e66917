// A WebSocket connection (RFC 6455 framing) over a connection we opened
// ourselves (see _websocket_handshake.ts for why): client frames masked,
// fragments joined, pings answered, a close answered once.
//
// Writes can block for good: a peer that stops reading (a kubelet whose
// command exited without reading its stdin keeps the upload unread) fills
// the socket buffers, and the write in progress waits for room that never
// comes. Nothing here may wait behind such a write: a close frame (ours, or
// the answer to the peer's) gets CLOSE_GRACE_MS to leave, then the
// connection is closed anyway, and every write still queued or in progress
// is settled with an error at once, whether or not the connection beneath
// ever settles it.

import { concatBytes, writeAll } from "../lib/_internal/bytes.ts";
import { closeQuietly } from "../lib/_internal/close.ts";
import { TransportError, type TransportRequest } from "../lib/errors/mod.ts";
import type { ByteConn } from "./_strict_tls.ts";
import type { BufferedReader } from "./_websocket_reader.ts";

const MAX_MESSAGE = 64 * 1024 * 1024;
/**
 * How long a close frame may wait for the writes queued before it. RFC 6455
 * §7.1.1 lets a client close the TCP connection once the close handshake
 * cannot complete; a write that has not left within this time is stuck
 * behind a peer that no longer reads.
 */
const CLOSE_GRACE_MS = 1_000;

/** One received message. */
export interface WsMessage {
  /** Binary or text. */
  binary: boolean;
  /** The payload. */
  data: Uint8Array;
}

/** An open WebSocket: messages in, messages out, pings answered. */
export class WsConnection {
  readonly protocol: string;
  readonly #conn: ByteConn;
  readonly #reader: BufferedReader;
  readonly #request: TransportRequest | undefined;
  #writing: Promise<void> = Promise.resolve();
  /** Rejects each send still queued or in progress, when the connection ends. */
  readonly #unsent = new Set<(err: Error) => void>();
  #closeSent = false;
  #closed = false;
  /** Whether we ended it (close()) rather than the peer (close frame, end, error). */
  #closedHere = false;

  /**
   * @param conn The connection, handshake done.
   * @param reader The buffered reader the handshake used (it may hold the first frames).
   * @param protocol The subprotocol the server chose.
   * @param request For errors: the request that opened the connection (its query is left out).
   */
  constructor(
    conn: ByteConn,
    reader: BufferedReader,
    protocol: string,
    request?: TransportRequest,
  ) {
    this.#conn = conn;
    this.#reader = reader;
    this.protocol = protocol;
    // Never the query: an exec's command line may carry anything.
    this.#request = request &&
      { method: request.method, path: request.path.split("?")[0] };
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
          if (!this.#closeSent) await this.#sendClose(payload.subarray(0, 2));
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
              : concatBytes(...fragments);
            fragments = [];
            size = 0;
            return { binary: fragmentBinary, data };
          }
        default:
          throw new Error(`unknown WebSocket opcode ${opcode}`);
      }
    }
  }

  /**
   * Sends one binary message. Writes are queued in order.
   *
   * @throws {TransportError} `closed` after {@link close}; `connection-reset`
   * when the peer ended the connection first (also for a write that was
   * waiting on a peer that stopped reading).
   */
  send(data: Uint8Array): Promise<void> {
    if (this.#closed || this.#closeSent) return Promise.reject(this.#gone());
    return this.#sendFrame(0x2, data);
  }

  /**
   * Sends a close frame (once; waiting at most {@link CLOSE_GRACE_MS} for the
   * writes before it) and closes the connection, failing every write still
   * pending. Returns within that bound whatever the peer does.
   */
  async close(code = 1000): Promise<void> {
    if (this.#closed) return;
    this.#closedHere = true;
    if (!this.#closeSent) {
      await this.#sendClose(new Uint8Array([code >> 8, code & 0xff]));
    }
    this.#ended();
  }

  /** A close frame, given {@link CLOSE_GRACE_MS} to get past the writes queued before it. */
  async #sendClose(payload: Uint8Array): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      this.#sendFrame(0x8, payload).catch(() => {}),
      new Promise<void>((r) => timer = setTimeout(r, CLOSE_GRACE_MS)),
    ]);
    clearTimeout(timer);
  }

  #ended(): null {
    if (!this.#closed) {
      this.#closed = true;
      closeQuietly(this.#conn);
      const err = this.#gone();
      for (const reject of this.#unsent) reject(err);
      this.#unsent.clear();
    }
    return null;
  }

  /** The error of a write the connection's end left unsent. */
  #gone(cause?: unknown): TransportError {
    const where = this.#request
      ? `${this.#request.method} ${this.#request.path}: `
      : "";
    return this.#closedHere
      ? new TransportError(
        `${where}the WebSocket was closed before this message was sent`,
        { request: this.#request, reason: "closed", cause },
      )
      : new TransportError(
        `${where}the server ended the WebSocket before this message was sent`,
        { request: this.#request, reason: "connection-reset", cause },
      );
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
      try {
        await writeAll(this.#conn, frame);
      } catch (err) {
        // The connection's own error (EPIPE, a reset): what it means here.
        throw this.#gone(err);
      }
    };
    const next = this.#writing.then(write);
    this.#writing = next.catch(() => {});
    // Settled by the write, or by the connection's end when the write is
    // stuck behind a peer that stopped reading.
    return new Promise<void>((resolve, reject) => {
      this.#unsent.add(reject);
      next.then(resolve, reject).finally(() => this.#unsent.delete(reject));
    });
  }
}
