// Building the API error for a failed answer: from its body (a Status or
// anything else), from a fetch Response (reading a bounded prefix), from a
// watch ERROR event; and reading `Retry-After`.

import { KubernetesApiError } from "./api_error.ts";
import { type FailedRequest, reasonCodes, type Status } from "./status.ts";
import { parseJsonOrUndefined } from "../_internal/json.ts";

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
  // Not JSON after all (or truncated): quoted as text below.
  const parsed: unknown = trimmed.startsWith("{")
    ? parseJsonOrUndefined(trimmed)
    : undefined;
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
