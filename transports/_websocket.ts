// A WebSocket connection (RFC 6455 framing) over a connection we opened
// ourselves (see _websocket_handshake.ts for why): client frames masked,
// fragments joined, pings answered, a close answered once.

import { concatBytes, writeAll } from "../lib/_internal/bytes.ts";
import { closeQuietly } from "../lib/_internal/close.ts";
import type { ByteConn } from "./_strict_tls.ts";
import type { BufferedReader } from "./_websocket_reader.ts";

const MAX_MESSAGE = 64 * 1024 * 1024;

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
      closeQuietly(this.#conn);
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
      await writeAll(this.#conn, frame);
    };
    const next = this.#writing.then(write);
    this.#writing = next.catch(() => {});
    return next;
  }
}
