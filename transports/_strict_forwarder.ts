// Carries fetch over TLS that trusts only the kubeconfig's CA. Deno's fetch
// cannot replace its root store, so the HttpClient speaks plain HTTP over a
// Unix socket (`proxy: { transport: "unix" }`) to this in-process forwarder,
// which opens a node:tls connection per socket (see _strict_tls.ts) and
// pipes bytes both ways once the server's certificate is verified. The
// socket lives in a fresh 0700 directory: no other local user can connect,
// and no TCP port carries credentials in clear.

import { createServer, type Socket } from "node:net";
import type { TLSSocket } from "node:tls";

/** A running forwarder. */
export interface StrictForwarder {
  /** The Unix socket an HttpClient's `unix` proxy transport connects to. */
  readonly socketPath: string;
  /** How many TLS dials have failed so far. */
  readonly failures: number;
  /** The latest dial failure (node:tls's error), if any. */
  readonly lastFailure: unknown;
  /** Stops listening, closes every connection and removes the directory. Safe to call twice. */
  close(): void;
}

/**
 * Where the forwarder's directory can go, if Deno's permissions already
 * allow all it does there (queried, never prompted for): read and write in
 * the temp directory, and net access to a Unix socket whose name is random,
 * which only an unrestricted `--allow-net` grants.
 *
 * @returns The directory, or the flags that are missing.
 */
export function forwarderPermissions(): { dir: string } | {
  missing: string[];
} {
  const granted = (d: Deno.PermissionDescriptor) =>
    Deno.permissions.querySync(d).state === "granted";
  // Deno's own choice ($TMPDIR, else /tmp), made explicit so the query and
  // the directory agree.
  const dir =
    (granted({ name: "env", variable: "TMPDIR" })
      ? Deno.env.get("TMPDIR")
      : undefined) || "/tmp";
  const missing = [
    ...(granted({ name: "read", path: dir }) ? [] : [`--allow-read=${dir}`]),
    ...(granted({ name: "write", path: dir }) ? [] : [`--allow-write=${dir}`]),
    ...(granted({ name: "net" }) ? [] : ["--allow-net"]),
  ];
  return missing.length ? { missing } : { dir };
}

/**
 * Starts a forwarder in a new private directory.
 *
 * @param parent The directory to make it in (see {@link forwarderPermissions}).
 * @param dial Opens one verified TLS connection to the API server; abandons it on `signal`.
 * @param spare A connection `dial` already opened, used for the first client connection.
 * @returns The forwarder, listening.
 * @throws {Deno.errors.NotCapable} Without write permission for the temp directory.
 */
export async function startStrictForwarder(
  parent: string,
  dial: (signal: AbortSignal) => Promise<TLSSocket>,
  spare?: TLSSocket,
): Promise<StrictForwarder> {
  const dir = await Deno.makeTempDir({ dir: parent, prefix: "kube-tls-" });
  try {
    await Deno.chmod(dir, 0o700);
  } catch (err) {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw err;
  }
  const socketPath = `${dir}/api.sock`;
  const open = new Set<Socket | TLSSocket>();
  let failures = 0;
  let lastFailure: unknown;
  let closed = false;
  if (spare) {
    spare.unref();
    open.add(spare);
  }
  const connect = (signal: AbortSignal): Promise<TLSSocket> => {
    const ready = spare;
    spare = undefined;
    // The server may have closed the spare while it waited.
    return ready && !ready.destroyed && !ready.readableEnded
      ? Promise.resolve(ready)
      : (ready?.destroy(), dial(signal));
  };

  const server = createServer((local) => {
    // Nothing the client wrote leaves the process before the server is verified.
    local.pause();
    local.unref();
    open.add(local);
    local.on("error", () => local.destroy());
    // A client that gives up (an aborted fetch) abandons the dial too.
    const gone = new AbortController();
    local.on("close", () => {
      open.delete(local);
      gone.abort();
    });
    connect(gone.signal).then((remote) => {
      if (closed || local.destroyed) {
        remote.destroy();
        return;
      }
      remote.unref();
      open.add(remote);
      remote.on("close", () => {
        open.delete(remote);
        local.destroy();
      });
      local.on("close", () => remote.destroy());
      local.pipe(remote);
      remote.pipe(local);
      local.resume();
    }, (err) => {
      if (!gone.signal.aborted) {
        failures++;
        lastFailure = err;
      }
      local.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(socketPath, () => {
      server.off("error", reject);
      resolve();
    });
  }).catch(async (err) => {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw err;
  });
  // Like the connections: a client that is never closed lets the program end.
  server.unref();
  server.on("error", () => {}); // accept failures affect one connection only

  const removeDir = () => {
    try {
      Deno.removeSync(dir, { recursive: true });
    } catch {
      // already removed
    }
  };
  // A program that ends without close() must not leave the directory behind.
  globalThis.addEventListener("unload", removeDir);

  return {
    socketPath,
    get failures() {
      return failures;
    },
    get lastFailure() {
      return lastFailure;
    },
    close() {
      if (closed) return;
      closed = true;
      server.close();
      for (const s of open) s.destroy();
      open.clear();
      globalThis.removeEventListener("unload", removeDir);
      removeDir();
    },
  };
}
