// Relative paths in a kubeconfig are relative to the file that holds them
// (kubectl's rule); an exec command is a path only when it has a separator.

import {
  hasPathSeparator,
  isAbsolute,
  join,
  resolveAgainst,
} from "../_internal/path.ts";
import type { RawKubeConfig } from "./types.ts";

/** Resolves a document's relative file paths against `dir`, in place. */
export function resolvePaths(data: RawKubeConfig, dir: string): void {
  for (const { cluster } of data.clusters ?? []) {
    if (cluster["certificate-authority"]) {
      cluster["certificate-authority"] = resolveAgainst(
        dir,
        cluster["certificate-authority"],
      );
    }
  }
  for (const { user } of data.users ?? []) {
    for (
      const key of ["client-certificate", "client-key", "tokenFile"] as const
    ) {
      const v = user[key];
      if (v) user[key] = resolveAgainst(dir, v);
    }
    if (user.exec?.command && hasPathSeparator(user.exec.command)) {
      user.exec.command = resolveAgainst(dir, user.exec.command);
    }
  }
}

/** `path` made absolute against the working directory, when reading it is allowed. */
export function absolutePath(path: string): string {
  if (isAbsolute(path)) return path;
  // Deno.cwd() needs read permission; query first so nothing prompts.
  if (
    Deno.permissions.querySync({ name: "read", path: "." }).state !== "granted"
  ) return path;
  return join(Deno.cwd(), path);
}
