// The connections behind the fetch transport: one `Deno.HttpClient` per
// client certificate (a rotated certificate gets a new one), the CONNECT
// forwarder that gives Deno's TLS a `tls-server-name`, and the strict-TLS
// forwarders that make requests trust only the configured CA. Nothing starts
// until a request needs it; close() stops everything, including starts
// still under way.

import type { AuthState } from "../../lib/auth/credentials.ts";
import { TransportError } from "../../lib/errors/mod.ts";
import { abortable } from "../../lib/_internal/delay.ts";
import type { RequestTarget } from "../_request_base.ts";
import {
  type ConnectForwarder,
  startConnectForwarder,
} from "../_connect_forwarder.ts";
import {
  startStrictForwarder,
  type StrictForwarder,
} from "../_strict_forwarder.ts";
import { dialStrictTls } from "../_strict_tls.ts";
import { type ConnectionPlan, strictTarget } from "./_plan.ts";

/** The HttpClient a request goes through, and the strict forwarder behind it if any. */
export interface PooledClient {
  /** The client to pass to fetch. */
  client: Deno.HttpClient;
  /** The strict forwarder, whose dial failures explain a failed fetch. */
  forwarder?: StrictForwarder;
}

/**
 * The error for a request on a closed client.
 *
 * @param request The request.
 * @param cause What the close interrupted, if anything.
 * @returns The error.
 */
export function closedError(
  request: RequestTarget,
  cause?: unknown,
): TransportError {
  return new TransportError(
    `${request.method} ${request.path}: this KubeConfigRestClient is closed`,
    { request, reason: "closed", ...(cause === undefined ? {} : { cause }) },
  );
}

/** The HttpClients and forwarders of one KubeConfigRestClient. */
export class ClientPool {
  readonly #plan: ConnectionPlan;
  readonly #ownClient: Deno.HttpClient | null;
  readonly #fail: (
    err: unknown,
    request: RequestTarget,
    signal?: AbortSignal,
  ) => unknown;
  /** HttpClients by client certificate. */
  readonly #clients = new Map<string, Deno.HttpClient>();
  /** The CONNECT forwarder for tls-server-name, once a request needs it. */
  #connect: ConnectForwarder | undefined;
  /** Strict-TLS forwarders and their HttpClients, by client certificate. */
  readonly #forwarders = new Map<string, Promise<Required<PooledClient>>>();
  #closed = false;
  /** Abandons forwarder starts still dialling when the pool is closed. */
  readonly #closing = new AbortController();

  /**
   * Makes an empty pool; starts nothing.
   *
   * @param plan How to reach the server.
   * @param ownClient The caller's HttpClient, used for every request when given.
   * @param fail Turns a network failure into the error to throw.
   */
  constructor(
    plan: ConnectionPlan,
    ownClient: Deno.HttpClient | null,
    fail: (
      err: unknown,
      request: RequestTarget,
      signal?: AbortSignal,
    ) => unknown,
  ) {
    this.#plan = plan;
    this.#ownClient = ownClient;
    this.#fail = fail;
  }

  /**
   * The HttpClient for these credentials, started if need be.
   *
   * @param auth The current credentials.
   * @param request The request, for errors.
   * @param signal The request's abort signal.
   * @returns The client, and the strict forwarder behind it if requests use one.
   * @throws {TransportError} When the pool is closed, ca-only trust cannot be met, or the forwarder cannot start.
   */
  async clientFor(
    auth: AuthState,
    request: RequestTarget,
    signal: AbortSignal | undefined,
  ): Promise<PooledClient> {
    if (this.#closed) throw closedError(request);
    if (this.#ownClient) return { client: this.#ownClient };
    if (!this.#plan.strictRequests) {
      return { client: this.#denoClientFor(auth) };
    }
    const where = this.#plan.forwarderDir;
    if ("obstacle" in where) {
      throw new TransportError(
        `${request.method} ${request.path}: requestTrust "ca-only" cannot be met: ${where.obstacle}`,
        { request, reason: "invalid-request" },
      );
    }
    const key = auth.clientCert?.cert ?? "";
    let started = this.#forwarders.get(key);
    if (!started) {
      const starting = this.#startForwarder(auth, where.dir);
      // A failed start is tried again by the next request.
      starting.catch(() => {
        if (this.#forwarders.get(key) === starting) {
          this.#forwarders.delete(key);
        }
      });
      this.#forwarders.set(key, starting);
      started = starting;
    }
    try {
      const got = await abortable(started, signal);
      if (this.#closed) {
        got.client.close();
        got.forwarder.close();
        throw closedError(request);
      }
      return got;
    } catch (err) {
      if (this.#closed && !signal?.aborted) throw closedError(request, err);
      if (!(err instanceof StartFailure)) {
        throw this.#fail(err, request, signal);
      }
      const cause = err.cause;
      throw new TransportError(
        `${request.method} ${request.path}: cannot start the private Unix socket that makes requests trust only the configured certificate-authority: ${
          cause instanceof Error ? cause.message : String(cause)
        }`,
        { request, reason: "network", cause },
      );
    }
  }

  /** Closes every HttpClient and forwarder, and abandons starts under way. Safe to call twice. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const c of this.#clients.values()) c.close();
    this.#clients.clear();
    this.#connect?.close();
    this.#closing.abort();
    for (const started of this.#forwarders.values()) {
      started.then(({ client, forwarder }) => {
        client.close();
        forwarder.close();
      }, () => {});
    }
    this.#forwarders.clear();
  }

  /**
   * Dials once to learn whether the server speaks HTTP/2 (as the apiserver
   * does), then starts the forwarder with that connection as its first and
   * an HttpClient speaking the same protocol on the Unix socket.
   *
   * @throws {Error} node:tls's error when the dial fails (certificate, refused).
   * @throws {StartFailure} When the Unix socket cannot be created.
   */
  async #startForwarder(
    auth: AuthState,
    parent: string,
  ): Promise<Required<PooledClient>> {
    const first = await dialStrictTls(
      strictTarget(this.#plan, auth, ["h2", "http/1.1"]),
      this.#closing.signal,
    );
    const h2 = first.alpnProtocol === "h2";
    const target = strictTarget(this.#plan, auth, [h2 ? "h2" : "http/1.1"]);
    let forwarder: StrictForwarder;
    try {
      forwarder = await startStrictForwarder(
        parent,
        (signal) => dialStrictTls(target, signal),
        first,
      );
    } catch (err) {
      first.destroy();
      throw new StartFailure(err);
    }
    return {
      forwarder,
      client: Deno.createHttpClient({
        proxy: { transport: "unix", path: forwarder.socketPath },
        http1: !h2,
        http2: h2,
      }),
    };
  }

  /** Deno's TLS: the CAs added to its roots, through the CONNECT forwarder or the proxy-url if any. */
  #denoClientFor(auth: AuthState): Deno.HttpClient {
    const key = auth.clientCert?.cert ?? "";
    let client = this.#clients.get(key);
    if (!client) {
      const target = this.#plan.connectTarget;
      if (target && !this.#connect) {
        this.#connect = startConnectForwarder(target);
      }
      const base = {
        caCerts: this.#plan.caCerts,
        proxy: this.#connect
          ? { url: this.#connect.proxyUrl }
          : this.#plan.proxy,
      };
      client = auth.clientCert
        ? Deno.createHttpClient({
          ...base,
          cert: auth.clientCert.cert,
          key: auth.clientCert.key,
        })
        : Deno.createHttpClient(base);
      this.#clients.set(key, client);
    }
    return client;
  }
}

/** The strict forwarder's socket could not be created. */
class StartFailure extends Error {
  constructor(cause: unknown) {
    super("cannot start the forwarder", { cause });
  }
}
