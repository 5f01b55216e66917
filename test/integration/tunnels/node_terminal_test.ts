// execInTerminal through a real pseudo-terminal against a real pod: a Deno
// program (test/fixtures/terminal_session.ts) hands its terminal to `sh` in
// a pod on the harness's node, and python3's pty driver
// (test/fixtures/pty_driver.py) plays the user: it types commands and reads
// their output, changes the terminal's size (the kernel sends SIGWINCH, the
// program sends the size, `stty size` in the pod follows), interrupts a
// `sleep` with Ctrl-C (a byte in raw mode: the remote shell, not our
// process, gets the interrupt), types `exit 3` and checks the exit code and
// that the terminal is as it was (`stty -g` before and after equal, raw while
// the session ran). A second run is ended by SIGINT sent to the program: the
// terminal is restored too. A third feeds piped input without `exit`: on a
// server before 1.30 (v4.channel.k8s.io, which cannot pass the end of input
// on) the session ends after the idle time with a warning instead of
// hanging; from 1.30 (v5) the shell sees the end of its input and exits 0.

import assert from "node:assert/strict";
import { controlPlane, serverVersion } from "../../harness.ts";
import { nodeOf, nodeSuite, podManifest, runPod } from "../../_node_pods.ts";

const cp = await controlPlane();
const node = nodeOf(cp, "node_terminal_test");
// WebSocket exec speaks v5.channel.k8s.io from 1.30 (see node_exec_test.ts).
const v5 = (await serverVersion()).minor >= 30;
const protocol = v5 ? "v5.channel.k8s.io" : "v4.channel.k8s.io";
const python = await new Deno.Command("python3", { args: ["--version"] })
  .output().then((o) => o.success, () => false);
if (node && !python) {
  console.error("node_terminal_test: skipped, no python3 for the pty driver");
}
const ignore = !node || !python;

const fixtures = new URL("../../fixtures/", import.meta.url).pathname;
const suite = nodeSuite(cp, "node-terminal", async (admin, ns) => {
  await runPod(
    admin,
    ns,
    podManifest(node!, "shell", [{ script: "sleep 3600" }]),
  );
});

/** The program's command line: exactly the flags the module doc names, and no prompt. */
function sessionArgv(ns: string, resultFile: string): string[] {
  return [
    Deno.execPath(),
    "run",
    "--no-prompt",
    "--allow-read",
    "--allow-net",
    `--allow-write=${resultFile}`,
    `${fixtures}terminal_session.ts`,
    cp.kubeconfigs.admin,
    ns,
    "shell",
    resultFile,
  ];
}

type Step =
  | { expect: string; timeout?: number }
  | { send: string }
  | { resize: [number, number] }
  | { kill: string }
  | { stty: string }
  | { sleep: number };

interface Report {
  output: string;
  stty: Record<string, string>;
  before: string;
  after: string;
  exit: number;
  failed: string | null;
}

async function onPty(argv: string[], steps: Step[]): Promise<Report> {
  const child = new Deno.Command("python3", {
    args: [`${fixtures}pty_driver.py`],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode(JSON.stringify({
    argv,
    rows: 24,
    cols: 80,
    timeout: 90, // the driver kills the program after this: nothing hangs
    steps,
  })));
  await w.close();
  const out = await child.output();
  const text = new TextDecoder().decode(out.stdout);
  assert.ok(out.success, `pty driver: ${new TextDecoder().decode(out.stderr)}`);
  return JSON.parse(text);
}

async function withResultFile<T>(
  fn: (file: string) => Promise<T>,
): Promise<T> {
  const file = await Deno.makeTempFile({ prefix: "terminal-result-" });
  try {
    return await fn(file);
  } finally {
    await Deno.remove(file).catch(() => {});
  }
}

// busybox sh's prompt as root; ash follows it with a cursor position query
// (ESC [6n) that the driver, unlike a terminal emulator, leaves unanswered.
const PROMPT = "/ # ";
// Deno's raw mode keeps output processing (OPOST), so the remote pty's
// "\r\n" reaches the terminal as "\r\r\n": harmless on screen, matched by `\r*`.

Deno.test({
  name:
    "through a real pty: commands and output both ways, the size follows SIGWINCH, Ctrl-C reaches the remote, `exit 3` is the exit code, the terminal is restored",
  ignore,
  fn: async () => {
    const { ns } = await suite.ready();
    await withResultFile(async (resultFile) => {
      const r = await onPty(sessionArgv(ns, resultFile), [
        { expect: PROMPT, timeout: 60 },
        { stty: "during" },
        { send: "echo hi-$((6*7))\r" },
        { expect: "^hi-42\r*$" },
        { send: "stty size\r" },
        { expect: "^24 80\r*$" },
        { resize: [30, 100] },
        { sleep: 1 }, // the kubelet applies a resize apart from the input
        { send: "stty size\r" },
        { expect: "^30 100\r*$" },
        { send: "sleep 60\r" },
        { sleep: 1 },
        // Raw mode: Ctrl-C is a byte for the remote pty, which interrupts
        // `sleep`; without it the shell would not answer for 60 s.
        { send: "\x03" },
        { send: "echo after-$((1+1))\r" },
        { expect: "^after-2\r*$", timeout: 10 },
        { send: "exit 3\r" },
      ]);
      assert.equal(r.failed, null, `${r.failed}\n--- output ---\n${r.output}`);
      assert.equal(r.exit, 3, r.output);
      assert.notEqual(r.stty.during, r.before, "raw mode during the session");
      assert.equal(r.after, r.before, "stty -g after equals before");
      const result = JSON.parse(await Deno.readTextFile(resultFile));
      assert.equal(result.ended, "Remote");
      assert.equal(result.exitCode, 3);
      assert.equal(result.protocol, protocol);
    });
  },
});

Deno.test({
  name:
    "through a real pty: SIGINT to the program ends the session and restores the terminal",
  ignore,
  fn: async () => {
    const { ns } = await suite.ready();
    await withResultFile(async (resultFile) => {
      const r = await onPty(sessionArgv(ns, resultFile), [
        { expect: PROMPT, timeout: 60 },
        { stty: "during" },
        { kill: "SIGINT" },
      ]);
      assert.equal(r.failed, null, `${r.failed}\n--- output ---\n${r.output}`);
      assert.equal(r.exit, 130);
      assert.notEqual(r.stty.during, r.before);
      assert.equal(r.after, r.before, "stty -g after equals before");
      const result = JSON.parse(await Deno.readTextFile(resultFile));
      assert.equal(result.ended, "Signal");
      assert.equal(result.signal, "SIGINT");
    });
  },
});

Deno.test({
  name: v5
    ? "piped input without `exit` (v5, 1.30+): the shell sees the end of its input and exits 0"
    : "piped input without `exit` (v4, before 1.30): the session ends after the idle time with a warning, not a hang",
  ignore: !node,
  fn: async () => {
    const { ns } = await suite.ready();
    await withResultFile(async (resultFile) => {
      const [cmd, ...args] = sessionArgv(ns, resultFile);
      const child = new Deno.Command(cmd, {
        args,
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const guard = setTimeout(() => child.kill("SIGKILL"), 60_000);
      const started = performance.now();
      const w = child.stdin.getWriter();
      await w.write(new TextEncoder().encode("echo piped-$((2+3))\n"));
      await w.close();
      const out = await child.output().finally(() => clearTimeout(guard));
      const took = performance.now() - started;
      const stdout = new TextDecoder().decode(out.stdout);
      const stderr = new TextDecoder().decode(out.stderr);
      const result = JSON.parse(await Deno.readTextFile(resultFile));
      assert.equal(stdout, "piped-5\n", "no TTY: the output as written");
      assert.equal(result.protocol, protocol);
      if (v5) {
        assert.equal(result.ended, "Remote");
        assert.equal(out.code, 0);
        assert.doesNotMatch(stderr, /the input ended/);
      } else {
        assert.equal(result.ended, "InputEndUnsent");
        assert.equal(result.exitCode, -1);
        assert.match(stderr, /^warning: the input ended, and v4\.channel/m);
        // The default idle time is 3 s; connecting takes a few more.
        assert.ok(took < 20_000, `bounded: ${Math.round(took)} ms`);
      }
    });
  },
});

Deno.test({
  name: "node terminal suite: tear down its namespace",
  ignore: !node,
  fn: () => suite.teardown(),
});
