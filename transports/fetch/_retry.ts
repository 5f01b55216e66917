// When the fetch transport sends a request again: requests the server
// throttled with `Retry-After` (429 for any method, 503 for idempotent
// ones), waiting as it asks, up to a cap.

import { parseRetryAfter } from "../../lib/errors/mod.ts";

/** When to retry a throttled request. */
export interface RetryOptions {
  /** Retries after the first attempt. @default {3} */
  maxRetries?: number;
  /** Longest wait honoured from a `Retry-After` header, in seconds; longer waits are capped. @default {30} */
  maxDelaySeconds?: number;
}

/** The retry options with their defaults filled in, or `false` for none. */
export type RetryPolicy = Required<RetryOptions> | false;

const idempotentMethods = new Set(["GET", "HEAD", "OPTIONS", "PUT", "DELETE"]);

/**
 * The policy the caller's options describe.
 *
 * @param retry The caller's options, or `false`.
 * @returns The policy.
 */
export function retryPolicy(
  retry: RetryOptions | false | undefined,
): RetryPolicy {
  return retry === false ? false : {
    maxRetries: retry?.maxRetries ?? 3,
    maxDelaySeconds: retry?.maxDelaySeconds ?? 30,
  };
}

/**
 * How long to wait before sending `request` again after `resp`, or
 * `undefined` when it is not retried.
 *
 * @param policy The client's policy.
 * @param resp The response that failed.
 * @param method The request's method.
 * @param replayable Whether the body can be sent again.
 * @param retries Retries already made.
 * @returns The server's `Retry-After` in seconds and the wait in
 *   milliseconds (capped), or `undefined`.
 */
export function retryDelayMs(
  policy: RetryPolicy,
  resp: Response,
  method: string,
  replayable: boolean,
  retries: number,
): { afterSeconds: number; waitMs: number } | undefined {
  // A 429 is safe to send again whatever the method: priority and fairness
  // (APF) and the max-in-flight filter reject before the request runs
  // (client-go's checkWait retries it likewise). A 503 may come after work
  // was done: only idempotent requests go again.
  if (
    !policy || (resp.status !== 429 && resp.status !== 503) || !replayable ||
    (resp.status === 503 && !idempotentMethods.has(method)) ||
    retries >= policy.maxRetries
  ) {
    return undefined;
  }
  const after = parseRetryAfter(resp.headers.get("retry-after"));
  return after === undefined ? undefined : {
    afterSeconds: after,
    waitMs: Math.min(after, policy.maxDelaySeconds) * 1000,
  };
}
