// Starting `kubectl proxy --unix-socket` and knowing when it serves: the
// socket in a private temp directory (unless the caller names one), the
// child tied to this process's life where Linux allows, its last stderr lines
// kept for errors, and a start that fails typed — kubectl missing, exited,
// or silent past the timeout — leaving no process or directory behind.

import { KubectlError } from "../lib/errors/mod.ts";
import { killQuietly } from "../lib/_internal/close.ts";
import { delay } from "../lib/_internal/delay.ts";
import { describeSpawnError } from "../lib/_internal/fs_error.ts";

/** A `kubectl proxy` that serves on its socket. */
export interface ProxyProcess {
  /** The child (unref'd: it does not keep the program alive). */
  child: Deno.ChildProcess;
  /** The Unix socket it serves on. */
  socketPath: string;
  /** The private directory made for the socket, if one was. */
  ownedDir: string | undefined;
  /** Its latest stderr lines, updated while it runs. */
  stderr: string[];
}

/** How to start it. */
export interface ProxyStart {
  /** The kubectl binary. */
  kubectl: string;
  /** A kubeconfig file for kubectl. */
  kubeconfig?: string;
  /** The kubeconfig context. */
  contextName?: string;
  /** Where to put the socket (else a new private directory). */
  socketPath?: string;
  /** How long kubectl may take to start serving. @default {10000} */
  startTimeoutMs?: number;
}

const STDERR_LINES_KEPT = 20;

/**
 * On Linux, with run permission for `setpriv` already granted, wraps argv
 * so the kernel sends SIGTERM to the child when this process dies in any way
 * (SIGTERM, SIGKILL, a crash). setpriv execs the command: the pid stays.
 */
function diesWithUs(argv: string[]): string[] {
  if (Deno.build.os !== "linux") return argv;
  const setpriv = ["/usr/bin/setpriv", "/bin/setpriv"].find((path) => {
    try {
      const granted = (d: Deno.PermissionDescriptor) =>
        Deno.permissions.querySync(d).state === "granted";
      return granted({ name: "run", command: path }) &&
        granted({ name: "read", path }) && Deno.statSync(path).isFile;
    } catch {
      return false; // no read permission to look, or not there
    }
  });
  return setpriv ? [setpriv, "--pdeathsig", "TERM", "--", ...argv] : argv;
}

/**
 * Starts `kubectl proxy` and waits until it says it serves.
 *
 * @param opts The binary, kubeconfig, context, socket and timeout.
 * @returns The serving process.
 * @throws {KubectlError} When kubectl cannot start, exits, or does not serve in time.
 */
export async function startProxyProcess(
  opts: ProxyStart,
): Promise<ProxyProcess> {
  const kubectl = opts.kubectl;
  const ownedDir = opts.socketPath
    ? undefined
    : await Deno.makeTempDir({ prefix: "kubectl-proxy-" });
  const socketPath = opts.socketPath ?? `${ownedDir}/proxy.sock`;
  const globals = [
    ...(opts.kubeconfig ? [`--kubeconfig=${opts.kubeconfig}`] : []),
    ...(opts.contextName ? [`--context=${opts.contextName}`] : []),
  ];
  let child: Deno.ChildProcess;
  try {
    const argv = diesWithUs([
      kubectl,
      ...globals,
      "proxy",
      `--unix-socket=${socketPath}`,
    ]);
    child = new Deno.Command(argv[0], {
      args: argv.slice(1),
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (err) {
    if (ownedDir) {
      await Deno.remove(ownedDir, { recursive: true }).catch(() => {});
    }
    const why = describeSpawnError(err, kubectl);
    throw new KubectlError(
      `cannot start kubectl proxy: ${why}`,
      undefined,
      err,
    );
  }
  child.unref(); // the proxy must not keep the program alive; unload stops it

  const stderr: string[] = [];
  (async () => {
    const decoder = new TextDecoder();
    let pending = "";
    for await (const chunk of child.stderr) {
      const lines = (pending + decoder.decode(chunk, { stream: true })).split(
        "\n",
      );
      pending = lines.pop() ?? "";
      stderr.push(...lines.filter((l) => l.trim()));
      stderr.splice(0, Math.max(0, stderr.length - STDERR_LINES_KEPT));
    }
  })().catch(() => {});

  const failStart = async (why: string): Promise<never> => {
    child.ref();
    killQuietly(child);
    const status = await child.status;
    if (ownedDir) {
      await Deno.remove(ownedDir, { recursive: true }).catch(() => {});
    }
    const tail = stderr.length ? `: ${stderr.join(" | ")}` : "";
    throw new KubectlError(`kubectl proxy ${why}${tail}`, status.code);
  };

  const serving = (async () => {
    const decoder = new TextDecoder();
    let out = "";
    for await (const chunk of child.stdout) {
      out += decoder.decode(chunk, { stream: true });
      if (out.includes("Starting to serve on")) return true;
    }
    return false;
  })();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<"timeout">((r) =>
    timer = setTimeout(() => r("timeout"), opts.startTimeoutMs ?? 10_000)
  );
  const result = await Promise.race([
    serving,
    child.status.then(() => false),
    timeout,
  ]);
  clearTimeout(timer);
  if (result === "timeout") {
    return await failStart(
      `did not start serving within ${opts.startTimeoutMs ?? 10_000} ms`,
    );
  }
  if (result !== true) {
    await delay(50); // let the last stderr lines arrive
    return await failStart("exited before serving");
  }
  return { child, socketPath, ownedDir, stderr };
}
