/**
 * Exponential backoff with jitter, client-go's reflector numbers by default:
 * 800 ms doubling to 30 s, up to +100% jitter, back to 800 ms after two
 * minutes without a failure.
 *
 * @module
 */

/** Decides how long to wait after each failure. */
export interface Backoff {
  /**
   * The wait before the next attempt, after a failure.
   * @param now The current time in ms.
   * @returns Milliseconds to wait.
   */
  next(now: number): number;
  /** Forgets past failures. */
  reset(): void;
}

/** Settings for {@link ExponentialBackoff}. */
export interface ExponentialBackoffOptions {
  /** The first wait, in ms. @default {800} */
  initialMs?: number;
  /** The longest wait before jitter, in ms. @default {30000} */
  maxMs?: number;
  /** The growth factor per failure. @default {2} */
  factor?: number;
  /** Up to this fraction of the wait is added at random. @default {1} */
  jitter?: number;
  /** After this long without a failure, start again from `initialMs`. @default {120000} */
  resetAfterMs?: number;
  /** A random number in [0, 1). @default {Math.random} */
  random?: () => number;
}

/**
 * client-go's exponential backoff manager.
 *
 * @example
 * ```ts
 * const backoff = new ExponentialBackoff({ random: () => 0 });
 * backoff.next(0); // 800
 * backoff.next(1); // 1600
 * ```
 */
export class ExponentialBackoff implements Backoff {
  readonly #initial: number;
  readonly #max: number;
  readonly #factor: number;
  readonly #jitter: number;
  readonly #resetAfter: number;
  readonly #random: () => number;
  #current = 0;
  #lastFailure = -Infinity;

  /**
   * Builds a backoff with client-go's defaults unless given others.
   *
   * @param opts Durations, factor, jitter and randomness.
   */
  constructor(opts: ExponentialBackoffOptions = {}) {
    this.#initial = opts.initialMs ?? 800;
    this.#max = opts.maxMs ?? 30_000;
    this.#factor = opts.factor ?? 2;
    this.#jitter = opts.jitter ?? 1;
    this.#resetAfter = opts.resetAfterMs ?? 120_000;
    this.#random = opts.random ?? Math.random;
  }

  /** The delay before the next retry, in milliseconds, given the time now. */
  next(now: number): number {
    if (this.#current === 0 || now - this.#lastFailure >= this.#resetAfter) {
      this.#current = this.#initial;
    } else {
      this.#current = Math.min(this.#current * this.#factor, this.#max);
    }
    this.#lastFailure = now;
    return Math.round(this.#current * (1 + this.#random() * this.#jitter));
  }

  /** Starts over at the initial delay. */
  reset(): void {
    this.#current = 0;
    this.#lastFailure = -Infinity;
  }
}
