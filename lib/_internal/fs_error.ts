// How a failed file or process operation is worded, the same everywhere:
// "no such file", "no read permission (run with --allow-read=PATH)", and for
// commands "X is not installed or not on PATH". Deno reports a missing
// permission as NotCapable (since 2.0) and an OS refusal as PermissionDenied;
// both mean "no permission" to the user.

/**
 * Whether an error is a refused permission, Deno's or the OS's.
 *
 * @param err What was thrown.
 * @returns `true` for `NotCapable` and `PermissionDenied`.
 */
export function isPermissionError(err: unknown): boolean {
  return err instanceof Deno.errors.NotCapable ||
    err instanceof Deno.errors.PermissionDenied;
}

/**
 * Why a file could not be read, without quoting its content.
 *
 * @param err What was thrown.
 * @param path The file.
 * @param permission What to say is missing when permission was refused.
 * @default permission `read permission (run with --allow-read=PATH)`
 * @returns A short phrase such as `no such file`.
 */
export function describeFsError(
  err: unknown,
  path: string,
  permission = `read permission (run with --allow-read=${path})`,
): string {
  if (err instanceof Deno.errors.NotFound) return "no such file";
  if (isPermissionError(err)) return `no ${permission}`;
  if (err instanceof Deno.errors.IsADirectory) return "is a directory";
  return String(err);
}

/**
 * Why a command could not be started.
 *
 * @param err What `Deno.Command#spawn` threw.
 * @param command The command as given.
 * @returns A short phrase such as `kubectl is not installed or not on PATH`.
 */
export function describeSpawnError(err: unknown, command: string): string {
  if (err instanceof Deno.errors.NotFound) {
    return `${command} is not installed or not on PATH`;
  }
  if (isPermissionError(err)) {
    return `no permission to run ${command} (run with --allow-run=${command})`;
  }
  return String(err);
}
