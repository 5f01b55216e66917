// Logging is opt-in: a `log` option (`true` for stderr, or a function), or,
// when the option is unset, the KUBE_TRANSPORT_VERBOSE environment variable,
// read only if env permission for it is already granted (so nothing prompts).

/** The environment variable that turns on stderr logging when `log` is unset. */
export const VERBOSE_ENV = "KUBE_TRANSPORT_VERBOSE";

/** A `log` option as the public options take it. */
export type LogOption = boolean | ((line: string) => void) | undefined;

/**
 * The logger a `log` option asks for.
 *
 * @param log The option.
 * @param prefix Put before each line written to stderr, such as `[kubernetes] `.
 * @returns A function taking one line, or `undefined` for no logging.
 */
export function resolveLog(
  log: LogOption,
  prefix = "",
): ((line: string) => void) | undefined {
  if (typeof log === "function") return log;
  if (log === true) return (line) => console.error(`${prefix}${line}`);
  if (log === false) return undefined;
  const perm = Deno.permissions.querySync({
    name: "env",
    variable: VERBOSE_ENV,
  });
  if (
    perm.state === "granted" &&
    ["1", "true"].includes(Deno.env.get(VERBOSE_ENV) ?? "")
  ) {
    return (line) => console.error(`${prefix}${line}`);
  }
  return undefined;
}
