// The base of every error this library throws, so one `instanceof` catches
// them all — including the two that must extend a built-in for
// compatibility (`PathSegmentError` is a `TypeError`, `AutoDetectError` an
// `AggregateError`), which carry a brand instead of the prototype.

/**
 * The brand every error of the library carries. Registered (`Symbol.for`)
 * so that two copies of the library in one program (two versions in a
 * dependency tree) still recognise each other's errors.
 */
const BRAND: unique symbol = Symbol.for(
  "@denokube/transport.KubernetesClientError",
);

/**
 * Marks an error built on another built-in (`TypeError`, `AggregateError`)
 * as one of the library's, so `instanceof KubernetesClientError` holds.
 * Not part of the public API: the errors subpath does not export it.
 *
 * @param err The error being built.
 */
export function brandClientError(err: Error): void {
  Object.defineProperty(err, BRAND, { value: true });
}

/**
 * Anything this library throws: catch it with one `instanceof`, then tell
 * the cases apart by class, or by {@link reason} — every class has one, a
 * short machine-readable string (a union of literals per class; for
 * `KubernetesApiError` the Status's reason, such as `NotFound`).
 *
 * `PathSegmentError` (a `TypeError`) and `AutoDetectError` (an
 * `AggregateError`) cannot extend this class and keep their built-in
 * parent, so `instanceof KubernetesClientError` checks a brand every error of
 * the library carries; `instanceof` on any subclass keeps its ordinary
 * meaning.
 *
 * @example Telling the library's failures from the program's own
 * ```ts
 * import { KubernetesClientError } from "@denokube/transport/errors";
 * import type { RestClient } from "@denokube/transport/contract";
 *
 * async function tryList(client: RestClient): Promise<unknown> {
 *   try {
 *     return await client.performRequest({ method: "GET", path: "/api/v1/pods", expectJson: true });
 *   } catch (err) {
 *     if (err instanceof KubernetesClientError) {
 *       console.error(`${err.name} (${err.reason}): ${err.message}`);
 *       return undefined;
 *     }
 *     throw err;
 *   }
 * }
 * ```
 */
export abstract class KubernetesClientError extends Error {
  /** What kind of failure this is: a short string, one union of literals per class. */
  abstract readonly reason: string;

  /**
   * Builds the error and brands it.
   *
   * @param message What failed, expected and found.
   * @param options The underlying error, as `cause`.
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    brandClientError(this);
  }

  /**
   * `x instanceof KubernetesClientError` holds for every error of the
   * library, those that extend another built-in too (they carry a brand);
   * on a subclass (`x instanceof KubernetesApiError`), the ordinary
   * prototype check.
   *
   * @param value Anything.
   * @returns Whether `value` is an error of this library (or of the subclass).
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (this !== KubernetesClientError) {
      return Function.prototype[Symbol.hasInstance].call(this, value);
    }
    return typeof value === "object" && value !== null &&
      (value as { [BRAND]?: unknown })[BRAND] === true;
  }
}
