/**
 * `kubectl exec -it` and `kubectl attach -it` for code: a session wired to the
 * user's terminal, the remote exit code back as a typed result, and the
 * terminal left as it was found on every way out.
 *
 * What it does, in order: opens the session (a TTY when the input is a
 * terminal, as kubectl decides), puts the input in raw mode (keys, Ctrl-C
 * included, go to the remote as bytes), sends the terminal's size and again
 * on every `SIGWINCH`, pipes input to the remote's stdin and its stdout and
 * stderr to ours, and waits for the remote to end. Whatever ends it — the
 * remote's exit, a dropped connection, an error writing our output, an abort,
 * `SIGINT`/`SIGTERM`/`SIGHUP`, `Deno.exit()` elsewhere (the `unload` event) —
 * raw mode is turned off, every signal listener removed, the input released
 * and the session stopped before the call returns or throws.
 *
 * When the input ends (piped input, `< file`): on `v5.channel.k8s.io`
 * (Kubernetes ≥ 1.30) the end is passed on, as kubectl does, and the remote
 * command sees it. A `v4.channel.k8s.io` server cannot be told (the protocol
 * has no way to close one channel), so a shell waiting for more input would
 * wait forever. kubectl never meets this: client-go's WebSocket executor
 * offers only v5 and falls back to SPDY, whose streams half-close; the old
 * `@kubernetes/client-node` closed the whole socket at once, losing the
 * output still on its way and the exit code. This helper keeps the session
 * while the remote still writes and ends it once the remote has been silent
 * for `inputEndIdleMs` (default 3 s) after the input ended, with a warning
 * and `ended: "InputEndUnsent"` in the result (no exit code). A command that
 * ends by itself within that time (input that says `exit`) gives its exit
 * code as usual.
 *
 * ```ts
 * import { execInTerminal } from "@denokube/transport/tunnels";
 * import type { RestClient } from "@denokube/transport";
 *
 * declare const client: RestClient;
 *
 * const result = await execInTerminal(client, {
 *   namespace: "dev",
 *   pod: "app-0",
 *   command: ["sh"],
 * });
 * if (result.ended === "Signal") Deno.exit(130);
 * Deno.exit(result.exitCode);
 * ```
 *
 * Deno flags: the transport's, nothing more for the terminal itself
 * (`Deno.stdin.setRaw`, `Deno.consoleSize` and signal listeners need no
 * permission). On Windows only `SIGINT` is listened for; the size is sent once.
 *
 * Deno's raw mode (`Deno.stdin.setRaw`) leaves output processing on, unlike
 * kubectl's: the remote's `\r\n` arrives as `\r\r\n` (the same on screen), and
 * a full-screen program that moves down with a bare line feed may draw from
 * the first column.
 *
 * After the session `Deno.stdin.readable` is done (its reader was cancelled so
 * that a read still waiting for a key does not keep the process alive);
 * `Deno.stdin.read()` still works, though the first bytes typed after the
 * session go to that cancelled read.
 *
 * @module
 */

import type { RestClient } from "../contract.ts";
import {
  type AttachOptions,
  type ExecOptions,
  type ExecSession,
  type ExecStatus,
  openAttach,
  openExec,
} from "./exec.ts";

/**
 * The user's side of a session: input, output, raw mode, size and signals.
 * {@link denoTerminal} is the process's own; tests and embedders give theirs.
 */
export interface Terminal {
  /** The input (keys, or piped data). Called once per session; the session cancels its reader when it ends. */
  input(): ReadableStream<Uint8Array>;
  /** Writes what the remote wrote to stdout (with a TTY, everything it wrote). */
  writeOutput(bytes: Uint8Array): Promise<void>;
  /** Writes what the remote wrote to stderr, and this helper's warnings. */
  writeError(bytes: Uint8Array): Promise<void>;
  /** Whether the input is a terminal: raw mode is set only then. */
  isTerminal(): boolean;
  /** Turns raw mode on or off. */
  setRaw(raw: boolean): void;
  /** Columns and rows, or undefined when there is nothing to measure. */
  size(): { columns: number; rows: number } | undefined;
  /** As `Deno.addSignalListener`; throws for a signal the platform lacks. */
  addSignalListener(signal: Deno.Signal, handler: () => void): void;
  /** As `Deno.removeSignalListener`. */
  removeSignalListener(signal: Deno.Signal, handler: () => void): void;
}

async function writeAll(
  w: { write(p: Uint8Array): Promise<number> },
  bytes: Uint8Array,
): Promise<void> {
  for (let at = 0; at < bytes.length;) at += await w.write(bytes.subarray(at));
}

/**
 * This process's terminal: `Deno.stdin`, `Deno.stdout`, `Deno.stderr`,
 * `Deno.consoleSize()` and Deno's signal listeners. Nothing is touched until
 * a session uses it.
 *
 * @returns The terminal.
 */
export function denoTerminal(): Terminal {
  return {
    input: () => Deno.stdin.readable,
    writeOutput: (bytes) => writeAll(Deno.stdout, bytes),
    writeError: (bytes) => writeAll(Deno.stderr, bytes),
    isTerminal: () => Deno.stdin.isTerminal(),
    setRaw: (raw) => Deno.stdin.setRaw(raw),
    size: () => {
      try {
        return Deno.consoleSize();
      } catch {
        return undefined; // no terminal on stdin, stdout or stderr
      }
    },
    addSignalListener: (s, h) => Deno.addSignalListener(s, h),
    removeSignalListener: (s, h) => Deno.removeSignalListener(s, h),
  };
}

/** How a terminal session is run (the same for exec and attach). */
export interface TerminalOptions {
  /**
   * Ask for a TTY: stdout and stderr merge, the size is sent, the input is
   * put in raw mode when it is a terminal. For attach it must match the
   * container's `tty`.
   * @default {whether the terminal's input is a terminal: kubectl's rule, a TTY fed from a pipe would echo the input back}
   */
  tty?: boolean;
  /** The user's side. @default {denoTerminal(): this process's stdin, stdout, stderr} */
  terminal?: Terminal;
  /**
   * On a `v4.channel.k8s.io` server, which cannot pass on the end of input:
   * how long the remote may stay silent after the input ended before the
   * session is ended (`ended: "InputEndUnsent"`). `0` ends it at once, as the
   * old client-node did; `Infinity` waits for the remote (with a warning).
   * @default {3000: long enough for the output of the last input line to come back over a slow link, short enough that a missing `exit` does not look like a hang}
   */
  inputEndIdleMs?: number;
  /** Hears warnings (v4 input end). @default {a line on the terminal's error output} */
  onWarning?: (message: string) => void;
  /** Ends the session; the call rejects with the signal's reason, the terminal restored. @default {none} */
  signal?: AbortSignal;
}

/** What to run in the terminal. */
export type ExecInTerminalOptions =
  & Omit<ExecOptions, "stdin" | "tty" | "signal" | "abortSignal">
  & TerminalOptions;

/** What to attach the terminal to. */
export type AttachInTerminalOptions =
  & Omit<AttachOptions, "stdin" | "tty" | "signal" | "abortSignal">
  & TerminalOptions;

/**
 * Why the session ended: `Remote` — the remote ended it (the command exited,
 * or the server closed the session: see `status`); `InputEndUnsent` — the
 * input ended on a v4 server and the remote stayed silent (see
 * {@link TerminalOptions.inputEndIdleMs}); `Signal` — `SIGINT`, `SIGTERM` or
 * `SIGHUP` reached this process (the default action, ending it, is the
 * caller's to take).
 */
export type TerminalEnd = "Remote" | "InputEndUnsent" | "Signal";

/** How a terminal session ended. */
export interface TerminalResult extends ExecStatus {
  /** Why it ended; `exitCode` is the remote's only for `Remote` (-1 otherwise). */
  ended: TerminalEnd;
  /** The signal, when `ended` is `Signal`. */
  signal?: Deno.Signal;
  /** The subprotocol the session spoke. */
  protocol: string;
}

/**
 * Runs a command in a pod with the user's terminal, like `kubectl exec -it`.
 *
 * @param client Any transport that carries exec tunnels with stdin.
 * @param opts What to run, and how the terminal is used.
 * @returns How the session ended, with the remote exit code.
 * @throws {KubernetesApiError} When the server refuses (404 pod, 403, 400 no node).
 * @throws {RangeError} When `inputEndIdleMs` is negative or not a number.
 * @throws {unknown} The abort reason when `signal` aborts; an error writing to the terminal.
 *
 * @example
 * ```ts
 * import { execInTerminal } from "@denokube/transport/tunnels";
 * import type { RestClient } from "@denokube/transport/contract";
 *
 * async function shell(client: RestClient): Promise<number> {
 *   const r = await execInTerminal(client, {
 *     namespace: "default",
 *     pod: "web-0",
 *     command: ["sh"],
 *   });
 *   return r.exitCode;
 * }
 * ```
 */
export function execInTerminal(
  client: RestClient,
  opts: ExecInTerminalOptions,
): Promise<TerminalResult> {
  return runInTerminal(
    `exec in ${opts.namespace}/${opts.pod}`,
    (tty) =>
      openExec(client, {
        ...opts,
        stdin: true,
        tty,
        signal: opts.signal,
        abortSignal: undefined,
      }),
    opts,
  );
}

/**
 * Attaches the user's terminal to a running container's main process, like
 * `kubectl attach -it`. The container must run with `stdin: true`.
 *
 * @param client Any transport that carries attach tunnels.
 * @param opts The container, and how the terminal is used.
 * @returns How the session ended, with the process's exit code when it ended.
 * @throws {KubernetesApiError} When the server refuses (404 pod, 403, 400 no node or no stdin).
 * @throws {RangeError} When `inputEndIdleMs` is negative or not a number.
 * @throws {unknown} The abort reason when `signal` aborts; an error writing to the terminal.
 *
 * @example
 * ```ts
 * import { attachInTerminal } from "@denokube/transport/tunnels";
 * import type { RestClient } from "@denokube/transport/contract";
 *
 * async function attach(client: RestClient): Promise<void> {
 *   await attachInTerminal(client, { namespace: "default", pod: "repl", tty: true });
 * }
 * ```
 */
export function attachInTerminal(
  client: RestClient,
  opts: AttachInTerminalOptions,
): Promise<TerminalResult> {
  return runInTerminal(
    `attach to ${opts.namespace}/${opts.pod}`,
    (tty) =>
      openAttach(client, {
        ...opts,
        stdin: true,
        tty,
        signal: opts.signal,
        abortSignal: undefined,
      }),
    opts,
  );
}

/** What ends a session from this side; a remote end comes from its status. */
const EXIT_SIGNALS: Deno.Signal[] = ["SIGINT", "SIGTERM", "SIGHUP"];
/** How long output already received may take to reach the terminal once the session is over. */
const DRAIN_MS = 2000;

/** Undo steps, run last-in first-out; one failing does not skip the rest. */
class Undo {
  #steps: (() => unknown)[] = [];
  push(step: () => unknown): void {
    this.#steps.push(step);
  }
  async run(): Promise<void> {
    for (const step of this.#steps.reverse()) {
      try {
        await step();
      } catch {
        // restoring must go on: the next step may be the one that matters
      }
    }
    this.#steps = [];
  }
}

type LocalEnd =
  | { ended: "Signal"; signal: Deno.Signal }
  | { ended: "InputEndUnsent"; idleMs: number };

async function runInTerminal(
  where: string,
  open: (tty: boolean) => Promise<ExecSession>,
  opts: TerminalOptions,
): Promise<TerminalResult> {
  const term = opts.terminal ?? denoTerminal();
  const idleMs = opts.inputEndIdleMs ?? 3000;
  if (!(idleMs >= 0)) {
    throw new RangeError(
      `${where}: inputEndIdleMs must be a number of milliseconds ≥ 0 (or Infinity), got ${idleMs}`,
    );
  }
  opts.signal?.throwIfAborted();
  const tty = opts.tty ?? term.isTerminal();
  const session = await open(tty);
  const undo = new Undo();
  undo.push(() => session.stop());
  try {
    return await drive(session, term, tty, idleMs, opts, undo);
  } finally {
    await undo.run();
  }
}

async function drive(
  session: ExecSession,
  term: Terminal,
  tty: boolean,
  idleMs: number,
  opts: TerminalOptions,
  undo: Undo,
): Promise<TerminalResult> {
  const local = Promise.withResolvers<LocalEnd>();
  local.promise.catch(() => {}); // raced below; a late rejection is not unhandled
  // Set once the outcome is known: the input loop, ending when its reader is
  // cancelled, must not start the idle timer again.
  let over = false;
  const listen = (signal: Deno.Signal, handler: () => void) => {
    try {
      term.addSignalListener(signal, handler);
    } catch {
      return; // not on this platform (Windows has SIGINT and SIGBREAK only)
    }
    undo.push(() => term.removeSignalListener(signal, handler));
  };
  const warn = opts.onWarning ??
    ((m: string) =>
      void term.writeError(new TextEncoder().encode(`warning: ${m}\r\n`))
        .catch(() => {}));

  // Input: the session cancels the reader when it ends, so a read waiting
  // for a key neither keeps the process alive nor swallows later input.
  const reader = term.input().getReader();
  undo.push(() => reader.cancel());

  if (tty && term.isTerminal()) {
    term.setRaw(true);
    // Deno.exit() elsewhere skips our finally; the unload event does not.
    const restore = () => term.setRaw(false);
    globalThis.addEventListener("unload", restore);
    undo.push(() => {
      globalThis.removeEventListener("unload", restore);
      restore();
    });
  }
  for (const signal of EXIT_SIGNALS) {
    listen(signal, () => local.resolve({ ended: "Signal", signal }));
  }
  if (opts.signal) {
    const s = opts.signal;
    const onAbort = () => local.reject(s.reason);
    s.addEventListener("abort", onAbort, { once: true });
    undo.push(() => s.removeEventListener("abort", onAbort));
  }
  if (tty) {
    const sendSize = () => {
      const size = term.size();
      // A pty nobody sized reports 0×0: sending it would shrink the remote to nothing.
      if (size && size.columns > 0 && size.rows > 0) {
        session.resize(size.columns, size.rows).catch(() => {});
      }
    };
    sendSize();
    listen("SIGWINCH", sendSize);
  }

  // v4 input end: a timer the remote's output keeps pushing back.
  let idle: ReturnType<typeof setTimeout> | undefined;
  let inputEnded = false;
  undo.push(() => clearTimeout(idle));
  const armIdle = () => {
    clearTimeout(idle);
    if (over || idleMs === Infinity) return;
    idle = setTimeout(() => {
      warn(
        `the input ended, and ${session.protocol} (Kubernetes < 1.30) cannot pass that on to the remote; it wrote nothing for ${idleMs} ms, so the session was ended (the remote command may still be running)`,
      );
      local.resolve({ ended: "InputEndUnsent", idleMs });
    }, idleMs);
  };
  const pump = async (
    from: ReadableStream<Uint8Array>,
    write: (b: Uint8Array) => Promise<void>,
  ) => {
    const r = from.getReader();
    try {
      for (;;) {
        let chunk: ReadableStreamReadResult<Uint8Array>;
        try {
          chunk = await r.read();
        } catch {
          return; // the session went away: its status says how
        }
        if (chunk.done) return;
        if (inputEnded) armIdle();
        await write(chunk.value);
      }
    } catch (err) {
      local.reject(err); // our own output is broken: nothing more can be shown
      await r.cancel().catch(() => {});
    }
  };
  const outputs = Promise.all([
    pump(session.stdout, term.writeOutput),
    pump(session.stderr, term.writeError),
  ]);

  const stdin = session.stdin!.getWriter();
  const canClose = session.protocol.startsWith("v5.");
  void (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      await stdin.write(value);
    }
    if (over) return;
    if (canClose) return await stdin.close();
    inputEnded = true;
    if (idleMs === Infinity) {
      warn(
        `the input ended, and ${session.protocol} (Kubernetes < 1.30) cannot pass that on to the remote; the session lasts until the remote ends`,
      );
    }
    armIdle();
  })().catch(() => {
    // input refused: the session is ending, its status says how
  });

  let end: ExecStatus | LocalEnd;
  try {
    end = await Promise.race([session.status, local.promise]);
  } finally {
    over = true;
    clearTimeout(idle);
  }
  if ("ended" in end) await session.stop();
  // Output already received reaches the terminal before it is restored.
  let drainTimer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    outputs,
    new Promise((r) => drainTimer = setTimeout(r, DRAIN_MS)),
  ]);
  clearTimeout(drainTimer);
  if (!("ended" in end)) {
    return { ...end, ended: "Remote", protocol: session.protocol };
  }
  const message = end.ended === "Signal"
    ? `the session was ended by ${end.signal}`
    : `the input ended and the remote wrote nothing for ${end.idleMs} ms; ${session.protocol} cannot pass the end of input on`;
  return {
    exitCode: -1,
    status: { status: "Failure", message },
    ended: end.ended,
    ...(end.ended === "Signal" ? { signal: end.signal } : {}),
    protocol: session.protocol,
  };
}
