// The one way this library describes a thrown value it did not make (a
// fetch failure, a callee's error, a non-Error thrown): used wherever an
// error's text goes into another message.

/**
 * An error's message, followed by its cause's where the message does not
 * already hold it (Deno's fetch keeps the reason — "connection refused", a
 * TLS failure — in `cause`); a thrown non-Error as text.
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
