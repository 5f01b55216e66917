// TLS that trusts only the kubeconfig's CA, as kubectl does. Deno's own TLS
// (`Deno.createHttpClient`, `Deno.connectTls`, `Deno.startTls`) adds
// `caCerts` to its root store and shows no peer certificate; `node:tls`
// with `ca` replaces the roots (Deno 2.9), presents client certificates and
// checks the name. Nothing is written on the socket before the server's
// certificate chain and name are verified.

import { connect, type TLSSocket } from "node:tls";
import { isIP } from "node:net";

/** Where and how to dial. */
export interface StrictTlsTarget {
  /** Host name or IP address to connect to (no brackets). */
  hostname: string;
  port: number;
  /** The name the certificate must carry. @default {hostname} */
  serverName?: string;
  /** The only CAs trusted (PEM). */
  caCerts: string[];
  /** A client certificate and key (PEM). */
  clientCert?: { cert: string; key: string };
  /** ALPN offer. */
  alpnProtocols: string[];
}

/** A byte connection, the subset of `Deno.Conn` the WebSocket client uses. */
export interface ByteConn {
  /** Reads into `p`; the byte count, or null at the end. */
  read(p: Uint8Array): Promise<number | null>;
  /** Writes some of `p`; the byte count written. */
  write(p: Uint8Array): Promise<number>;
  /** Closes both directions. */
  close(): void;
}

/**
 * How long connecting and the TLS handshake may take together: client-go's
 * dial timeout (its TLS handshake timeout is 10 s within it).
 */
export const DIAL_TIMEOUT_MS = 30_000;

/**
 * Opens a TLS connection that trusts only `caCerts`.
 *
 * @param t Where to dial, and what to trust.
 * @param signal Abandons the dial (rejecting with its reason).
 * @returns The socket, once the handshake and the certificate checks passed.
 * @throws {Error} node:tls's error (with `code`, such as `UNABLE_TO_VERIFY_LEAF_SIGNATURE`, `ERR_TLS_CERT_ALTNAME_INVALID` or `ECONNREFUSED`).
 * @throws {Deno.errors.TimedOut} After {@link DIAL_TIMEOUT_MS}.
 */
export function dialStrictTls(
  t: StrictTlsTarget,
  signal?: AbortSignal,
): Promise<TLSSocket> {
  const name = t.serverName ?? t.hostname;
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const socket = connect({
      host: t.hostname,
      port: t.port,
      // SNI carries names only; an IP address is checked against IP SANs.
      ...(isIP(name) ? {} : { servername: name }),
      // checkServerIdentity compares against `servername`, else `host`.
      ...(t.serverName && isIP(t.serverName)
        ? { checkServerIdentity: checkIpIdentity(t.serverName) }
        : {}),
      ca: t.caCerts,
      ...(t.clientCert
        ? { cert: t.clientCert.cert, key: t.clientCert.key }
        : {}),
      ALPNProtocols: t.alpnProtocols,
      rejectUnauthorized: true,
    });
    const fail = (err: unknown) => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      socket.off("error", fail);
      socket.destroy();
      reject(err);
    };
    const onAbort = () => fail(signal!.reason);
    const timer = setTimeout(
      () =>
        fail(
          new Deno.errors.TimedOut(
            `TLS connection to ${t.hostname}:${t.port} not established within ${
              DIAL_TIMEOUT_MS / 1000
            } s`,
          ),
        ),
      DIAL_TIMEOUT_MS,
    );
    signal?.addEventListener("abort", onAbort, { once: true });
    socket.once("error", fail);
    socket.once("secureConnect", () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      socket.off("error", fail);
      // Whoever holds the socket sees failures as a closed socket (or
      // through a listener of its own); never as an uncaught exception,
      // even while nobody listens yet.
      socket.on("error", () => socket.destroy());
      if (!socket.authorized) {
        // rejectUnauthorized makes this unreachable; never trust it silently.
        socket.destroy();
        reject(
          new Error(
            `certificate not trusted: ${
              String(socket.authorizationError ?? "unknown reason")
            }`,
          ),
        );
        return;
      }
      resolve(socket);
    });
  });
}

function checkIpIdentity(
  ip: string,
): (host: string, cert: { subjectaltname?: string }) => Error | undefined {
  return (_host, cert) => {
    const sans = (cert.subjectaltname ?? "").split(/,\s*/);
    return sans.includes(`IP Address:${ip}`) ? undefined : Object.assign(
      new Error(
        `Hostname/IP does not match certificate's altnames: IP: ${ip} is not in the cert's list: ${
          cert.subjectaltname ?? "(none)"
        }`,
      ),
      { code: "ERR_TLS_CERT_ALTNAME_INVALID" },
    );
  };
}

/** A verified node:tls socket as a {@link ByteConn}. */
export class NodeJsTlsConn implements ByteConn {
  readonly #socket: TLSSocket;
  readonly #chunks: Uint8Array[] = [];
  #ended = false;
  #error: Error | undefined;
  #wake: (() => void) | undefined;
  /** Settles each write still in progress (see write()). */
  readonly #pending = new Set<(err: Error) => void>();

  constructor(socket: TLSSocket) {
    this.#socket = socket;
    socket.on("data", (chunk: Uint8Array) => {
      this.#chunks.push(chunk);
      // Backpressure: stop reading until the consumer catches up.
      if (this.#chunks.length > 16) socket.pause();
      this.#notify();
    });
    socket.on("end", () => {
      this.#ended = true;
      this.#notify();
    });
    socket.on("close", () => {
      this.#ended = true;
      this.#notify();
    });
    socket.on("error", (err: Error) => {
      this.#error ??= err;
      this.#notify();
    });
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  async read(p: Uint8Array): Promise<number | null> {
    while (this.#chunks.length === 0) {
      if (this.#error) throw this.#error;
      if (this.#ended) return null;
      // Deno's node:tls does not always count a socket waiting for data as
      // pending work, so a quiet tunnel (a command that prints nothing for a
      // while) could let the event loop end under its reader: hold a timer
      // while waiting.
      const keepAlive = setInterval(() => {}, 3_600_000);
      try {
        await new Promise<void>((r) => this.#wake = r);
      } finally {
        clearInterval(keepAlive);
      }
    }
    // Everything that has arrived, up to p's size.
    let n = 0;
    while (n < p.length && this.#chunks.length) {
      const chunk = this.#chunks[0];
      const take = Math.min(p.length - n, chunk.length);
      p.set(take === chunk.length ? chunk : chunk.subarray(0, take), n);
      n += take;
      if (take === chunk.length) this.#chunks.shift();
      else this.#chunks[0] = chunk.subarray(take);
    }
    if (this.#chunks.length <= 4 && this.#socket.isPaused()) {
      this.#socket.resume();
    }
    return n;
  }

  write(p: Uint8Array): Promise<number> {
    if (this.#error) return Promise.reject(this.#error);
    if (this.#socket.destroyed || this.#socket.writableEnded || this.#ended) {
      return Promise.reject(new Error("the connection is closed"));
    }
    // node:tls keeps a reference to what it is given: pass a copy. Deno's
    // node:tls may never call back for a socket the peer closed meanwhile,
    // nor for one destroyed while the write waits for room (a peer that
    // stopped reading): a close event or close() settles the write too, and
    // a timer holds the event loop until then.
    return new Promise((resolve, reject) => {
      const keepAlive = setInterval(() => {}, 3_600_000);
      let settled = false;
      const settle = (err?: Error | null) => {
        if (settled) return;
        settled = true;
        clearInterval(keepAlive);
        this.#socket.off("close", onClose);
        this.#pending.delete(settle);
        if (err) reject(err);
        else resolve(p.length);
      };
      const onClose = () => settle(new Error("the connection is closed"));
      this.#pending.add(settle);
      this.#socket.once("close", onClose);
      this.#socket.write(p.slice(), (err?: Error | null) => settle(err));
    });
  }

  /** Closes the socket; a write in progress fails and a waiting read ends, at once. */
  close(): void {
    this.#ended = true;
    this.#socket.destroy();
    for (const settle of [...this.#pending]) {
      settle(new Error("the connection is closed"));
    }
    this.#notify();
  }
}
