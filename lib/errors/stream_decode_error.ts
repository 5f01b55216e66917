// The error of a streamed response that cannot be decoded.

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
