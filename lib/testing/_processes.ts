// Process plumbing shared by the harness: finding executables, spawning
// servers that die with us, waiting for them to be ready, stopping them.

import { sleep } from "./_leaf_helpers.ts";
import { TestingError } from "./testing_error.ts";

/** True for an existing file with an execute bit. */
export async function isExecutable(path: string): Promise<boolean> {
  try {
    const st = await Deno.stat(path);
    return st.isFile && ((st.mode ?? 0o111) & 0o111) !== 0;
  } catch {
    return false;
  }
}

/** The first `name` on PATH that is executable. */
export async function onPath(name: string): Promise<string | undefined> {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    if (dir && await isExecutable(`${dir}/${name}`)) return `${dir}/${name}`;
  }
  return undefined;
}

/**
 * Prefixes a command so that it dies with this process: on Linux,
 * `setpriv --pdeathsig` delivers `signal` when the spawning thread exits —
 * for Deno that is the main thread, so even a SIGKILL of this process leaves
 * nothing behind. Elsewhere the command is returned unchanged.
 */
export async function diesWithParent(
  argv: string[],
  signal: "KILL" | "TERM" = "KILL",
): Promise<string[]> {
  const setpriv = Deno.build.os === "linux"
    ? await onPath("setpriv")
    : undefined;
  return setpriv ? [setpriv, "--pdeathsig", signal, "--", ...argv] : argv;
}

/** Spawns a long-running server whose output goes to `logFile`. */
export async function spawnServer(
  bin: string,
  args: string[],
  logFile: string,
): Promise<Deno.ChildProcess> {
  const argv = await diesWithParent([
    "sh",
    "-c",
    'exec "$@" >>"$KUBE_TEST_LOG" 2>&1',
    "sh",
    bin,
    ...args,
  ]);
  return new Deno.Command(argv[0], {
    args: argv.slice(1),
    env: { KUBE_TEST_LOG: logFile },
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
}

/** The last lines of a log file, for error messages. */
export async function logTail(file: string, lines = 25): Promise<string> {
  try {
    const text = await Deno.readTextFile(file);
    return text.trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

/** SIGTERM, then SIGKILL after 5 s; resolves when the process is gone. */
export async function stopProcess(child: Deno.ChildProcess): Promise<void> {
  try {
    child.kill("SIGTERM");
  } catch {
    // already exited
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const killed = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      try {
        child.kill("SIGKILL");
      } catch {
        // already exited
      }
      resolve();
    }, 5000);
  });
  await Promise.race([child.status, killed]);
  await child.status;
  clearTimeout(timer);
}

/** Polls `probe` until it is true; fails early with the log tail when the process exits. */
export async function waitFor(
  what: string,
  child: Deno.ChildProcess,
  logFile: string,
  probe: () => Promise<boolean>,
  timeoutMs = 60_000,
): Promise<void> {
  let exited: Deno.CommandStatus | undefined;
  child.status.then((s) => exited = s);
  const deadline = performance.now() + timeoutMs;
  let lastError: unknown = undefined;
  while (performance.now() < deadline) {
    if (exited) {
      throw new TestingError(
        "ServerExited",
        `${what} exited with code ${exited.code} before becoming ready; log tail:\n${await logTail(
          logFile,
        )}`,
      );
    }
    try {
      if (await probe()) return;
    } catch (err) {
      lastError = err;
    }
    await sleep(100);
  }
  throw new TestingError(
    "NotReady",
    `${what} not ready after ${timeoutMs} ms (last probe error: ${lastError}); log tail:\n${await logTail(
      logFile,
    )}`,
  );
}

/** A free TCP port on 127.0.0.1 (free now; a race is possible but rare). */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/**
 * Runs a command to completion and returns its stdout; throws naming the
 * command (its first argument only: later ones may carry paths or secrets)
 * with its stderr when it fails. A `signal` that aborts kills it (SIGTERM)
 * and throws `signal.reason`.
 */
export async function runCommand(
  cmd: string,
  args: string[],
  opts: {
    cwd?: string;
    /** The error when it fails, from its stderr (trimmed); by default names `cmd`, its first argument and the exit code. */
    failure?: (stderr: string) => string | Error;
    /** Ends it early. */
    signal?: AbortSignal;
  } = {},
): Promise<string> {
  opts.signal?.throwIfAborted();
  const out = await new Deno.Command(cmd, {
    args,
    cwd: opts.cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: opts.signal,
  }).output();
  opts.signal?.throwIfAborted();
  if (!out.success) {
    const stderr = new TextDecoder().decode(out.stderr).trim();
    const failed = opts.failure?.(stderr) ??
      `${cmd} ${args[0] ?? ""} failed (code ${out.code}): ${stderr}`;
    throw failed instanceof Error ? failed : new Error(failed);
  }
  return new TextDecoder().decode(out.stdout);
}

/**
 * A detached janitor that removes `dir` once this process is gone — also
 * after a SIGKILL, which no handler of ours sees. Stop it (SIGTERM) when
 * the directory was removed the normal way. Undefined where `setsid` is
 * missing.
 */
export async function removeWhenGone(
  dir: string,
): Promise<Deno.ChildProcess | undefined> {
  const setsid = await onPath("setsid");
  if (!setsid) return undefined;
  return spawnJanitor(setsid, [
    "sh",
    "-c",
    'trap "" INT HUP; trap "exit 0" TERM; while kill -0 "$1" 2>/dev/null; do sleep 1; done; rm -rf "$2"',
    "sh",
    String(Deno.pid),
    dir,
  ]);
}

/**
 * Starts a janitor: a detached process (no stdio, not keeping this one
 * alive) that cleans up after this process once it is gone.
 *
 * @param setsid `setsid`, so the janitor outlives this process's group.
 * @param args What it runs.
 * @returns The janitor, to stop (SIGTERM) when the normal clean-up ran.
 */
export function spawnJanitor(
  setsid: string,
  args: string[],
): Deno.ChildProcess {
  const janitor = new Deno.Command(setsid, {
    args,
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  janitor.unref();
  return janitor;
}
