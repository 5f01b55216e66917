// The seam tests replace a KubeConfigRestClient's wait between retries
// through, so a Retry-After of seconds costs a test nothing. Not part of the
// options users see: the wait travels under a symbol no entry point exports.

/** Waits `ms`, or rejects when `signal` aborts. */
export type RetrySleep = (ms: number, signal?: AbortSignal) => Promise<void>;

const SLEEP: unique symbol = Symbol("KubeConfigRestClient retry sleep");

/**
 * `options` with the wait between retries replaced (for tests).
 *
 * @param options Client options.
 * @param sleep The wait to use.
 * @returns A copy of `options` carrying it.
 */
export function withRetrySleep<T extends object>(
  options: T,
  sleep: RetrySleep,
): T {
  return { ...options, [SLEEP]: sleep };
}

/**
 * The wait `options` carries, if a test put one there.
 *
 * @param options Client options.
 * @returns The wait, or `undefined` for the real timer.
 */
export function retrySleepOf(options: object): RetrySleep | undefined {
  return (options as { [SLEEP]?: RetrySleep })[SLEEP];
}
