// Helpers shared by the suites: kubeconfigs written against the harness,
// ConfigMaps, temp dirs, cleanup, waiting for a condition, whether a process
// is alive, and what a call rejected with.

import assert from "node:assert/strict";
import type { ControlPlaneInfo } from "@denokube/testing";

/**
 * The import map a project of its own would have after adding both of this
 * workspace's packages (what `deno add jsr:@denokube/testing` gives), pointing
 * at this checkout: every export of @denokube/transport and
 * @denokube/testing, as read from their deno.json files.
 */
export function workspaceImports(): Record<string, string> {
  const imports: Record<string, string> = {};
  for (const dir of ["../", "../lib/testing/"]) {
    const base = new URL(dir, import.meta.url);
    const config = JSON.parse(
      Deno.readTextFileSync(new URL("deno.json", base)),
    ) as { name: string; exports: string | Record<string, string> };
    const exports = typeof config.exports === "string"
      ? { ".": config.exports }
      : config.exports;
    for (const [key, path] of Object.entries(exports)) {
      imports[`${config.name}${key.slice(1)}`] = new URL(path, base).href;
    }
  }
  return imports;
}

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

/** A ConfigMap with `data`; `metadata` adds to its name (labels, namespace, resourceVersion, …). */
export function configMap(
  name: string,
  data: Record<string, string> = {},
  metadata: Record<string, unknown> = {},
): {
  apiVersion: "v1";
  kind: "ConfigMap";
  metadata: { name: string } & Record<string, unknown>;
  data: Record<string, string>;
} {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name, ...metadata },
    data,
  };
}

/**
 * Polls `cond` every `intervalMs` until it holds; fails naming `what` after
 * `timeoutMs`.
 */
export async function until(
  cond: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
  intervalMs = 100,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  assert.fail(`${what}: not reached within ${timeoutMs} ms`);
}

/**
 * Awaits `p`, failing naming `what` when it has not settled after
 * `timeoutMs` (the promise is left to settle on its own; no timer remains).
 */
export async function within<T>(
  p: Promise<T>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) =>
        timer = setTimeout(
          () =>
            reject(
              new Error(`${what}: did not settle within ${timeoutMs} ms`),
            ),
          timeoutMs,
        )
      ),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** True while process `pid` runs (Linux /proc); a zombie has exited and is not alive. */
export function alive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    // A zombie has exited; only its parent's bookkeeping remains.
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    return false;
  }
}

/**
 * Awaits `p` (a promise, or a function to call) and returns what it
 * rejected with; fails when it fulfils, or when `type` is given and the
 * error is not one.
 */
export async function rejection<E = unknown>(
  p: Promise<unknown> | (() => unknown),
  type?: abstract new (...args: never[]) => E,
): Promise<E> {
  try {
    await (typeof p === "function" ? p() : p);
  } catch (err) {
    if (type) {
      assert.ok(err instanceof type, `expected a ${type.name}, got ${err}`);
    }
    return err as E;
  }
  assert.fail(`expected a rejection${type ? ` with a ${type.name}` : ""}`);
}
