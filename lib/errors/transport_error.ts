/**
 * The one error every transport raises when a request got no answer from the
 * Kubernetes API: the connection was refused, reset or timed out, TLS
 * failed, the client was closed, the answer was not what the protocol
 * promised (a body that is not JSON, a refused tunnel handshake that is not
 * HTTP), or the request itself could not be sent (a control character in its
 * head). Answers from the server become `KubernetesApiError`s instead.
 *
 * @module
 */

import { KubernetesClientError } from "./kubernetes_client_error.ts";

/** The request a {@link TransportError} belongs to: method and path, never the query string, headers or body. */
export interface TransportRequest {
  /** HTTP method, such as `GET`. */
  method: string;
  /** The API path, without its query string (query values may be secrets). */
  path: string;
}

/**
 * Why a request got no answer.
 *
 * - `connection-refused`: nothing listens at the server's address.
 * - `connection-reset`: the connection broke, before or during the answer.
 * - `timeout`: connecting or waiting for an answer took too long.
 * - `dns`: the server's host name does not resolve.
 * - `tls`: the TLS handshake failed (certificate, name, protocol).
 * - `closed`: the client (or the process it owns) was closed.
 * - `bad-response`: an answer that breaks the protocol (not JSON, not HTTP, a bad WebSocket acceptance).
 * - `invalid-request`: the request cannot be sent as given (a control character in its head, an unsupported combination).
 * - `kubectl`: kubectl failed for a reason of its own (configuration, plugin, arguments).
 * - `network`: any other failure below HTTP.
 */
export type TransportFailure =
  | "connection-refused"
  | "connection-reset"
  | "timeout"
  | "dns"
  | "tls"
  | "closed"
  | "bad-response"
  | "invalid-request"
  | "kubectl"
  | "network";

/** What a {@link TransportError} is built from. */
export interface TransportErrorOptions {
  /** The request that failed. @default {undefined} (for failures outside a request, such as starting a process) */
  request?: TransportRequest;
  /** Why it failed. @default {the reason {@link classifyTransportFailure} reads from `cause`} */
  reason?: TransportFailure;
  /** @deprecated Use {@link TransportErrorOptions.reason}: the same, under the name every error class uses. */
  kind?: TransportFailure;
  /** The underlying error. */
  cause?: unknown;
}

const retriable: ReadonlySet<TransportFailure> = new Set([
  "connection-refused",
  "connection-reset",
  "timeout",
  "dns",
  "network",
]);

/**
 * A request that got no answer from the API server, on any transport
 * (`KubeConfigRestClient`, `InClusterRestClient`, `KubectlProxyRestClient`,
 * `KubectlRawRestClient` — whose `KubectlError` is a subclass — and tunnels).
 * The predicates say whether sending the same request again may work.
 *
 * @example Retrying a request that never reached the server
 * ```ts
 * import { TransportError } from "@denokube/transport/errors";
 * import type { RestClient } from "@denokube/transport/contract";
 *
 * async function getWithOneRetry(client: RestClient, path: string): Promise<unknown> {
 *   try {
 *     return await client.performRequest({ method: "GET", path, expectJson: true });
 *   } catch (err) {
 *     if (!(err instanceof TransportError && err.isRetriable())) throw err;
 *     await new Promise((r) => setTimeout(r, 1000));
 *     return await client.performRequest({ method: "GET", path, expectJson: true });
 *   }
 * }
 * ```
 */
export class TransportError extends KubernetesClientError {
  /** Why the request got no answer. */
  readonly reason: TransportFailure;
  /** The request: method and path only. */
  readonly request: TransportRequest | undefined;

  /**
   * Builds the error; `reason` defaults to what the cause says.
   *
   * @param message What failed, naming the request (`GET /api: …`).
   * @param options The request, the reason and the cause.
   */
  constructor(message: string, options: TransportErrorOptions = {}) {
    super(
      message,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = "TransportError";
    this.reason = options.reason ?? options.kind ??
      classifyTransportFailure(options.cause);
    this.request = options.request
      ? {
        method: options.request.method,
        path: stripQuery(options.request.path),
      }
      : undefined;
  }

  /**
   * Why the request got no answer.
   *
   * @deprecated Use {@link TransportError.reason}: the same value, under
   * the name every error class of the library uses.
   */
  get kind(): TransportFailure {
    return this.reason;
  }

  /**
   * Whether the same request may succeed if sent again later: the server
   * was unreachable, reset the connection or did not answer in time. TLS
   * failures, closed clients, malformed answers and invalid requests are
   * not retriable.
   *
   * @returns `true` for `connection-refused`, `connection-reset`, `timeout`, `dns` and `network`.
   */
  isRetriable(): boolean {
    return retriable.has(this.reason);
  }
  /**
   * Whether connecting or waiting for the answer timed out.
   *
   * @returns `true` when it did.
   */
  isTimeout(): boolean {
    return this.reason === "timeout";
  }
  /**
   * Whether nothing listens at the server's address.
   *
   * @returns `true` when it did.
   */
  isConnectionRefused(): boolean {
    return this.reason === "connection-refused";
  }
  /**
   * Whether the connection broke.
   *
   * @returns `true` when it did.
   */
  isConnectionReset(): boolean {
    return this.reason === "connection-reset";
  }
  /**
   * Whether the TLS handshake failed (untrusted or mismatched certificate).
   *
   * @returns `true` when it did.
   */
  isTlsError(): boolean {
    return this.reason === "tls";
  }
  /**
   * Whether the client was closed before or during the request.
   *
   * @returns `true` when it did.
   */
  isClosed(): boolean {
    return this.reason === "closed";
  }
}

/**
 * Reads why a request failed from the error Deno (or a child process) gave,
 * following its `cause` chain.
 *
 * @param err The underlying error, or text such as kubectl's message.
 * @param fallback The kind when nothing more specific is recognised.
 * @returns The kind.
 */
export function classifyTransportFailure(
  err: unknown,
  fallback: TransportFailure = "network",
): TransportFailure {
  const texts: string[] = [];
  for (let e = err, depth = 0; e !== undefined && depth < 5; depth++) {
    if (e instanceof Deno.errors.ConnectionRefused) return "connection-refused";
    if (
      e instanceof Deno.errors.ConnectionReset ||
      e instanceof Deno.errors.ConnectionAborted ||
      e instanceof Deno.errors.BrokenPipe ||
      e instanceof Deno.errors.UnexpectedEof
    ) return "connection-reset";
    if (
      e instanceof Deno.errors.TimedOut ||
      (e instanceof DOMException && e.name === "TimeoutError")
    ) return "timeout";
    if (e instanceof Error) {
      texts.push(e.message);
      e = e.cause;
    } else {
      texts.push(String(e));
      break;
    }
  }
  const text = texts.join(" ");
  if (/refused/i.test(text)) return "connection-refused";
  if (/certificate|UnknownIssuer|NotValidForName|tls|handshake/i.test(text)) {
    return "tls";
  }
  if (/timed? ?out|deadline/i.test(text)) return "timeout";
  if (/dns error|no such host|name or service not known|lookup/i.test(text)) {
    return "dns";
  }
  if (
    /reset|broken pipe|connection closed|unexpected eof|aborted/i.test(text)
  ) {
    return "connection-reset";
  }
  return fallback;
}

function stripQuery(path: string): string {
  const q = path.indexOf("?");
  return q === -1 ? path : path.slice(0, q);
}
