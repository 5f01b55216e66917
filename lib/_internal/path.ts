// Minimal path helpers (no @std/path: JSR is out of reach). POSIX and Windows.

const isWindows = Deno.build.os === "windows";

/** Whether `p` is absolute on this OS (or a Windows drive / UNC path). */
export function isAbsolute(p: string): boolean {
  return p.startsWith("/") || /^[A-Za-z]:[\\/]/.test(p) ||
    p.startsWith("\\\\");
}

/** The directory part of `p`. */
export function dirname(p: string): string {
  const i = Math.max(p.lastIndexOf("/"), p.lastIndexOf("\\"));
  if (i < 0) return ".";
  if (i === 0) return p[0];
  return p.slice(0, i);
}

/** Joins a directory and a relative path. */
export function join(dir: string, rel: string): string {
  const sep = isWindows ? "\\" : "/";
  const trimmed = rel.startsWith("./") || rel.startsWith(".\\")
    ? rel.slice(2)
    : rel;
  return /[\\/]$/.test(dir) ? dir + trimmed : dir + sep + trimmed;
}

/** Resolves `p` against `base` unless it is absolute or empty. */
export function resolveAgainst(base: string, p: string): string {
  return p === "" || isAbsolute(p) ? p : join(base, p);
}

/** Whether a command name contains a path separator (and so names a file, not a PATH lookup). */
export function hasPathSeparator(p: string): boolean {
  return p.includes("/") || (isWindows && p.includes("\\"));
}
