// The one error every transport raises for a non-2xx answer.

import {
  codeReasons,
  type FailedRequest,
  reasonCodes,
  type Status,
  type StatusDetails,
} from "./status.ts";
import { KubernetesClientError } from "./kubernetes_client_error.ts";

/**
 * A non-2xx answer from the Kubernetes API, on any transport.
 *
 * It always carries a {@link Status}: the server's own when it sent one,
 * otherwise one built from the HTTP code and a short prefix of the body.
 * `httpCode` and `status` keep v0.7.3's `HttpError` fields, so existing
 * `catch` blocks keep working.
 *
 * @example Tolerating a missing object
 * ```ts
 * import { KubernetesApiError } from "@denokube/transport/errors";
 * import type { RestClient } from "@denokube/transport/contract";
 *
 * async function deleteIfThere(client: RestClient, path: string): Promise<void> {
 *   try {
 *     await client.performRequest({ method: "DELETE", path, expectJson: true });
 *   } catch (err) {
 *     if (!(err instanceof KubernetesApiError && err.isNotFound())) throw err;
 *   }
 * }
 * ```
 */
export class KubernetesApiError extends KubernetesClientError {
  /** The HTTP status code of the answer (for watch ERROR events: the Status's code). */
  readonly httpCode: number;
  /** The Kubernetes `Status`, as sent or as reconstructed. */
  readonly status: Status;
  /** The request that failed: method and path only. */
  readonly request: FailedRequest;
  /** Seconds the server asked the client to wait (`Retry-After` or `details.retryAfterSeconds`). */
  readonly retryAfterSeconds: number | undefined;

  /**
   * Builds the error from the answer; the message names the request.
   *
   * @param httpCode The HTTP status code.
   * @param status The Status to carry; `code` and `reason` are filled in from `httpCode` when absent.
   * @param request The method and path that failed.
   * @param options `retryAfterSeconds` from a `Retry-After` header, and a `cause`.
   */
  constructor(
    httpCode: number,
    status: Status,
    request: FailedRequest,
    options: { retryAfterSeconds?: number; cause?: unknown } = {},
  ) {
    const full: Status = {
      kind: "Status",
      apiVersion: "v1",
      status: "Failure",
      ...status,
      code: status.code ?? httpCode,
      reason: status.reason || codeReasons[httpCode] || "Unknown",
    };
    const text = full.message ? `: ${full.message}` : "";
    super(
      `${request.method} ${request.path}: HTTP ${httpCode} ${full.reason}${text}`,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = "KubernetesApiError";
    this.httpCode = httpCode;
    this.status = full;
    this.request = { method: request.method, path: request.path };
    this.retryAfterSeconds = options.retryAfterSeconds ??
      full.details?.retryAfterSeconds;
  }

  /** The Status's `code`: the HTTP code it stands for. */
  get code(): number {
    return this.status.code ?? this.httpCode;
  }
  /** The Status's `reason`, such as `NotFound`; `Unknown` when neither body nor code tell. */
  override get reason(): string {
    return this.status.reason ?? "Unknown";
  }
  /** The Status's `details`, including `causes` for invalid objects. */
  get details(): StatusDetails | undefined {
    return this.status.details;
  }

  /** The object does not exist (404). */
  isNotFound(): boolean {
    return this.#is("NotFound", 404);
  }
  /** The object already exists (409 AlreadyExists). */
  isAlreadyExists(): boolean {
    return this.reason === "AlreadyExists";
  }
  /** A write lost a race on a stale `resourceVersion` (409 Conflict; see also {@link isAlreadyExists}). */
  isConflict(): boolean {
    return this.#is("Conflict", 409);
  }
  /** The caller is authenticated but not allowed (403). */
  isForbidden(): boolean {
    return this.#is("Forbidden", 403);
  }
  /** The caller is not authenticated (401). */
  isUnauthorized(): boolean {
    return this.#is("Unauthorized", 401);
  }
  /** The requested resourceVersion or continue token is too old (410, `Expired` or `Gone`): list again. */
  isGone(): boolean {
    return this.code === 410 || this.reason === "Expired" ||
      this.reason === "Gone";
  }
  /** Same as {@link isGone}, under client-go's name. */
  isExpired(): boolean {
    return this.isGone();
  }
  /** The server is rate limiting (429). */
  isTooManyRequests(): boolean {
    return this.#is("TooManyRequests", 429);
  }
  /** The object failed validation (422); see `details.causes`. */
  isInvalid(): boolean {
    return this.#is("Invalid", 422);
  }
  /** The request was malformed (400). */
  isBadRequest(): boolean {
    return this.#is("BadRequest", 400);
  }
  /** The server failed or is overloaded (5xx). */
  isServerError(): boolean {
    return this.code >= 500;
  }

  #is(reason: string, code: number): boolean {
    return this.reason === reason ||
      (this.code === code && !(this.reason in reasonCodes));
  }
}
