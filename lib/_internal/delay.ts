// Timers that an AbortSignal ends at once, leaving no timer behind.

/**
 * Waits `ms` milliseconds, or rejects with the signal's reason as soon as it
 * aborts (clearing the timer).
 *
 * @param ms How long.
 * @param signal Ends the wait early.
 * @returns When the time is up.
 * @throws The signal's reason when it aborts.
 */
export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * `promise`, or the signal's reason as soon as it aborts: a callee slow to
 * honour an abort (a lister or watcher that ignores its signal, a dial) does
 * not hold the caller past it. The abandoned promise's rejection is marked
 * handled, and what it resolves to after the abort is handed to `dispose`
 * (a stream to cancel, a connection to close).
 *
 * @param promise What to wait for.
 * @param signal Ends the wait early.
 * @param dispose Takes what `promise` resolves to once nobody waits for it. @default {nothing: most values need no closing}
 * @returns What `promise` resolves to.
 * @throws The signal's reason when it aborts, or what `promise` rejects with.
 */
export function abortable<T>(
  promise: Promise<T>,
  signal?: AbortSignal,
  dispose: (value: T) => void = () => {},
): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) {
    promise.then(dispose, () => {});
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      promise.then(dispose, () => {});
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() =>
      signal.removeEventListener("abort", onAbort)
    );
  });
}

/**
 * Waits for one turn of the event loop (a zero-delay timer): a loop whose
 * awaits all settle at once — an in-process fake whose promises resolve
 * immediately, a stream that ends as soon as it is read — would otherwise
 * run on microtasks alone, and no timer (its own deadline included) could
 * ever fire.
 *
 * @param signal Ends the wait early.
 * @returns After the turn.
 * @throws The signal's reason when it aborts.
 */
export function yieldToTimers(signal?: AbortSignal): Promise<void> {
  return delay(0, signal);
}

/**
 * A check for loops that may run long on already-settled promises (reading
 * a stream whose chunks are all there): it hands back a
 * {@link yieldToTimers} promise once `everyMs` of wall time have passed
 * since the last turn, and `undefined` otherwise, so a fast stream pays a
 * clock read per item, not a timer.
 *
 * @param everyMs The longest run between two turns. @default {50}
 * @returns The check; await what it returns when it returns a promise.
 */
export function timerTurns(
  everyMs = 50,
): (signal?: AbortSignal) => Promise<void> | undefined {
  let last = performance.now();
  return (signal) => {
    if (performance.now() - last < everyMs) return undefined;
    return yieldToTimers(signal).then(() => void (last = performance.now()));
  };
}
