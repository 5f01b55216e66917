// The reading side of a WebSocket connection we opened ourselves: a buffer
// over the connection, so the handshake answer's head, an error body and
// the first frames can arrive in one read.

import { concatBytes, CRLFCRLF, indexOfBytes } from "../lib/_internal/bytes.ts";
import type { ByteConn } from "./_strict_tls.ts";

/** The largest handshake answer head read. */
const MAX_HEAD = 16 * 1024;

/** Reads from a connection with a buffer, so a head and the first frames can arrive together. */
export class BufferedReader {
  #buf: Uint8Array = new Uint8Array(0);
  constructor(readonly conn: ByteConn) {}

  async #fill(): Promise<boolean> {
    const chunk = new Uint8Array(64 * 1024);
    const n = await this.conn.read(chunk);
    if (n === null) return false;
    this.#buf = concatBytes(this.#buf, chunk.subarray(0, n));
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
      const end = indexOfBytes(this.#buf, CRLFCRLF);
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
      return concatBytes(...parts);
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
