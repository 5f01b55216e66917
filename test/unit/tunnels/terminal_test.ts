// execInTerminal/attachInTerminal without a cluster: the session runs over
// the library's own WebSocket client (real RFC 6455 framing, the channel
// protocols on top) against an in-process stand-in served by Deno's
// WebSocket server, a small shell that answers each input line, exits on
// `exit N` with a NonZeroExitCode Status (as the kubelet writes it) and, on
// v5, on the end of stdin ([255][0]); on v4 it never learns the input ended,
// as a real v4 server does not. The user's side is a scripted Terminal, so
// what is checked is exact: raw mode on during the session and off after,
// the size sent at the start and on SIGWINCH, signal listeners removed, the
// input reader cancelled, and all of it on every way out: the remote's exit,
// the v4 end of input (bounded by the idle time, output keeping it alive),
// SIGINT, an abort and an error thrown writing our output. The same helper
// through a real pty against the real node is
// test/integration/tunnels/node_terminal_test.ts.

import assert from "node:assert/strict";
import type { RequestOptions, RestClient } from "../../../mod.ts";
import {
  attachInTerminal,
  execInTerminal,
  type ExecInTerminalOptions,
  type Terminal,
} from "../../../lib/tunnels/mod.ts";
import { tunnelOn } from "../../../transports/_websocket_tunnel.ts";
import { rejection } from "../../_helpers.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

interface Peer {
  port: number;
  /** Every resize the stand-in received, as `WxH`. */
  resizes: string[];
  /** Whether a stdin close ([255][0]) arrived. */
  stdinClosed: boolean;
  /** Resolves when the socket closed, either side. */
  closed: Promise<void>;
  close(): Promise<void>;
}

function frame(channel: number, text: string): Uint8Array {
  const bytes = enc.encode(text);
  const out = new Uint8Array(bytes.length + 1);
  out[0] = channel;
  out.set(bytes, 1);
  return out;
}

function exitStatus(code: number): string {
  return JSON.stringify(
    code === 0 ? { metadata: {}, status: "Success" } : {
      metadata: {},
      status: "Failure",
      message:
        `command terminated with non-zero exit code: exit status ${code}`,
      reason: "NonZeroExitCode",
      details: { causes: [{ reason: "ExitCode", message: String(code) }] },
    },
  );
}

/**
 * A shell behind an exec/attach endpoint speaking `protocol`: `echo X`
 * writes X, `warn` writes to stderr, `chatty` writes `tick N` five times
 * 150 ms apart, `exit N` ends, `drop` closes the connection without a
 * status; the command `no-such` fails to start.
 */
function startPeer(protocol: "v4.channel.k8s.io" | "v5.channel.k8s.io") {
  const closed = Promise.withResolvers<void>();
  const peer: Peer = {
    port: 0,
    resizes: [],
    stdinClosed: false,
    closed: closed.promise,
    close: async () => {},
  };
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (req) => {
      const offered = (req.headers.get("sec-websocket-protocol") ?? "")
        .split(",").map((s) => s.trim());
      if (!offered.includes(protocol)) {
        return new Response(null, { status: 403 });
      }
      const { socket, response } = Deno.upgradeWebSocket(req, { protocol });
      socket.binaryType = "arraybuffer";
      let line = "";
      let done = false;
      const finish = (code: number) => {
        if (done) return;
        done = true;
        socket.send(frame(3, exitStatus(code)));
        socket.close(1000);
      };
      socket.onclose = () => closed.resolve();
      // A command the runtime cannot start: the kubelet's 500 Status, at once.
      if (new URL(req.url).searchParams.get("command") === "no-such") {
        socket.onopen = () => {
          done = true;
          socket.send(frame(
            3,
            JSON.stringify({
              metadata: {},
              status: "Failure",
              message:
                'OCI runtime exec failed: exec: "no-such": executable file not found in $PATH',
              reason: "InternalError",
              code: 500,
            }),
          ));
          socket.close(1000);
        };
      }
      socket.onmessage = (e) => {
        const data = new Uint8Array(e.data as ArrayBuffer);
        if (data[0] === 4) {
          const { Width, Height } = JSON.parse(dec.decode(data.subarray(1)));
          peer.resizes.push(`${Width}x${Height}`);
        } else if (data[0] === 255 && data[1] === 0) {
          peer.stdinClosed = true;
          finish(0); // a shell exits at the end of its input
        } else if (data[0] === 0) {
          line += dec.decode(data.subarray(1));
          let nl: number;
          while ((nl = line.indexOf("\n")) >= 0) {
            const cmd = line.slice(0, nl).trim();
            line = line.slice(nl + 1);
            const exit = /^exit (\d+)$/.exec(cmd);
            if (exit) return finish(Number(exit[1]));
            if (cmd.startsWith("echo ")) {
              socket.send(frame(1, `${cmd.slice(5)}\n`));
            } else if (cmd === "warn") socket.send(frame(2, "on stderr\n"));
            else if (cmd === "drop") return socket.close(1011); // no status
            else if (cmd === "chatty") {
              for (let i = 1; i <= 5; i++) {
                setTimeout(() => {
                  if (!done) socket.send(frame(1, `tick ${i}\n`));
                }, 150 * i);
              }
            }
          }
        }
      };
      return response;
    },
  );
  peer.port = server.addr.port;
  peer.close = () => server.shutdown();
  return peer;
}

/** A client whose tunnels go to the stand-in over plain TCP; records the requests. */
function clientFor(peer: Peer): RestClient & { requests: RequestOptions[] } {
  const requests: RequestOptions[] = [];
  return {
    requests,
    // deno-lint-ignore no-explicit-any
    performRequest: (async (opts: RequestOptions): Promise<any> => {
      requests.push(opts);
      const conn = await Deno.connect({
        hostname: "127.0.0.1",
        port: peer.port,
      });
      const path = `${opts.path}?${opts.querystring ?? ""}`;
      return await tunnelOn(conn, {
        host: `127.0.0.1:${peer.port}`,
        path,
        protocols: opts.expectTunnel!,
        headers: [],
        request: { method: opts.method, path },
      }, opts);
    }) as RestClient["performRequest"],
  };
}

interface FakeTerminal extends Terminal {
  /** Every setRaw call, in order. */
  raw: boolean[];
  out: string[];
  err: string[];
  /** Signals with a listener now. */
  listening(): string[];
  emit(signal: Deno.Signal): void;
  /** Feeds the input; `end()` closes it. */
  type(text: string): void;
  end(): void;
  inputCancelled: boolean;
  inputEnded: boolean;
  columns: number;
  rows: number;
}

function fakeTerminal(opts: {
  isTerminal: boolean;
  failWrite?: Error;
}): FakeTerminal {
  const listeners = new Map<Deno.Signal, Set<() => void>>();
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  // Made now, so what a test types before the session reads it waits in the queue.
  const input = new ReadableStream<Uint8Array>({
    start: (c) => void (controller = c),
    cancel: () => void (t.inputCancelled = true),
  });
  const t: FakeTerminal = {
    raw: [],
    out: [],
    err: [],
    inputCancelled: false,
    inputEnded: false,
    columns: 80,
    rows: 24,
    input: () => input,
    writeOutput: (b) => {
      if (opts.failWrite) return Promise.reject(opts.failWrite);
      t.out.push(dec.decode(b));
      return Promise.resolve();
    },
    writeError: (b) => {
      t.err.push(dec.decode(b));
      return Promise.resolve();
    },
    isTerminal: () => opts.isTerminal,
    setRaw: (raw) => void t.raw.push(raw),
    size: () => ({ columns: t.columns, rows: t.rows }),
    addSignalListener: (s, h) => {
      if (!listeners.has(s)) listeners.set(s, new Set());
      listeners.get(s)!.add(h);
    },
    removeSignalListener: (s, h) => void listeners.get(s)?.delete(h),
    listening: () => [...listeners].filter(([, hs]) => hs.size).map(([s]) => s),
    emit: (s) => listeners.get(s)?.forEach((h) => h()),
    type: (text) => controller.enqueue(enc.encode(text)),
    end: () => {
      controller.close();
      t.inputEnded = true;
    },
  };
  return t;
}

/** `p`, or a failure once `ms` passed: a session that does not end fails its test instead of hanging it. */
async function settled<T>(p: Promise<T>, ms = 10_000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) =>
        timer = setTimeout(
          () => reject(new Error(`the session did not end within ${ms} ms`)),
          ms,
        )
      ),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

async function until(what: string, cond: () => boolean, ms = 5000) {
  const deadline = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > deadline) assert.fail(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The terminal is as found: raw mode toggled back off (if ever on), no listener, input released. */
function assertRestored(t: FakeTerminal) {
  if (t.raw.length) assert.deepEqual(t.raw, [true, false]);
  assert.deepEqual(t.listening(), []);
  assert.ok(
    t.inputEnded || t.inputCancelled,
    "input that did not end had its reader cancelled",
  );
}

const pod = { namespace: "ns", pod: "web" };

/** Runs `fn` with a stand-in speaking `protocol`, shut down after. */
async function withPeer(
  protocol: "v4.channel.k8s.io" | "v5.channel.k8s.io",
  fn: (peer: Peer) => Promise<void>,
): Promise<void> {
  const peer = startPeer(protocol);
  try {
    await fn(peer);
  } finally {
    await peer.close();
  }
}

/** `sh` in the stand-in's pod on `term`. */
function shell(
  peer: Peer,
  term: Terminal,
  extra: Omit<ExecInTerminalOptions, "namespace" | "pod" | "command"> = {},
) {
  return execInTerminal(clientFor(peer), {
    ...pod,
    command: ["sh"],
    terminal: term,
    ...extra,
  });
}

for (const protocol of ["v5.channel.k8s.io", "v4.channel.k8s.io"] as const) {
  Deno.test(`${protocol}: a TTY session goes raw, sends the size at the start and on SIGWINCH, pipes both ways and returns the exit code`, () =>
    withPeer(protocol, async (peer) => {
      const client = clientFor(peer);
      const term = fakeTerminal({ isTerminal: true });
      const run = execInTerminal(client, {
        ...pod,
        command: ["sh"],
        terminal: term,
      });
      await until("the size at the start", () => peer.resizes.length === 1);
      assert.deepEqual(term.raw, [true], "raw while the session runs");
      assert.deepEqual(
        term.listening().sort(),
        ["SIGHUP", "SIGINT", "SIGTERM", "SIGWINCH"],
      );
      const q = client.requests[0].querystring as URLSearchParams;
      assert.equal(q.get("tty"), "true");
      assert.equal(q.get("stdin"), "true");
      assert.equal(q.get("stderr"), "false", "a TTY merges stderr");

      term.type("echo hello\n");
      await until("the echo", () => term.out.join("") === "hello\n");
      term.columns = 132;
      term.rows = 43;
      term.emit("SIGWINCH");
      await until("the new size", () => peer.resizes.length === 2);
      assert.deepEqual(peer.resizes, ["80x24", "132x43"]);
      term.type("exit 3\n");
      const r = await settled(run);
      assert.equal(r.exitCode, 3);
      assert.equal(r.ended, "Remote");
      assert.equal(r.status.reason, "NonZeroExitCode");
      assert.equal(r.protocol, protocol);
      assertRestored(term);
    }));
}

Deno.test("v4: piped input that ends without `exit` ends the session after the idle time, with a warning, instead of hanging", () =>
  withPeer("v4.channel.k8s.io", async (peer) => {
    const term = fakeTerminal({ isTerminal: false });
    const warnings: string[] = [];
    const started = performance.now();
    const run = shell(peer, term, {
      inputEndIdleMs: 300,
      onWarning: (m) => warnings.push(m),
    });
    term.type("echo one\nwarn\n");
    term.end();
    const r = await settled(run);
    const took = performance.now() - started;
    assert.equal(r.ended, "InputEndUnsent");
    assert.equal(r.exitCode, -1);
    assert.equal(r.status.status, "Failure");
    assert.match(String(r.status.message), /nothing for 300 ms/);
    assert.equal(term.out.join(""), "one\n", "output before the end arrives");
    assert.equal(term.err.join(""), "on stderr\n", "stderr without a TTY");
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /v4\.channel\.k8s\.io \(Kubernetes < 1\.30\)/);
    assert.ok(took < 3000, `bounded: ${Math.round(took)} ms`);
    assert.deepEqual(term.raw, [], "piped input is never put in raw mode");
    assert.deepEqual(peer.resizes, [], "no TTY, no size");
    await peer.closed; // the session was stopped
    assertRestored(term);
  }));

Deno.test("v4: output after the input ended keeps the session until the remote is silent for the idle time", () =>
  withPeer("v4.channel.k8s.io", async (peer) => {
    const term = fakeTerminal({ isTerminal: false });
    const run = shell(peer, term, { inputEndIdleMs: 400, onWarning: () => {} });
    term.type("chatty\n"); // five ticks, 150 ms apart: 750 ms in all
    term.end();
    const r = await settled(run);
    assert.equal(r.ended, "InputEndUnsent");
    assert.equal(
      term.out.join(""),
      "tick 1\ntick 2\ntick 3\ntick 4\ntick 5\n",
    );
  }));

Deno.test("v4: piped input that says `exit 4` gives the exit code, no warning", () =>
  withPeer("v4.channel.k8s.io", async (peer) => {
    const term = fakeTerminal({ isTerminal: false });
    const warnings: string[] = [];
    const run = shell(peer, term, { onWarning: (m) => warnings.push(m) });
    term.type("echo a\nexit 4\n");
    term.end();
    const r = await settled(run);
    assert.equal(r.ended, "Remote");
    assert.equal(r.exitCode, 4);
    assert.deepEqual(warnings, []);
    assertRestored(term);
  }));

Deno.test("v5: the end of piped input is passed on and the remote's exit ends the session", () =>
  withPeer("v5.channel.k8s.io", async (peer) => {
    const term = fakeTerminal({ isTerminal: false });
    const run = shell(peer, term, { inputEndIdleMs: 60_000 });
    term.type("echo x\n");
    term.end();
    const r = await settled(run);
    assert.ok(peer.stdinClosed, "[255][0] sent");
    assert.equal(r.ended, "Remote");
    assert.equal(r.exitCode, 0);
    assert.equal(term.out.join(""), "x\n");
  }));

Deno.test("the default warning for the v4 end of input goes to the terminal's error output", () =>
  withPeer("v4.channel.k8s.io", async (peer) => {
    const term = fakeTerminal({ isTerminal: false });
    const run = shell(peer, term, { inputEndIdleMs: 0 });
    term.end();
    assert.equal((await settled(run)).ended, "InputEndUnsent");
    assert.match(term.err.join(""), /^warning: the input ended, and v4/);
  }));

Deno.test("SIGINT ends the session with ended: Signal and the terminal restored", () =>
  withPeer("v5.channel.k8s.io", async (peer) => {
    const term = fakeTerminal({ isTerminal: true });
    const run = shell(peer, term);
    await until("the session", () => peer.resizes.length === 1);
    term.emit("SIGINT");
    const r = await settled(run);
    assert.equal(r.ended, "Signal");
    assert.equal(r.signal, "SIGINT");
    assert.equal(r.exitCode, -1);
    await peer.closed;
    assertRestored(term);
  }));

Deno.test("an abort rejects with its reason, the terminal restored and the session stopped", () =>
  withPeer("v4.channel.k8s.io", async (peer) => {
    const term = fakeTerminal({ isTerminal: true });
    const abort = new AbortController();
    const run = attachInTerminal(clientFor(peer), {
      ...pod,
      terminal: term,
      signal: abort.signal,
    });
    await until("the session", () => peer.resizes.length === 1);
    const reason = new Error("user gave up");
    abort.abort(reason);
    assert.equal(await rejection(settled(run)), reason);
    await peer.closed;
    assertRestored(term);
  }));

Deno.test("an error writing our output rejects with it, the terminal restored", () =>
  withPeer("v5.channel.k8s.io", async (peer) => {
    const broken = new Error("stdout is gone");
    const term = fakeTerminal({ isTerminal: true, failWrite: broken });
    const run = shell(peer, term);
    term.type("echo boom\n");
    assert.equal(await rejection(settled(run)), broken);
    await peer.closed;
    assertRestored(term);
  }));

Deno.test("a refused session throws before the terminal is touched; a bad idle time fails before any request", () =>
  withPeer("v5.channel.k8s.io", async (peer) => {
    const term = fakeTerminal({ isTerminal: true });
    const client = clientFor(peer);
    // This stand-in speaks only v5; attach offers v5 then v4, so force a refusal with a v4-only exec offer.
    const err = await rejection(
      execInTerminal(client, {
        ...pod,
        command: ["sh"],
        terminal: term,
        protocols: ["v4.channel.k8s.io"],
      }),
    );
    assert.match(String(err), /403/);
    assert.deepEqual(term.raw, []);
    assert.deepEqual(term.listening(), []);

    const bad = await rejection(
      execInTerminal(client, {
        ...pod,
        command: ["sh"],
        terminal: term,
        inputEndIdleMs: -1,
      }),
      RangeError,
    );
    assert.equal(
      bad.message,
      "exec in ns/web: inputEndIdleMs must be a number of milliseconds ≥ 0 (or Infinity), got -1",
    );
    assert.equal(client.requests.length, 1);
  }));

Deno.test("a command that cannot start and a dropped connection end as Remote with exit code -1 and the status saying why", () =>
  withPeer("v5.channel.k8s.io", async (peer) => {
    const term = fakeTerminal({ isTerminal: true });
    const failed = await settled(
      execInTerminal(clientFor(peer), {
        ...pod,
        command: ["no-such"],
        terminal: term,
      }),
    );
    assert.equal(failed.ended, "Remote");
    assert.equal(failed.exitCode, -1);
    assert.equal(failed.status.reason, "InternalError");
    assert.match(String(failed.status.message), /executable file not found/);
    assertRestored(term);

    const term2 = fakeTerminal({ isTerminal: true });
    const run = shell(peer, term2);
    term2.type("echo before\ndrop\n");
    const dropped = await settled(run);
    assert.equal(dropped.ended, "Remote");
    assert.equal(dropped.exitCode, -1);
    assert.match(String(dropped.status.message), /ended without a status/);
    assert.equal(term2.out.join(""), "before\n");
    assertRestored(term2);
  }));
