// The Reflector's two timers: a deadline for one request's answer, and a
// stall detector for a whole watch that costs a clock read per event, not
// a timer.

import { TransportError } from "../errors/mod.ts";
import type { ReflectorClock } from "./clock.ts";

/** A running deadline: cancel it once the answer is there. */
export interface Deadline {
  /** Cancels the deadline (the answer came). */
  cancel(): void;
  /** What `ctl` is aborted with when the deadline passes, to tell it from other aborts. */
  readonly error: TransportError;
}

/**
 * Starts the `ms` deadline of one request: past it, `ctl` aborts the
 * request with a timeout TransportError (every transport rejects with its
 * signal's reason).
 */
export function startDeadline(
  clock: ReflectorClock,
  ms: number,
  what: string,
  ctl: AbortController,
  signal: AbortSignal,
): Deadline {
  const timer = new AbortController();
  const error = new TransportError(
    `Reflector: the ${what} request got no answer within ${ms} ms`,
    { reason: "timeout" },
  );
  clock.sleep(ms, AbortSignal.any([signal, timer.signal])).then(
    () => ctl.abort(error),
    () => {}, // cancelled: the answer came, or the Reflector stopped
  );
  return { cancel: () => timer.abort(), error };
}

/** What a watch tells its stall detector, and what the detector found. */
export interface Liveness {
  /** The clock's time of the last event (or of the connection). */
  lastEvent: number;
  /** Set when the watch was declared stalled. */
  stalled: unknown;
}

/**
 * Aborts the watch (`ctl`) once no event has come for `inactivityMs`:
 * sleeps until the last event's time plus the timeout, and sleeps again
 * for the rest when an event came meanwhile. Ends when `signal` aborts
 * (the watch is over). A stalled watch's read is also cancelled, so a
 * stream that ignores its abort signal cannot hold the loop.
 */
export function startWatchdog(
  clock: ReflectorClock,
  inactivityMs: number,
  liveness: Liveness,
  ctl: AbortController,
  signal: AbortSignal,
  reader: () => { cancel(reason?: unknown): Promise<void> } | undefined,
): void {
  const run = async () => {
    let wait = inactivityMs;
    for (;;) {
      await clock.sleep(wait, signal);
      const idle = clock.now() - liveness.lastEvent;
      if (idle < inactivityMs) {
        wait = inactivityMs - idle;
        continue;
      }
      liveness.stalled = new Error(
        `no watch event for ${inactivityMs} ms: the connection looks stalled`,
      );
      ctl.abort(liveness.stalled);
      await reader()?.cancel(liveness.stalled).catch(() => {});
      return;
    }
  };
  run().catch(() => {}); // the watch ended first
}
