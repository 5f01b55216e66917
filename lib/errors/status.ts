// The Kubernetes `Status` a failed answer carries, and the reason ↔ HTTP
// code tables the API error and its builders share.

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

/** HTTP codes for the `Status.reason`s the API server sends. */
export const reasonCodes: Readonly<Record<string, number>> = {
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

/** The `Status.reason` an HTTP code stands for, when the body gave none. */
export const codeReasons: Readonly<Record<number, string>> = {
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
