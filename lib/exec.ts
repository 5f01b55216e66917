/**
 * `kubectl exec` for code: run a command in a container over any transport's
 * tunnel and collect its output and exit code, or stream stdin and output.
 *
 * @module
 */

import type { KubernetesTunnel, RestClient } from "./contract.ts";
import type { Status } from "./errors.ts";

/** What to run, where. */
export interface ExecOptions {
  /** The pod's namespace. */
  namespace: string;
  /** The pod. */
  pod: string;
  /** The container. @default {the pod's only or default container} */
  container?: string;
  /** The command and its arguments (no shell unless you run one). */
  command: string[];
  /** Open stdin. @default {false} */
  stdin?: boolean;
  /** Allocate a TTY (stdout and stderr merge; resize works). @default {false} */
  tty?: boolean;
  /** Cancels the session. */
  abortSignal?: AbortSignal;
}

/** How the command ended. */
export interface ExecStatus {
  /** 0 for success; the command's exit code otherwise; -1 when it did not run. */
  exitCode: number;
  /** The Status the server sent on the status channel. */
  status: Status;
}

/** A running command. */
export interface ExecSession {
  /** Write to the command's stdin; close it to send EOF (v5 protocol). `null` unless `stdin` was requested. */
  stdin: WritableStream<Uint8Array> | null;
  /** The command's stdout. */
  stdout: ReadableStream<Uint8Array>;
  /** The command's stderr (empty with a TTY). */
  stderr: ReadableStream<Uint8Array>;
  /** Resolves when the command ends. */
  status: Promise<ExecStatus>;
  /** Resizes the TTY. */
  resize(width: number, height: number): Promise<void>;
  /** Ends the session. */
  stop(): Promise<void>;
  /** The subprotocol in use. */
  protocol: string;
}

/** Preferred first: v5 can close stdin; v4 is what older clusters speak. */
export const EXEC_PROTOCOLS: string[] = [
  "v5.channel.k8s.io",
  "v4.channel.k8s.io",
];

/**
 * Reads the exit code out of an exec Status: `Success` is 0,
 * `NonZeroExitCode` carries it in `details.causes` (reason `ExitCode`).
 *
 * @param status The status channel's Status.
 * @returns The exit code, or -1 when the command did not run.
 */
export function exitCodeOf(status: Status): number {
  if (status.status === "Success") return 0;
  const cause = status.details?.causes?.find((c) => c.reason === "ExitCode");
  const code = cause?.message !== undefined ? Number(cause.message) : NaN;
  return Number.isInteger(code) ? code : -1;
}

/**
 * Starts a command and returns its streams.
 *
 * @param client Any transport that supports tunnels.
 * @param opts What to run.
 * @returns The session.
 * @throws {KubernetesApiError} When the server refuses (404 pod, 403, 400 no node).
 *
 * @example
 * ```ts ignore
 * const session = await openExec(client, { namespace: "default", pod: "web-0", command: ["cat"], stdin: true });
 * const w = session.stdin!.getWriter();
 * await w.write(new TextEncoder().encode("hi\n"));
 * await w.close();
 * console.log(await new Response(session.stdout).text(), (await session.status).exitCode);
 * ```
 */
export async function openExec(
  client: RestClient,
  opts: ExecOptions,
): Promise<ExecSession> {
  const q = new URLSearchParams();
  for (const arg of opts.command) q.append("command", arg);
  if (opts.container) q.set("container", opts.container);
  q.set("stdout", "true");
  q.set("stderr", opts.tty ? "false" : "true");
  if (opts.stdin) q.set("stdin", "true");
  if (opts.tty) q.set("tty", "true");
  const tunnel: KubernetesTunnel = await client.performRequest({
    method: "POST",
    path: `/api/v1/namespaces/${encodeURIComponent(opts.namespace)}/pods/${
      encodeURIComponent(opts.pod)
    }/exec`,
    querystring: q,
    expectTunnel: EXEC_PROTOCOLS,
    abortSignal: opts.abortSignal,
  });
  const stdin = opts.stdin
    ? await tunnel.getChannel({
      streamIndex: 0,
      readable: false,
      writable: true,
    })
    : null;
  const stdout = await tunnel.getChannel({
    streamIndex: 1,
    readable: true,
    writable: false,
  });
  const stderr = await tunnel.getChannel({
    streamIndex: 2,
    readable: true,
    writable: false,
  });
  const statusChannel = await tunnel.getChannel({
    streamIndex: 3,
    readable: true,
    writable: false,
  });
  const resize = opts.tty
    ? await tunnel.getChannel({
      streamIndex: 4,
      readable: false,
      writable: true,
    })
    : null;
  await tunnel.ready();
  // Never rejects: a session stopped before the command ended says so in its status.
  const status = (async (): Promise<ExecStatus> => {
    let text: string;
    try {
      text = await new Response(statusChannel.readable).text();
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      return {
        exitCode: -1,
        status: {
          status: "Failure",
          message: `the session ended without a status: ${why}`,
        },
      };
    }
    if (!text) {
      return {
        exitCode: -1,
        status: {
          status: "Failure",
          message: "the session ended without a status",
        },
      };
    }
    const parsed = JSON.parse(text) as Status;
    return { exitCode: exitCodeOf(parsed), status: parsed };
  })();
  let resizeWriter: WritableStreamDefaultWriter<Uint8Array> | undefined;
  return {
    protocol: tunnel.subProtocol,
    stdin: stdin?.writable ?? null,
    stdout: stdout.readable,
    stderr: stderr.readable,
    status,
    async resize(width: number, height: number) {
      if (!resize) throw new Error("resize needs a TTY (tty: true)");
      resizeWriter ??= resize.writable.getWriter();
      await resizeWriter.write(
        new TextEncoder().encode(
          JSON.stringify({ Width: width, Height: height }),
        ),
      );
    },
    stop: () => tunnel.stop(),
  };
}

/** What a finished command produced. */
export interface ExecResult extends ExecStatus {
  /** Everything it wrote to stdout. */
  stdout: Uint8Array;
  /** Everything it wrote to stderr. */
  stderr: Uint8Array;
}

/**
 * Runs a command to completion and collects stdout, stderr and the exit code.
 *
 * @param client Any transport that supports tunnels.
 * @param opts What to run; `stdin` here is data to send (then EOF).
 * @returns Output and exit code.
 * @throws {KubernetesApiError} When the server refuses.
 *
 * @example
 * ```ts ignore
 * const { stdout, exitCode } = await execCommand(client, { namespace: "default", pod: "web-0", command: ["ls", "/"] });
 * ```
 */
export async function execCommand(
  client: RestClient,
  opts: Omit<ExecOptions, "stdin" | "tty"> & { stdin?: Uint8Array | string },
): Promise<ExecResult> {
  const session = await openExec(client, {
    ...opts,
    stdin: opts.stdin !== undefined,
    tty: false,
  });
  try {
    const feeding = (async () => {
      if (!session.stdin) return;
      const w = session.stdin.getWriter();
      const data = typeof opts.stdin === "string"
        ? new TextEncoder().encode(opts.stdin)
        : opts.stdin!;
      if (data.length) await w.write(data);
      await w.close();
    })();
    const [stdout, stderr, status] = await Promise.all([
      new Response(session.stdout).bytes(),
      new Response(session.stderr).bytes(),
      session.status,
      feeding,
    ]);
    return { stdout, stderr, ...status };
  } finally {
    await session.stop();
  }
}
