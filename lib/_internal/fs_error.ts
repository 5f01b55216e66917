// How a failed file or process operation is worded, the same everywhere:
// "no such file", "no read permission (run with --allow-read=PATH)", and for
// commands "X is not installed or not on PATH". Deno reports its own
// permission system's refusal as NotCapable (since 2.0): only that one is
// cured by a flag. The operating system's refusals (EACCES and EPERM come as
// PermissionDenied, EROFS as a plain Error with code "EROFS") are the file's
// own mode, owner, mount or attributes, and are worded as such: advising
// --allow-write for a read-only file would send the user the wrong way.

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

/** The `code` of an operating-system refusal to write or read a file. */
const OS_REFUSALS: Record<string, string> = {
  EACCES: "permission denied by the file's mode or owner",
  EPERM: "operation not permitted (an immutable or append-only file?)",
  EROFS: "read-only file system",
};

/**
 * The operating system's reason, when it refused a file operation (not
 * Deno's permission system).
 *
 * @param err What was thrown.
 * @returns A phrase naming the OS error (`read-only file system (EROFS)`), or `undefined`.
 */
export function osRefusal(err: unknown): string | undefined {
  if (err instanceof Deno.errors.NotCapable) return undefined;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === "string" && Object.hasOwn(OS_REFUSALS, code)) {
    return `${OS_REFUSALS[code]} (${code})`;
  }
  if (err instanceof Deno.errors.PermissionDenied) {
    return "permission denied by the operating system";
  }
  return undefined;
}

/**
 * Why a file could not be read, without quoting its content.
 *
 * @param err What was thrown.
 * @param path The file.
 * @param permission What to say is missing when permission was refused.
 * @default permission `read permission (run with --allow-read=PATH)`
 * @returns A short phrase such as `no such file`; for a refusal by the
 *   operating system its reason (`read-only file system (EROFS)`), for one by
 *   Deno's permission system the flag to add.
 */
export function describeFsError(
  err: unknown,
  path: string,
  permission = `read permission (run with --allow-read=${path})`,
): string {
  if (err instanceof Deno.errors.NotFound) return "no such file";
  const os = osRefusal(err);
  if (os !== undefined) return os;
  if (err instanceof Deno.errors.NotCapable) return `no ${permission}`;
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
