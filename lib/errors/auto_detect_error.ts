// The error of `autoDetectClient` when no source worked, with every
// source's failure.

import { brandClientError } from "./kubernetes_client_error.ts";

/** The sources `autoDetectClient` can try. */
export type AutoDetectSource =
  | "InCluster"
  | "KubeConfig"
  | "KubectlProxy"
  | "KubectlRaw";

/** Why `autoDetectClient` failed: no source worked (each one's failure is in `attempts`). */
export type AutoDetectErrorReason = "NoSourceWorked";

/** Why one source could not be used. */
export interface AutoDetectAttempt {
  /** The source tried. */
  source: AutoDetectSource;
  /** What failed. */
  reason: string;
  /** What would fix it: a Deno flag, or a file or command to provide. */
  fix?: string;
  /** The underlying error, if any. */
  cause?: unknown;
}

/**
 * No source worked. The message has one line per source; `attempts` (and
 * `errors`, as for any `AggregateError`) keep each one as a value. An
 * `AggregateError`, and (by its brand) a `KubernetesClientError`.
 */
export class AutoDetectError extends AggregateError {
  /** Always `NoSourceWorked`. */
  readonly reason: AutoDetectErrorReason = "NoSourceWorked";
  /** One entry per source tried, in order. */
  readonly attempts: AutoDetectAttempt[];

  /**
   * Builds the error from every source's failure.
   *
   * @param attempts Every source's failure, in order.
   */
  constructor(attempts: AutoDetectAttempt[]) {
    super(
      attempts.map((a) => a.cause ?? new Error(a.reason)),
      "autoDetectClient: no way to reach a Kubernetes API server was found:\n" +
        attempts.map((a) => `  - ${describeAttempt(a)}`).join("\n"),
    );
    brandClientError(this);
    this.name = "AutoDetectError";
    this.attempts = attempts;
  }
}

/**
 * One attempt as one line: source, reason and fix.
 *
 * @param a The attempt.
 * @returns `source: reason (fix: …)`.
 */
export function describeAttempt(a: AutoDetectAttempt): string {
  return `${a.source}: ${a.reason}${a.fix ? ` (fix: ${a.fix})` : ""}`;
}
