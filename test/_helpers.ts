// Helpers shared by the suites: kubeconfigs written against the harness, temp dirs, cleanup.

import type { ControlPlaneInfo } from "./control_plane.ts";

/** A single-context kubeconfig document (as an object, written as JSON). */
export function kubeconfigFor(
  server: string,
  cluster: Record<string, unknown>,
  user: Record<string, unknown>,
  extra: { namespace?: string; contextName?: string } = {},
): Record<string, unknown> {
  const name = extra.contextName ?? "test";
  return {
    apiVersion: "v1",
    kind: "Config",
    "current-context": name,
    clusters: [{ name: "c", cluster: { server, ...cluster } }],
    users: [{ name: "u", user }],
    contexts: [{
      name,
      context: {
        cluster: "c",
        user: "u",
        ...(extra.namespace ? { namespace: extra.namespace } : {}),
      },
    }],
  };
}

/** The admin user's credentials as kubeconfig user fields (file paths). */
export function adminUserFields(cp: ControlPlaneInfo): Record<string, unknown> {
  const admin = cp.users.admin;
  return "token" in admin
    ? { token: admin.token }
    : { "client-certificate": admin.certFile, "client-key": admin.keyFile };
}

/** Writes `doc` as a kubeconfig file in `dir` and returns its path. */
export async function writeKubeconfig(
  dir: string,
  name: string,
  doc: Record<string, unknown>,
): Promise<string> {
  const path = `${dir}/${name}`;
  await Deno.writeTextFile(path, JSON.stringify(doc, null, 2));
  return path;
}

/** Writes an executable shell script and returns its path. */
export async function writeScript(
  dir: string,
  name: string,
  body: string,
): Promise<string> {
  const path = `${dir}/${name}`;
  await Deno.writeTextFile(path, `#!/bin/sh\n${body}\n`);
  await Deno.chmod(path, 0o755);
  return path;
}

/** Runs `fn` with a fresh temporary directory, removed afterwards. */
export async function withTempDir(
  fn: (dir: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "kube-test-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Closes every resource, ignoring those already closed. */
export function closeAll(resources: Iterable<{ close(): void }>): void {
  for (const r of resources) {
    try {
      r.close();
    } catch {
      // already closed
    }
  }
}
