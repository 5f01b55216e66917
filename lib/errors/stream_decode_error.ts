// The error of a streamed response that cannot be decoded.

import { withoutMessage } from "../_internal/redact.ts";
import { KubernetesClientError } from "./kubernetes_client_error.ts";

/**
 * Why a streamed line could not be decoded.
 *
 * - `MalformedJson`: the line is not JSON (the parser's error is the `cause`).
 * - `UnexpectedShape`: the line is JSON but not what the stream carries
 *   (not an object, a watch event of an unknown shape).
 */
export type StreamDecodeErrorReason = "MalformedJson" | "UnexpectedShape";

/** The start of a watch event as the apiserver writes it: safe to name. */
const EVENT_TYPE =
  /^\{\s*"type"\s*:\s*"(ADDED|MODIFIED|DELETED|BOOKMARK|ERROR)"/;

/**
 * A streamed response could not be decoded: a line that is not JSON, or a
 * watch event of an unknown shape.
 *
 * Objects in a stream may be Secrets, so the error never quotes the line:
 * it gives the line's number and length, where the parser stopped, and the
 * watch event's type when the line starts like one. A parser's error kept as
 * `cause` keeps its class only; its message (V8 quotes the text around the
 * failure) is withheld, whoever builds the error.
 */
export class StreamDecodeError extends KubernetesClientError {
  /** `MalformedJson` when a parser failed (its error is the `cause`), `UnexpectedShape` otherwise. */
  readonly reason: StreamDecodeErrorReason;
  /** 1-based line number within the stream. */
  readonly line: number;

  /**
   * Builds the error; the message describes the line without quoting it.
   *
   * @param detail What is wrong.
   * @param line The line number.
   * @param text The offending line: only its length, the parser's position and an event type are taken from it.
   * @param cause The parser's error; kept with its message withheld.
   * @param position Where the parser stopped (0-based), when the caller
   *   read it already; otherwise it is read from `cause`'s message.
   */
  constructor(
    detail: string,
    line: number,
    text: string,
    cause?: unknown,
    position?: number,
  ) {
    const facts = [`${text.length} chars`];
    const type = text.match(EVENT_TYPE)?.[1];
    if (type) facts.push(`a ${type} event`);
    const at = position ??
      (cause instanceof Error
        ? cause.message.match(/\bat position (\d+)/)?.[1]
        : undefined);
    if (at !== undefined) facts.push(`the parser stopped at column ${+at + 1}`);
    super(
      `${detail} on line ${line} of the stream (${facts.join(", ")})`,
      cause === undefined ? undefined : { cause: withoutMessage(cause) },
    );
    this.name = "StreamDecodeError";
    this.reason = cause === undefined ? "UnexpectedShape" : "MalformedJson";
    this.line = line;
  }
}
