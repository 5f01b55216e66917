/**
 * `kubectl exec` for code: run a command in a container over any transport's
 * tunnel and collect its output and exit code, or stream stdin and output.
 *
 * @module
 */

import { concatBytes } from "../_internal/bytes.ts";
import { errorText } from "../_internal/error_text.ts";
import { parseJsonOrUndefined } from "../_internal/json.ts";
import type { KubernetesTunnel, RestClient } from "../contract.ts";
import { KubernetesApiError, type Status } from "../errors/mod.ts";
import { TunnelError, type TunnelTarget } from "./tunnel_error.ts";
import { apiPath } from "../_wire/api_path.ts";

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
  /**
   * Subprotocols to offer, preferred first. Offering only `v5.channel.k8s.io`
   * makes a v4-only server refuse before the command starts (a
   * {@link TunnelError} `StdinCloseUnsupported`).
   * @default {EXEC_PROTOCOLS: v5 then v4}
   */
  protocols?: string[];
  /** Cancels the session. @default {none: it runs until it ends or is closed} */
  signal?: AbortSignal;
  /** @deprecated Use `signal`, the name every helper of this library gives its abort signal. */
  abortSignal?: AbortSignal;
}

/** How the command ended. */
export interface ExecStatus {
  /** 0 for success; the command's exit code otherwise; -1 when it did not run. */
  exitCode: number;
  /** The Status the server sent on the status channel. */
  status: Status;
}

/** A running command (or an attached container). */
export interface ExecSession {
  /**
   * Write to the command's stdin; close it to send EOF. Closing needs the v5
   * protocol (Kubernetes ≥ 1.30): on v4 `close()` rejects with a
   * {@link TunnelError} (`StdinCloseUnsupported`) instead of dropping the EOF.
   * `null` unless `stdin` was requested.
   */
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
  const causes = status.details?.causes;
  const cause = Array.isArray(causes)
    ? causes.find((c) => c?.reason === "ExitCode")
    : undefined;
  const code = cause?.message !== undefined ? Number(cause.message) : NaN;
  return Number.isInteger(code) ? code : -1;
}

/** Whether `v` is a Status object (one whose `status` says Success or Failure). */
function isStatusObject(v: unknown): v is Status {
  return v !== null && typeof v === "object" && !Array.isArray(v) &&
    ((v as Status).status === "Success" || (v as Status).status === "Failure");
}

/**
 * The session's outcome from what the server wrote on the status channel.
 * Never throws: text that is not a Status object becomes a Failure that
 * says so (without quoting it: a command's output may hold anything).
 */
function statusFrom(text: string): ExecStatus {
  const parsed = parseJsonOrUndefined(text);
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    return {
      exitCode: -1,
      status: {
        status: "Failure",
        message:
          `the status channel held no Status object (${text.length} chars that are not a JSON object)`,
      },
    };
  }
  const status = parsed as Status;
  return { exitCode: exitCodeOf(status), status };
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
 * ```ts
 * import { openExec } from "@denokube/transport/tunnels";
 * import type { RestClient } from "@denokube/transport/contract";
 *
 * async function upperCase(client: RestClient): Promise<string> {
 *   const session = await openExec(client, {
 *     namespace: "default",
 *     pod: "web-0",
 *     command: ["sh", "-c", "read line; echo $line | tr a-z A-Z"],
 *     stdin: true,
 *   });
 *   const w = session.stdin!.getWriter();
 *   await w.write(new TextEncoder().encode("hi\n"));
 *   const out = await new Response(session.stdout).text();
 *   await session.stop();
 *   return out;
 * }
 * ```
 */
export function openExec(
  client: RestClient,
  opts: ExecOptions,
): Promise<ExecSession> {
  const q = new URLSearchParams();
  for (const arg of opts.command) q.append("command", arg);
  return openSession(
    client,
    "exec",
    q,
    opts,
    opts.protocols ?? EXEC_PROTOCOLS,
  );
}

/** What to attach to. */
export interface AttachOptions {
  /** The pod's namespace. */
  namespace: string;
  /** The pod. */
  pod: string;
  /** The container. @default {the pod's only or default container} */
  container?: string;
  /** Write to the container's stdin (it must run with `stdin: true`). @default {false} */
  stdin?: boolean;
  /** The container runs with `tty: true` (stdout and stderr merge; resize works). @default {false} */
  tty?: boolean;
  /** Cancels the session. @default {none: it runs until it ends or is closed} */
  signal?: AbortSignal;
  /** @deprecated Use `signal`, the name every helper of this library gives its abort signal. */
  abortSignal?: AbortSignal;
}

/**
 * Attaches to a running container's main process, like `kubectl attach`:
 * its output from now on, and its stdin when the container was started
 * with `stdin: true`. The status resolves when the process ends or the
 * session is stopped.
 *
 * @param client Any transport that supports WebSocket tunnels.
 * @param opts The container.
 * @returns The session.
 * @throws {KubernetesApiError} When the server refuses (404 pod, 403, 400 no node or no stdin).
 *
 * @example
 * ```ts
 * import { openAttach } from "@denokube/transport/tunnels";
 * import type { RestClient } from "@denokube/transport/contract";
 *
 * async function talkTo(client: RestClient): Promise<void> {
 *   const session = await openAttach(client, { namespace: "default", pod: "repl", stdin: true });
 *   const w = session.stdin!.getWriter();
 *   await w.write(new TextEncoder().encode("1 + 1\n"));
 *   await session.stop();
 * }
 * ```
 */
export function openAttach(
  client: RestClient,
  opts: AttachOptions,
): Promise<ExecSession> {
  return openSession(
    client,
    "attach",
    new URLSearchParams(),
    opts,
    EXEC_PROTOCOLS,
  );
}

/** A v4-only server refuses a v5-only offer with a bodiless 403 (no Status, unlike RBAC). */
function isProtocolRefusal(err: unknown): boolean {
  return err instanceof KubernetesApiError && err.httpCode === 403 &&
    !err.status.message;
}

async function openSession(
  client: RestClient,
  subresource: "exec" | "attach",
  q: URLSearchParams,
  opts: AttachOptions,
  protocols: string[],
): Promise<ExecSession> {
  const target: TunnelTarget = { namespace: opts.namespace, pod: opts.pod };
  const path = apiPath({
    version: "v1",
    resource: "pods",
    namespace: opts.namespace,
    name: opts.pod,
    subresource,
  });
  if (opts.container) q.set("container", opts.container);
  q.set("stdout", "true");
  q.set("stderr", opts.tty ? "false" : "true");
  if (opts.stdin) q.set("stdin", "true");
  if (opts.tty) q.set("tty", "true");
  let tunnel: KubernetesTunnel;
  try {
    tunnel = await client.performRequest({
      method: "POST",
      path,
      querystring: q,
      expectTunnel: protocols,
      abortSignal: opts.signal ?? opts.abortSignal,
    });
  } catch (err) {
    if (!protocols.includes("v4.channel.k8s.io") && isProtocolRefusal(err)) {
      throw new TunnelError(
        "StdinCloseUnsupported",
        target,
        `${subresource} with input to close needs v5.channel.k8s.io (Kubernetes ≥ 1.30); this server refused it (it speaks v4.channel.k8s.io, which cannot signal the end of stdin), so the command was not started`,
        err,
      );
    }
    throw err;
  }
  const canCloseStdin = tunnel.subProtocol.startsWith("v5.");
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
    const parts: Uint8Array[] = [];
    try {
      for await (const part of statusChannel.readable) parts.push(part);
    } catch (err) {
      // A server ends the connection right after the Status, and with an
      // upload still unread that end can be a reset which fails the tunnel
      // (or our stop() can come first): a whole Status received before it
      // still says how the command ended.
      const received = parseJsonOrUndefined(
        new TextDecoder().decode(concatBytes(...parts)),
      );
      if (isStatusObject(received)) {
        return { exitCode: exitCodeOf(received), status: received };
      }
      const why = errorText(err);
      return {
        exitCode: -1,
        status: {
          status: "Failure",
          message: `the session ended without a status: ${why}`,
        },
      };
    }
    const text = new TextDecoder().decode(concatBytes(...parts));
    if (!text) {
      return {
        exitCode: -1,
        status: {
          status: "Failure",
          message: "the session ended without a status",
        },
      };
    }
    return statusFrom(text);
  })();
  let resizeWriter: WritableStreamDefaultWriter<Uint8Array> | undefined;
  return {
    protocol: tunnel.subProtocol,
    stdin: stdin
      ? (canCloseStdin ? stdin.writable : noClose(stdin.writable, target))
      : null,
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
 * With `stdin`, the data is sent and then closed, which needs the v5
 * protocol (Kubernetes ≥ 1.30, or the kubectl transport): on an older server
 * the call fails at once, before the command starts, instead of hanging.
 *
 * @param client Any transport that supports tunnels.
 * @param opts What to run; `stdin` here is data to send (then EOF).
 * @returns Output and exit code.
 * @throws {KubernetesApiError} When the server refuses.
 * @throws {TunnelError} `StdinCloseUnsupported` when `stdin` is given and the server speaks only v4.
 *
 * @example
 * ```ts
 * import { execCommand } from "@denokube/transport/tunnels";
 * import type { RestClient } from "@denokube/transport/contract";
 *
 * async function listRoot(client: RestClient): Promise<string> {
 *   const { stdout, exitCode } = await execCommand(client, {
 *     namespace: "default",
 *     pod: "web-0",
 *     command: ["ls", "/"],
 *   });
 *   if (exitCode !== 0) throw new Error(`ls exited with ${exitCode}`);
 *   return new TextDecoder().decode(stdout);
 * }
 * ```
 */
export async function execCommand(
  client: RestClient,
  opts:
    & Omit<ExecOptions, "stdin" | "tty" | "protocols">
    & { stdin?: Uint8Array | string },
): Promise<ExecResult> {
  const q = new URLSearchParams();
  for (const arg of opts.command) q.append("command", arg);
  const session = await openSession(
    client,
    "exec",
    q,
    { ...opts, stdin: opts.stdin !== undefined, tty: false },
    // Input that must end needs v5: offering only it keeps a v4 server from starting the command.
    opts.stdin !== undefined ? ["v5.channel.k8s.io"] : EXEC_PROTOCOLS,
  );
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

/** stdin on a protocol that cannot close it: writes pass, close() says why it cannot. */
function noClose(
  inner: WritableStream<Uint8Array>,
  target: TunnelTarget,
): WritableStream<Uint8Array> {
  const writer = inner.getWriter();
  return new WritableStream<Uint8Array>({
    write: (chunk) => writer.write(chunk),
    close: () => {
      writer.releaseLock();
      throw new TunnelError(
        "StdinCloseUnsupported",
        target,
        "closing stdin needs v5.channel.k8s.io (Kubernetes ≥ 1.30); this session speaks v4.channel.k8s.io, so the end of input cannot be sent",
      );
    },
    abort: (reason) => writer.abort(reason),
  });
}
