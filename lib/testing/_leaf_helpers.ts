// Leaf helpers of the testing package. It is a package of its own that uses
// @denokube/transport only through that package's exports, so it cannot
// import the transport's internals (lib/_internal/); these are the few it
// needs, cut to what it uses. Change the originals' rules here too: the
// wait is lib/_internal/delay.ts's, the error text lib/_internal/error_text.ts's,
// and a JSON text that may hold keys or tokens is, as in lib/_internal/json.ts,
// never quoted in an error.

/**
 * Waits `ms` milliseconds.
 *
 * @param ms How long.
 * @returns When the time is up.
 */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * An error's message with its cause's (where Deno keeps "connection refused"
 * or a spawn failure), or a thrown non-Error as text.
 *
 * @param err What was thrown.
 * @returns The text to put in a message.
 */
export function errorText(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error ? err.cause.message : "";
  return cause && !err.message.includes(cause)
    ? `${err.message}: ${cause}`
    : err.message;
}

/**
 * Parses `text` as JSON; when it is not, throws what `notJson` builds from
 * the text's length alone (`JSON.parse`'s message quotes the text around the
 * failure, and the text may hold keys and tokens).
 *
 * @param text The text.
 * @param notJson Builds the error from the text's length.
 * @returns The value.
 * @throws What `notJson` returns, when `text` is not JSON.
 */
export function parseJsonQuietly(
  text: string,
  notJson: (chars: number) => Error,
): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw notJson(text.length);
  }
}
