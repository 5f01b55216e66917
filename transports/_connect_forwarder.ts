// A tiny HTTP CONNECT proxy on loopback that sends every tunnel to one fixed
// address. It gives `tls-server-name` to Deno's fetch, which has no
// server-name option: the request URL carries the TLS name (so SNI and
// certificate checks use it) and this forwarder dials the real server.
// TLS stays end to end; the forwarder only sees ciphertext.

import { CRLFCRLF, indexOfBytes, writeAll } from "../lib/_internal/bytes.ts";
import { closeQuietly } from "../lib/_internal/close.ts";

const MAX_HEADER_BYTES = 8192;

/** A running forwarder; `proxyUrl` goes into `Deno.createHttpClient({ proxy })`. */
export interface ConnectForwarder {
  /** `http://127.0.0.1:PORT`. */
  readonly proxyUrl: string;
  /** Stops listening and closes every tunnel. Safe to call twice. */
  close(): void;
}

/**
 * Starts a forwarder that tunnels every CONNECT to `target`, whatever host
 * the request names.
 *
 * @param target The real server address.
 * @returns The running forwarder.
 */
export function startConnectForwarder(
  target: { hostname: string; port: number },
): ConnectForwarder {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  // Nobody asked the forwarder to keep the program alive: a client that is
  // never closed must not stop it from exiting. (An in-flight fetch keeps
  // the program alive on its own.)
  listener.unref();
  const open = new Set<Deno.Conn>();
  let closed = false;

  const serve = async (conn: Deno.Conn) => {
    conn.unref();
    open.add(conn);
    let upstream: Deno.Conn | undefined;
    try {
      const { head, rest } = await readHead(conn);
      if (!/^CONNECT \S+ HTTP\/1\.[01]\r\n/.test(head)) {
        await writeAll(
          conn,
          "HTTP/1.1 405 Method Not Allowed\r\ncontent-length: 0\r\n\r\n",
        );
        return;
      }
      try {
        upstream = await Deno.connect({ ...target, transport: "tcp" });
      } catch (err) {
        await writeAll(
          conn,
          `HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\nx-forwarder-error: ${
            String(err).replace(/[\r\n]/g, " ").slice(0, 200)
          }\r\n\r\n`,
        );
        return;
      }
      upstream.unref();
      open.add(upstream);
      await writeAll(conn, "HTTP/1.1 200 Connection Established\r\n\r\n");
      if (rest.length) await upstream.write(rest);
      const up = upstream;
      await Promise.allSettled([
        conn.readable.pipeTo(up.writable),
        up.readable.pipeTo(conn.writable),
      ]);
    } catch {
      // A client that goes away mid-handshake needs no answer.
    } finally {
      for (const c of [conn, upstream]) {
        if (!c) continue;
        open.delete(c);
        closeQuietly(c); // pipeTo may have closed it already
      }
    }
  };

  (async () => {
    try {
      for await (const conn of listener) serve(conn);
    } catch {
      // listener closed
    }
  })();

  return {
    proxyUrl: `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`,
    close() {
      if (closed) return;
      closed = true;
      listener.close();
      for (const c of open) closeQuietly(c);
      open.clear();
    },
  };
}

async function readHead(
  conn: Deno.Conn,
): Promise<{ head: string; rest: Uint8Array }> {
  const buf = new Uint8Array(MAX_HEADER_BYTES);
  let len = 0;
  while (len < buf.length) {
    const n = await conn.read(buf.subarray(len));
    if (n === null) throw new Error("closed before the request head ended");
    len += n;
    const end = indexOfBytes(buf.subarray(0, len), CRLFCRLF);
    if (end !== -1) {
      return {
        head: new TextDecoder().decode(buf.subarray(0, end + 4)),
        rest: buf.slice(end + 4, len),
      };
    }
  }
  throw new Error("request head too large");
}
