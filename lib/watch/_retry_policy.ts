// The one retry policy of the library's list/watch loop (the Reflector's,
// which waitFor runs too): which failures mean "list again",
// which mean "back off and retry", and which watch counts as "very short".
// client-go's, from k8s.io/client-go/tools/cache/reflector.go (release
// 1.30+): isExpiredError, isTooLargeResourceVersionError,
// isWatchErrorRetriable and watchHandler's "very short watch".

import { KubernetesApiError, TransportError } from "../errors/mod.ts";

/**
 * A watch that ends cleanly within this many ms of its request without a
 * single event is treated as a failure and backed off, as client-go's
 * watchHandler does (`watchDuration < 1*time.Second && eventCount == 0`:
 * "very short watch … watch lasted less than a second and no items
 * received"). A server or proxy that closes every watch at once would
 * otherwise be asked again as fast as it answers.
 */
export const VERY_SHORT_WATCH_MS = 1000;

/**
 * Whether a watch that ended cleanly was "very short": no event, and less
 * than {@link VERY_SHORT_WATCH_MS} from its request to its end.
 *
 * @param startedAt The clock's time when the watch was requested (client-go
 *   starts the clock before the request, "since some proxies won't flush
 *   headers until after the first watch event is sent").
 * @param endedAt The clock's time when it ended.
 * @param events How many events it delivered.
 * @returns True when the end should be backed off like a failure.
 */
export function isVeryShortWatch(
  startedAt: number,
  endedAt: number,
  events: number,
): boolean {
  return events === 0 && endedAt - startedAt < VERY_SHORT_WATCH_MS;
}

/** The error a very short watch is backed off with (client-go's wording). */
export function veryShortWatchError(what: string): Error {
  return new Error(
    `very short watch: ${what}: unexpected watch close - watch lasted less than a second and no items received`,
  );
}

/**
 * 410: the resourceVersion or continue token is older than the server's
 * history (client-go's isExpiredError: reason `Expired`, or `Gone` from
 * servers up to 1.17).
 */
export function isExpired(err: unknown): boolean {
  return err instanceof KubernetesApiError && err.isGone();
}

/**
 * The resourceVersion is newer than the server knows (a lagging apiserver
 * behind a load balancer, an etcd restored from a backup). client-go's
 * isTooLargeResourceVersionError: a cause of type `ResourceVersionTooLarge`,
 * or — 1.17.0–1.18.5 and earlier — a 504 Timeout whose cause or message says
 * "Too large resource version".
 */
export function isTooLargeResourceVersion(err: unknown): boolean {
  if (!(err instanceof KubernetesApiError)) return false;
  const causes = err.details?.causes ?? [];
  if (causes.some((c) => c.reason === "ResourceVersionTooLarge")) return true;
  if (err.reason !== "Timeout" && err.code !== 504) return false;
  return causes.some((c) => c.message === "Too large resource version") ||
    (err.status.message ?? "").includes("Too large resource version");
}

/**
 * The version a watch resumes from is unusable: list again (after the wait
 * between relists) instead of retrying the watch.
 */
export function needsRelist(err: unknown): boolean {
  return isExpired(err) || isTooLargeResourceVersion(err);
}

/**
 * Failures a caller that may give up (waitFor, through the Reflector's
 * `onError`) leaves to the Reflector's backoff instead: client-go's isWatchErrorRetriable (connection refused, 429)
 * widened to every {@link TransportError} that says retrying may help
 * (reset, timeout, DNS, …), and 5xx answers (the apiserver restarting
 * behind a load balancer). Anything else (401, 403, 404, 400, a bad answer)
 * will not change by waiting and ends the caller's wait.
 */
export function isRetriable(err: unknown): boolean {
  if (err instanceof TransportError) return err.isRetriable();
  return err instanceof KubernetesApiError &&
    (err.isTooManyRequests() || err.isServerError());
}
