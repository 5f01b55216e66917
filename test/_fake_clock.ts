// Time that only moves when a test says so: the injectable clock of the
// Reflector and of the list-then-watch engine, for exact backoff tests.

import type { ReflectorClock } from "../lib/watch/mod.ts";

/** Time that only moves when the test says so. */
export class FakeClock implements ReflectorClock {
  time = 1_000_000;
  sleeps: number[] = [];
  #timers: { at: number; resolve: () => void }[] = [];
  now(): number {
    return this.time;
  }
  sleep(ms: number, signal: AbortSignal): Promise<void> {
    this.sleeps.push(ms);
    return new Promise((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      const timer = { at: this.time + ms, resolve };
      this.#timers.push(timer);
      signal.addEventListener("abort", () => {
        this.#timers = this.#timers.filter((t) => t !== timer);
        reject(signal.reason);
      }, { once: true });
    });
  }
  /** Whether a sleep ends exactly `ms` from now. */
  sleeping(ms: number): boolean {
    return this.#timers.some((t) => t.at === this.time + ms);
  }
  advance(ms: number): void {
    this.time += ms;
    const due = this.#timers.filter((t) => t.at <= this.time);
    this.#timers = this.#timers.filter((t) => t.at > this.time);
    for (const t of due) t.resolve();
  }
}
