// The error a Reflector reports to its `onError` hook: what failed, named by
// the stage of list/watch it failed in (kube-rs's `watcher::Error`), with
// the failure itself as `cause`.

import { KubernetesClientError } from "./kubernetes_client_error.ts";

/**
 * The stage a Reflector failed in.
 *
 * - `InitialListFailed`: listing the collection (a page of it) failed.
 * - `WatchStartFailed`: the watch request got no stream: refused (5xx,
 *   403, 429), no answer (TLS, connection, the request deadline).
 * - `WatchEventError`: the watch sent an ERROR event (other than a 410,
 *   which only relists).
 * - `WatchFailed`: a watch broke after it started: the connection was cut,
 *   a line could not be decoded, it stalled, or it ended at once with no
 *   event (client-go's "very short watch").
 */
export type ReflectorErrorReason =
  | "InitialListFailed"
  | "WatchStartFailed"
  | "WatchEventError"
  | "WatchFailed";

const STAGES: Record<ReflectorErrorReason, string> = {
  InitialListFailed: "the list failed",
  WatchStartFailed: "the watch could not start",
  WatchEventError: "the watch sent an ERROR event",
  WatchFailed: "the watch failed",
};

/**
 * Why a Reflector is backing off instead of syncing: the stage in
 * {@link reason}, the failure (a `KubernetesApiError`, a `TransportError`,
 * a `StreamDecodeError`, …) in `cause`. What its `onError` hook is given.
 *
 * @example Logging why a Reflector is not syncing
 * ```ts
 * import { ReflectorError } from "@denokube/transport/errors";
 *
 * function onError(err: ReflectorError): void {
 *   console.warn(`${err.reason}: ${err.message}`);
 * }
 * onError(new ReflectorError("WatchStartFailed", new Error("connection refused")));
 * ```
 */
export class ReflectorError extends KubernetesClientError {
  /** The stage that failed. */
  readonly reason: ReflectorErrorReason;

  /**
   * Builds the error; the message names the stage, then the cause's message.
   *
   * @param reason The stage that failed.
   * @param cause The failure.
   */
  constructor(reason: ReflectorErrorReason, cause: unknown) {
    super(
      `Reflector: ${STAGES[reason]}: ${
        cause instanceof Error ? cause.message : String(cause)
      }`,
      { cause },
    );
    this.name = "ReflectorError";
    this.reason = reason;
  }
}
