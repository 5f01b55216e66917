// Tearing down what may already be gone: a connection the peer or a pipe
// closed, a child process that already exited. Cleanup must not throw.

/**
 * Closes `resource`, ignoring the error a second close throws.
 *
 * @param resource A connection, listener or anything with `close()`; nothing when undefined.
 */
export function closeQuietly(resource: { close(): void } | undefined): void {
  try {
    resource?.close();
  } catch {
    // already closed
  }
}

/**
 * Sends `signal` to a child process, ignoring that it already exited.
 *
 * @param child The process; nothing when undefined.
 * @param signal The signal. @default {"SIGTERM"}
 */
export function killQuietly(
  child: { kill(signal?: Deno.Signal): void } | undefined,
  signal: Deno.Signal = "SIGTERM",
): void {
  try {
    child?.kill(signal);
  } catch {
    // already exited
  }
}
