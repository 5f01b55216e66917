// The kubectl transports' error when no answer came from the server.

import {
  classifyTransportFailure,
  TransportError,
  type TransportFailure,
} from "./transport_error.ts";
import { redactSecrets, withoutMessage } from "../_internal/redact.ts";

/**
 * `kubectl` failed without an answer from the API server: it could not be
 * started, could not connect, rejected its arguments, or died mid-stream.
 * (Answers from the server become {@link KubernetesApiError}s instead.)
 * A {@link TransportError}: `reason` says whether kubectl could not connect
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
      reason: kind ?? classifyTransportFailure(
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
