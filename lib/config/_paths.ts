// Which kubeconfig files kubectl reads, in order: the `$KUBECONFIG` list
// (`:`-separated, `;` on Windows, empty entries and repeats dropped), or
// `~/.kube/config`. Shared by the loader and the context editor.

import { KubeConfigError } from "../errors/mod.ts";
import { join } from "../_internal/path.ts";

/** The files kubectl would read, highest priority first (they may not exist). */
export function kubeConfigPaths(): string[] {
  const delim = Deno.build.os === "windows" ? ";" : ":";
  const list = Deno.env.get("KUBECONFIG");
  const paths = list
    ? list.split(delim).filter((p) => p !== "")
    : [defaultKubeConfigPath()];
  return [...new Set(paths)];
}

/** `~/.kube/config`, from `$HOME` or `$USERPROFILE`. */
export function defaultKubeConfigPath(): string {
  const home = Deno.env.get("HOME") || Deno.env.get("USERPROFILE");
  if (!home) {
    throw new KubeConfigError(
      "cannot find the default kubeconfig: neither HOME nor USERPROFILE is set (set KUBECONFIG)",
    );
  }
  return join(join(home, ".kube"), "config");
}
