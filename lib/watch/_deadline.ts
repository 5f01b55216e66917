// The Reflector's two timers: a deadline for one request's answer, and a
// stall detector for a whole watch that costs a clock read per event, not
// a timer.

import { TransportError } from "../errors.ts";
import type { ReflectorClock } from "./clock.ts";

/**
 * Starts the `ms` deadline of one request: past it, `ctl` aborts the
 * request with a timeout TransportError (every transport rejects with its
 * signal's reason). Returns the function that cancels the deadline once
 * the answer is there.
 */
export function startDeadline(
  clock: ReflectorClock,
  ms: number,
  what: string,
  ctl: AbortController,
  signal: AbortSignal,
): () => void {
  const timer = new AbortController();
  clock.sleep(ms, AbortSignal.any([signal, timer.signal])).then(() =>
    ctl.abort(
      new TransportError(
        `Reflector: the ${what} request got no answer within ${ms} ms`,
        { kind: "timeout" },
      ),
    ), () => {}); // cancelled: the answer came, or the Reflector stopped
  return () => timer.abort();
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
  reader: () => ReadableStreamDefaultReader<unknown> | undefined,
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
