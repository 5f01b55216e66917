/**
 * Kubernetes resource quantities (`250m`, `128Mi`, `1.5G`, `2e3`) as
 * numbers, the way `k8s.io/apimachinery/pkg/api/resource.Quantity` reads
 * them: a signed decimal number, then a binary suffix (`Ki` … `Ei`, powers
 * of 1024), a decimal suffix (`n`, `u`, `m`, none, `k`, `M`, `G`, `T`,
 * `P`, `E`) or a decimal exponent (`e3`, `E-2`).
 *
 * Permissions: none.
 *
 * @module
 */

const BINARY: Record<string, number> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};
const DECIMAL: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  "": 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
};
/** resource.Quantity's grammar: sign, digits with an optional fraction, then a suffix. */
const QUANTITY = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))([a-zA-Z]*|[eE][+-]?\d+)$/;

/**
 * A quantity's value as a number: CPU `250m` is 0.25 (cores), memory
 * `128Mi` is 134217728 (bytes).
 *
 * @param text The quantity, such as `250m` or `128Mi`.
 * @param field What it is, for the error, such as `pod web usage.cpu`.
 * @returns Its value.
 * @throws {RangeError} When `text` is not a quantity, naming the field and the text.
 *
 * @example
 * ```ts
 * import { parseQuantity } from "@denokube/transport/objects";
 * console.log(parseQuantity("250m"), parseQuantity("128Mi")); // 0.25 134217728
 * ```
 */
export function parseQuantity(text: string, field = "quantity"): number {
  const m = typeof text === "string" ? QUANTITY.exec(text.trim()) : null;
  const suffix = m?.[2] ?? "";
  const scale = !m
    ? undefined
    : /^[eE]/.test(suffix)
    ? 10 ** Number(suffix.slice(1))
    : BINARY[suffix] ?? DECIMAL[suffix];
  if (!m || scale === undefined) {
    throw new RangeError(
      `${field}: expected a Kubernetes quantity such as 250m or 128Mi, found ${
        JSON.stringify(String(text).slice(0, 40))
      }`,
    );
  }
  return Number(m[1]) * scale;
}
