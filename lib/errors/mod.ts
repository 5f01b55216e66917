/**
 * The one error every transport raises for a non-2xx answer from the
 * Kubernetes API, and the function that builds it from any failed response;
 * the errors of the other layers (kubeconfig, credentials, stream decoding,
 * kubectl) and, re-exported, the {@link TransportError} for requests that
 * got no answer.
 *
 * @module
 */

import {
  classifyTransportFailure,
  TransportError,
  type TransportFailure,
} from "./transport_error.ts";
import { redactSecrets, withoutMessage } from "../_internal/redact.ts";

export * from "./transport_error.ts";

/** One reason a request was invalid, usually naming a field. */
export interface StatusCause {
  /** Machine-readable reason, such as `FieldValueRequired`. */
  reason?: string;
  /** Human-readable description. */
  message?: string;
  /** The field at fault, such as `metadata.name`. */
  field?: string;
}

/** Extra, reason-specific information on a {@link Status}. */
export interface StatusDetails {
  /** Name of the resource the status is about. */
  name?: string;
  /** API group of the resource. */
  group?: string;
  /** Kind (or resource) of the resource. */
  kind?: string;
  /** UID of the resource. */
  uid?: string;
  /** Individual problems, such as one per invalid field. */
  causes?: StatusCause[];
  /** How long the client should wait before retrying. */
  retryAfterSeconds?: number;
}

/** The Kubernetes `meta/v1` `Status` object returned with failures. */
export interface Status {
  /** `Status` when the server sent one. */
  kind?: string;
  /** `v1` when the server sent one. */
  apiVersion?: string;
  /** List metadata (rarely used on failures). */
  metadata?: { resourceVersion?: string; continue?: string };
  /** `Success` or `Failure`. */
  status?: string;
  /** Human-readable description. */
  message?: string;
  /** Machine-readable reason, such as `NotFound` or `Expired`. */
  reason?: string;
  /** Reason-specific details. */
  details?: StatusDetails;
  /** The HTTP status code this Status stands for. */
  code?: number;
}

/** The request a {@link KubernetesApiError} answers; never headers, bodies or credentials. */
export interface FailedRequest {
  /** HTTP method, such as `GET`. */
  method: string;
  /** The API path, with its query string if any. */
  path: string;
}

const reasonCodes: Readonly<Record<string, number>> = {
  BadRequest: 400,
  Unauthorized: 401,
  Forbidden: 403,
  NotFound: 404,
  MethodNotAllowed: 405,
  NotAcceptable: 406,
  AlreadyExists: 409,
  Conflict: 409,
  Gone: 410,
  Expired: 410,
  RequestEntityTooLarge: 413,
  UnsupportedMediaType: 415,
  Invalid: 422,
  TooManyRequests: 429,
  InternalError: 500,
  ServiceUnavailable: 503,
  Timeout: 504,
  ServerTimeout: 504,
};

const codeReasons: Readonly<Record<number, string>> = {
  400: "BadRequest",
  401: "Unauthorized",
  403: "Forbidden",
  404: "NotFound",
  405: "MethodNotAllowed",
  406: "NotAcceptable",
  409: "Conflict",
  410: "Gone",
  413: "RequestEntityTooLarge",
  415: "UnsupportedMediaType",
  422: "Invalid",
  429: "TooManyRequests",
  500: "InternalError",
  503: "ServiceUnavailable",
  504: "Timeout",
};

/**
 * The HTTP code a Kubernetes `Status.reason` stands for, for transports that
 * only learn the reason (kubectl prints `Error from server (NotFound): …`).
 *
 * @param reason A `Status.reason` such as `NotFound`.
 * @returns The HTTP code, or `undefined` for an unknown reason.
 */
export function httpCodeForReason(reason: string): number | undefined {
  return reasonCodes[reason];
}

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
export class KubernetesApiError extends Error {
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
  get reason(): string {
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

/** How much of a failed response's body is read; a Status is far smaller. */
const maxErrorBodyBytes = 64 * 1024;
/** How much of a body that is not a Status is quoted in the message. */
const maxQuotedChars = 200;

/**
 * Builds the {@link KubernetesApiError} for a failed answer from its body,
 * whatever the body is: a Status JSON, other JSON, plain text or nothing.
 *
 * @param httpCode The HTTP status code.
 * @param body The body as bytes or text (may be empty).
 * @param request The method and path that failed.
 * @param retryAfterSeconds A parsed `Retry-After` header, if any.
 * @returns The error to throw.
 */
export function apiErrorFromBody(
  httpCode: number,
  body: Uint8Array | string,
  request: FailedRequest,
  retryAfterSeconds?: number,
): KubernetesApiError {
  const text = typeof body === "string" ? body : new TextDecoder().decode(body);
  const trimmed = text.trim();
  let parsed: unknown = undefined;
  if (trimmed.startsWith("{")) {
    try {
      parsed = JSON.parse(trimmed);
    } catch {
      // Not JSON after all (or truncated): quote it as text below.
    }
  }
  let status: Status;
  if (isStatusLike(parsed)) {
    status = parsed;
  } else if (trimmed === "") {
    status = {};
  } else if (parsed !== undefined && typeof parsed === "object") {
    const obj = parsed as Record<string, unknown>;
    const message = typeof obj.message === "string"
      ? obj.message
      : typeof obj.error === "string"
      ? obj.error
      : quote(trimmed);
    status = { message };
  } else {
    status = { message: quote(trimmed) };
  }
  return new KubernetesApiError(httpCode, status, request, {
    retryAfterSeconds,
  });
}

/**
 * Reads a failed `fetch` response and builds its {@link KubernetesApiError}.
 * Reads at most 64 KiB of the body (chunked or not) and releases the rest.
 *
 * @param resp The non-2xx response.
 * @param request The method and path that failed.
 * @returns The error to throw.
 */
export async function apiErrorFromResponse(
  resp: Response,
  request: FailedRequest,
): Promise<KubernetesApiError> {
  let body: Uint8Array = new Uint8Array();
  let cause: unknown = undefined;
  try {
    body = await readPrefix(resp.body, maxErrorBodyBytes);
  } catch (err) {
    cause = err; // the status code alone still makes a useful error
  }
  const err = apiErrorFromBody(
    resp.status,
    body,
    request,
    parseRetryAfter(resp.headers.get("retry-after")),
  );
  if (cause !== undefined) {
    return new KubernetesApiError(err.httpCode, err.status, request, {
      retryAfterSeconds: err.retryAfterSeconds,
      cause,
    });
  }
  return err;
}

/**
 * Builds the error for a watch `ERROR` event, whose object is a Status.
 *
 * @param status The event's object.
 * @param request The watch request.
 * @returns The error, with `httpCode` taken from the Status's `code` (500 when absent).
 */
export function apiErrorFromStatus(
  status: Status,
  request: FailedRequest,
): KubernetesApiError {
  const code = typeof status.code === "number"
    ? status.code
    : (status.reason && reasonCodes[status.reason]) || 500;
  return new KubernetesApiError(code, status, request);
}

/**
 * Parses a `Retry-After` header: whole seconds or an HTTP date.
 *
 * @param value The header value.
 * @param now The current time in milliseconds, for HTTP dates.
 * @returns Seconds to wait (never negative), or `undefined` when absent or unreadable.
 */
export function parseRetryAfter(
  value: string | null,
  now: number = Date.now(),
): number | undefined {
  if (value === null || value.trim() === "") return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v);
  const date = Date.parse(v);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, Math.ceil((date - now) / 1000));
}

function isStatusLike(value: unknown): value is Status {
  if (value === null || typeof value !== "object") return false;
  const obj = value as Record<string, unknown>;
  return obj.kind === "Status" ||
    (typeof obj.reason === "string" && typeof obj.message === "string") ||
    (typeof obj.code === "number" && typeof obj.message === "string");
}

function quote(text: string): string {
  const oneLine = text.replace(/\s+/g, " ");
  return oneLine.length > maxQuotedChars
    ? `${oneLine.slice(0, maxQuotedChars)}… (${text.length} chars)`
    : oneLine;
}

async function readPrefix(
  body: ReadableStream<Uint8Array> | null,
  limit: number,
): Promise<Uint8Array> {
  if (!body) return new Uint8Array();
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < limit) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } finally {
    // Frees the connection whether or not the body was fully read.
    await reader.cancel().catch(() => {});
  }
  const out = new Uint8Array(Math.min(size, limit));
  let at = 0;
  for (const c of chunks) {
    const n = Math.min(c.byteLength, out.byteLength - at);
    out.set(c.subarray(0, n), at);
    at += n;
    if (at === out.byteLength) break;
  }
  return out;
}

/** Where in a kubeconfig a problem lies. */
export interface KubeConfigLocation {
  /** The kubeconfig file (or files, joined with the path-list separator). */
  file?: string;
  /** The field, such as `users["ops"].user.client-key-data`. */
  field?: string;
  /** The underlying error. */
  cause?: unknown;
}

/**
 * A kubeconfig that cannot be used: unreadable, malformed, of the wrong kind,
 * naming something it does not define, or pointing at files that are missing.
 * The message names the file and the field, never a secret's value.
 *
 * @example
 * ```ts
 * import { KubeConfigError } from "@denokube/transport/errors";
 * import { KubeConfig } from "@denokube/transport/kubeconfig";
 *
 * try {
 *   await KubeConfig.readFromPath("./kubeconfig.yaml");
 * } catch (err) {
 *   if (err instanceof KubeConfigError) console.error(err.file, err.field, err.message);
 * }
 * ```
 */
export class KubeConfigError extends Error {
  /** The kubeconfig file(s) at fault, if known. */
  readonly file: string | undefined;
  /** The field at fault, if known. */
  readonly field: string | undefined;

  /**
   * Builds the error; the message starts with the file and field.
   *
   * @param detail What is wrong, without the location (it is prefixed).
   * @param where The file, field and cause.
   */
  constructor(detail: string, where: KubeConfigLocation = {}) {
    const prefix = [
      where.file ? `KubeConfig ${where.file}` : "KubeConfig",
      where.field,
    ].filter(Boolean).join(": ");
    super(
      `${prefix}: ${detail}`,
      where.cause === undefined ? undefined : { cause: where.cause },
    );
    this.name = "KubeConfigError";
    this.file = where.file;
    this.field = where.field;
  }
}

/**
 * Credentials named by a kubeconfig could not be obtained: an exec plugin
 * failed, is not installed or printed no ExecCredential; an auth-provider
 * token expired; a token file vanished.
 */
export class CredentialError extends KubeConfigError {
  /**
   * Builds the error; the message starts with the file and field.
   *
   * @param detail What went wrong, without the location.
   * @param where The file, field and cause.
   */
  constructor(detail: string, where: KubeConfigLocation = {}) {
    super(detail, where);
    this.name = "CredentialError";
  }
}

/**
 * A streamed response could not be decoded: a line that is not JSON, or a
 * watch event of an unknown shape. Quotes only a short prefix of the line,
 * since objects in a stream may be Secrets.
 */
export class StreamDecodeError extends Error {
  /** 1-based line number within the stream. */
  readonly line: number;

  /**
   * Builds the error; the message quotes only a short prefix of the line.
   *
   * @param detail What is wrong.
   * @param line The line number.
   * @param text The offending line, of which only a prefix is quoted.
   * @param cause The parser's error.
   */
  constructor(detail: string, line: number, text: string, cause?: unknown) {
    const prefix = text.length > 40 ? `${text.slice(0, 40)}…` : text;
    super(
      `${detail} on line ${line} of the stream (${text.length} chars, starting ${
        JSON.stringify(prefix)
      })`,
      cause === undefined ? undefined : { cause },
    );
    this.name = "StreamDecodeError";
    this.line = line;
  }
}

/**
 * `kubectl` failed without an answer from the API server: it could not be
 * started, could not connect, rejected its arguments, or died mid-stream.
 * (Answers from the server become {@link KubernetesApiError}s instead.)
 * A {@link TransportError}: `kind` says whether kubectl could not connect
 * (`connection-refused`, `timeout`, `tls`, …) or failed on its own
 * (`kubectl`, `invalid-request`, `closed`). Anything token-shaped in the
 * message (kubectl relays what credential plugins print) is replaced by
 * `[redacted]`.
 */
export class KubectlError extends TransportError {
  /** kubectl's exit code, when it ran. */
  readonly exitCode: number | undefined;

  /**
   * Builds the error; the request is read from the message's `METHOD /path: ` prefix.
   *
   * @param message What failed, naming the request (`GET /api: …`).
   * @param exitCode kubectl's exit code.
   * @param cause The underlying error.
   * @param kind Why it failed. @default {read from the message and cause; `kubectl` when neither tells}
   */
  constructor(
    message: string,
    exitCode?: number,
    cause?: unknown,
    kind?: TransportFailure,
  ) {
    // kubectl relays what credential plugins print, and a parser's error
    // quotes its input: neither may carry a token into the error.
    const safe = redactSecrets(message);
    const safeCause = cause instanceof SyntaxError
      ? withoutMessage(cause)
      : cause;
    const named = safe.match(/^([A-Z]+) (\/\S*): /);
    super(safe, {
      cause: safeCause,
      kind: kind ?? classifyTransportFailure(
        new Error(
          safe,
          safeCause === undefined ? undefined : { cause: safeCause },
        ),
        "kubectl",
      ),
      request: named ? { method: named[1], path: named[2] } : undefined,
    });
    this.name = "KubectlError";
    this.exitCode = exitCode;
  }
}
