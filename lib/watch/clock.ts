// Time for the Reflector's backoff and stall detection; tests inject a fake.

import { delay } from "../_internal/delay.ts";

/** Time, for backoff and stall detection; tests inject a fake one. */
export interface ReflectorClock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolves after `ms`, or rejects when `signal` aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

/** The real clock. */
export const realClock: ReflectorClock = {
  now: () => Date.now(),
  sleep: (ms, signal) => delay(ms, signal),
};
