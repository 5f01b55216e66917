// Client-side rate limiting: client-go's token bucket
// (flowcontrol.NewTokenBucketRateLimiter, over golang.org/x/time/rate).
// Tokens refill at `qps` per second up to `burst`; each request takes one,
// waiting for it when none is left. A wait is reserved at once, in call
// order, so concurrent callers queue fairly; an abort gives its token back.

import { delay } from "./delay.ts";

/** How many requests a client may send: a sustained rate and a burst. */
export interface RateLimitOptions {
  /** Requests per second, sustained. client-go's `rest.Config.QPS`. */
  qps: number;
  /**
   * Requests that may go at once after a quiet period. client-go's `Burst`.
   * @default {Math.max(1, Math.ceil(qps))}
   */
  burst?: number;
}

/** Time, injectable for tests. */
export interface BucketClock {
  /** Milliseconds, monotonic. */
  now(): number;
  /** Resolves after `ms`; rejects with the signal's reason when it aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

const realClock: BucketClock = {
  now: () => performance.now(),
  sleep: delay,
};

/** A token bucket: {@link TokenBucket.take} waits for a token. */
export class TokenBucket {
  readonly #qps: number;
  readonly #burst: number;
  readonly #clock: BucketClock;
  #tokens: number;
  #last: number;

  /**
   * @param options The rate and burst.
   * @param clock Time (tests inject a fake).
   * @throws {RangeError} When `qps` is not a positive finite number or `burst` not a whole number ≥ 1.
   */
  constructor(options: RateLimitOptions, clock: BucketClock = realClock) {
    const { qps } = options;
    if (typeof qps !== "number" || !Number.isFinite(qps) || qps <= 0) {
      throw new RangeError(
        `rateLimit.qps: expected a positive number of requests per second, found ${qps}`,
      );
    }
    const burst = options.burst ?? Math.max(1, Math.ceil(qps));
    if (!Number.isInteger(burst) || burst < 1) {
      throw new RangeError(
        `rateLimit.burst: expected a whole number of at least 1, found ${burst}`,
      );
    }
    this.#qps = qps;
    this.#burst = burst;
    this.#clock = clock;
    this.#tokens = burst;
    this.#last = clock.now();
  }

  /**
   * Takes a token, waiting until one is there.
   *
   * @param signal Ends the wait; the token is given back.
   * @returns Once the request may go.
   * @throws The signal's reason when it aborts first.
   */
  take(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    const now = this.#clock.now();
    this.#tokens = Math.min(
      this.#burst,
      this.#tokens + (now - this.#last) * this.#qps / 1000,
    );
    this.#last = now;
    this.#tokens -= 1;
    if (this.#tokens >= 0) return Promise.resolve();
    const waitMs = -this.#tokens * 1000 / this.#qps;
    return this.#clock.sleep(waitMs, signal).catch((err) => {
      this.#tokens += 1; // an abandoned reservation frees its token
      throw err;
    });
  }
}
