// exec and attach on real pods: the harness's kubelet (1.20, containerd's CRI
// streaming server) on the other end, through every transport that carries
// tunnels. What these tests pin, by the apiserver's release: before 1.30 a
// WebSocket exec speaks only the v4 channel protocol (no v5), so the end of
// stdin cannot be signalled over WebSocket; from 1.30 the apiserver (or,
// later, the kubelet) answers v5 and stdin closes. On every release a
// command that does not exist is a 500 InternalError Status on the status
// channel, and a non-zero exit is NonZeroExitCode with the code in
// details.causes.

import assert from "node:assert/strict";
import {
  execCommand,
  KubeConfigRestClient,
  TunnelError,
} from "../../../mod.ts";
import { openAttach, openExec } from "../../../lib/tunnels/mod.ts";
import { controlPlane, serverVersion } from "../../harness.ts";
import { within } from "../../_helpers.ts";
import {
  nodeOf,
  nodeSuite,
  nodeTransports,
  podManifest,
  runPod,
} from "../../_node_pods.ts";

const cp = await controlPlane();
const node = nodeOf(cp, "node_exec_test");
// WebSocket exec gets v5.channel.k8s.io from 1.30 (the apiserver translates
// WebSockets to the kubelet's SPDY: TranslateStreamCloseWebsocketRequests,
// beta and on by default in 1.30); before, v4 only.
const v5 = (await serverVersion()).minor >= 30;
const dec = new TextDecoder();
const enc = new TextEncoder();

const suite = nodeSuite(cp, "node-exec", async (admin, ns) => {
  await Promise.all([
    runPod(admin, ns, podManifest(node!, "shell", [{ script: "sleep 3600" }])),
    runPod(
      admin,
      ns,
      podManifest(node!, "repl", [{
        script: 'while read line; do echo "got $line"; done',
        stdin: true,
      }]),
    ),
  ]);
});
let ns = "";
async function setUp(): Promise<void> {
  ns = (await suite.ready()).ns;
}

const target = () => ({ namespace: ns, pod: "shell" });

for (const t of nodeTransports(cp).filter((t) => t.exec)) {
  Deno.test({
    name: `${t.name}: exec returns stdout, stderr and a non-zero exit code`,
    ignore: !node,
    fn: async () => {
      await setUp();
      const client = await t.open();
      try {
        const r = await execCommand(client, {
          ...target(),
          command: ["sh", "-c", "echo out; echo err >&2; exit 3"],
        });
        assert.equal(dec.decode(r.stdout), "out\n");
        assert.equal(dec.decode(r.stderr), "err\n");
        assert.equal(r.exitCode, 3);
        assert.equal(r.status.reason, "NonZeroExitCode");

        const ok = await execCommand(client, {
          ...target(),
          container: "main",
          command: ["sh", "-c", "head -c 300000 /dev/zero | tr '\\0' x"],
        });
        assert.equal(ok.exitCode, 0);
        assert.equal(ok.stdout.length, 300_000, "large output arrives whole");
        assert.ok(ok.stdout.every((b) => b === 0x78));
      } finally {
        client.close?.();
      }
    },
  });

  Deno.test({
    name:
      `${t.name}: a command that does not exist is a failure status, not an exit code`,
    ignore: !node,
    fn: async () => {
      await setUp();
      const client = await t.open();
      try {
        const r = await execCommand(client, {
          ...target(),
          command: ["no-such-command"],
        });
        assert.equal(r.exitCode, -1);
        assert.equal(r.status.status, "Failure");
        assert.match(
          String(r.status.message),
          /executable file not found/,
        );
      } finally {
        client.close?.();
      }
    },
  });

  Deno.test({
    name: t.websocket && !v5
      ? `${t.name}: exec with stdin fails at once before 1.30 (v4 only) and does not run the command`
      : `${t.name}: exec with stdin sends the data and its end`,
    ignore: !node,
    fn: async () => {
      await setUp();
      const client = await t.open();
      try {
        const marker = `/tmp/ran-${crypto.randomUUID().slice(0, 6)}`;
        const started = performance.now();
        const result = await execCommand(client, {
          ...target(),
          command: ["sh", "-c", `cat; touch ${marker}`],
          stdin: "hello stdin\n",
        }).then((r) => r, (e) => e);
        if (t.websocket && !v5) {
          assert.ok(result instanceof TunnelError, String(result));
          assert.equal(result.reason, "StdinCloseUnsupported");
          assert.match(result.message, /Kubernetes ≥ 1\.30/);
          assert.ok(performance.now() - started < 10_000, "fails fast");
          const check = await execCommand(client, {
            ...target(),
            command: ["ls", marker],
          });
          assert.notEqual(check.exitCode, 0, "the command never started");
        } else {
          assert.equal(dec.decode(result.stdout), "hello stdin\n");
          assert.equal(result.exitCode, 0);
        }
      } finally {
        client.close?.();
      }
    },
  });
}

Deno.test({
  name: v5
    ? "interactive exec on v5 (1.30+): stdin flows, closing it ends the input, stop() ends the session"
    : "interactive exec on v4 (before 1.30): stdin flows, closing it is refused with a typed error, stop() ends the session",
  ignore: !node,
  fn: async () => {
    await setUp();
    using client = await KubeConfigRestClient.readKubeConfig(
      cp.kubeconfigs.admin,
    );
    const session = await openExec(client, {
      ...target(),
      command: [
        "sh",
        "-c",
        'read a; echo "first $a"; read b; echo "second $b"',
      ],
      stdin: true,
    });
    assert.equal(
      session.protocol,
      v5 ? "v5.channel.k8s.io" : "v4.channel.k8s.io",
    );
    const out = new Response(session.stdout).text();
    const w = session.stdin!.getWriter();
    await w.write(enc.encode("one\n"));
    await w.write(enc.encode("two\n"));
    const status = await session.status;
    assert.equal(status.exitCode, 0);
    assert.equal(await out, "first one\nsecond two\n");
    const closing = await w.close().then(() => undefined, (e) => e);
    if (!v5) {
      assert.ok(closing instanceof TunnelError);
      assert.equal(closing.reason, "StdinCloseUnsupported");
    }
    await session.stop();
    if (v5) {
      // Closing stdin is the end of input the command waits for.
      const cat = await openExec(client, {
        ...target(),
        command: ["sh", "-c", "cat; echo end"],
        stdin: true,
      });
      const text = new Response(cat.stdout).text();
      const cw = cat.stdin!.getWriter();
      await cw.write(enc.encode("x\n"));
      await cw.close();
      assert.equal((await cat.status).exitCode, 0);
      assert.equal(await text, "x\nend\n");
      await cat.stop();
    }
  },
});

// A command that exits without reading its stdin, sent 3 MiB (which the
// socket buffers take whole) or 32 MiB (which leaves a write stuck). On v4
// (1.20 here) the kubelet sends no Status while the upload is unread —
// containerd's CRI streaming waits for the stdin copy, and `kubectl exec -i`
// hangs the same way — so the caller's signal is what ends the session; it
// must end it at once: the stuck write fails typed, stop() returns, the
// status says there was none, nothing stays open.
for (const mib of [3, 32]) {
  Deno.test({
    name:
      `exec whose command exits without reading ${mib} MiB of stdin ends within a bound when aborted, the upload failing typed`,
    ignore: !node,
    fn: async () => {
      await setUp();
      using client = await KubeConfigRestClient.readKubeConfig(
        cp.kubeconfigs.admin,
      );
      const abort = new AbortController();
      const session = await openExec(client, {
        ...target(),
        command: ["sh", "-c", "sleep 1"],
        stdin: true,
        signal: abort.signal,
      });
      const w = session.stdin!.getWriter();
      const chunk = new Uint8Array(64 * 1024);
      let written = 0;
      const upload = (async () => {
        while (written < mib * 1024 * 1024) {
          await w.write(chunk);
          written += chunk.length;
        }
        return "sent";
      })().catch((err) => err);
      const stdout = new Response(session.stdout).text().catch(() => "");
      // Past the command's end (sleep 1), with time for a Status to come.
      const early = await within(session.status, 4_000, "a Status")
        .catch(() => undefined);
      const started = performance.now();
      abort.abort();
      const [status, sent] = await within(
        Promise.all([session.status, upload, stdout, session.stop()]),
        3_000,
        "the aborted session",
      );
      assert.ok(performance.now() - started < 3_000);
      if (early) {
        // v5 (or a kubelet that gives up on unread stdin): the command's own end.
        assert.equal(status.exitCode, 0);
      } else {
        assert.equal(status.exitCode, -1);
        assert.match(status.status.message ?? "", /without a status/);
      }
      if (sent !== "sent") {
        assert.ok(
          sent instanceof DOMException && sent.name === "AbortError",
          `expected the tunnel's AbortError for the stuck write, got ${sent}`,
        );
      }
      if (mib === 32) {
        assert.ok(written < 32 * 1024 * 1024, "a write was stuck");
      }
    },
  });
}

Deno.test({
  name:
    "exec with a TTY: the terminal takes the sizes sent on the resize channel",
  ignore: !node,
  fn: async () => {
    await setUp();
    using client = await KubeConfigRestClient.readKubeConfig(
      cp.kubeconfigs.admin,
    );
    const session = await openExec(client, {
      ...target(),
      command: ["sh", "-c", "sleep 1; stty size; read x; stty size"],
      stdin: true,
      tty: true,
    });
    const chunks: string[] = [];
    const reading = (async () => {
      for await (const c of session.stdout) chunks.push(dec.decode(c));
    })();
    await session.resize(100, 30);
    const text = () => chunks.join("").replaceAll("\r", "");
    const deadline = performance.now() + 15_000;
    while (!text().includes("30 100") && performance.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.match(text(), /^30 100$/m);
    await session.resize(120, 50);
    await new Promise((r) => setTimeout(r, 200));
    const w = session.stdin!.getWriter();
    await w.write(enc.encode("\n"));
    const status = await session.status;
    await reading;
    assert.equal(status.exitCode, 0);
    assert.match(text(), /^50 120$/m);
    await session.stop();
  },
});

Deno.test({
  name:
    "attach to a container started with stdin: its output from now on, our input to its stdin",
  ignore: !node,
  fn: async () => {
    await setUp();
    using client = await KubeConfigRestClient.readKubeConfig(
      cp.kubeconfigs.admin,
    );
    const session = await openAttach(client, {
      namespace: ns,
      pod: "repl",
      stdin: true,
    });
    const reader = session.stdout.getReader();
    const w = session.stdin!.getWriter();
    await w.write(enc.encode("ping\n"));
    let seen = "";
    // A deadline: the session is stopped, which ends the stream, after 15 s.
    const guard = setTimeout(() => void session.stop(), 15_000);
    try {
      while (!seen.includes("got ping\n")) {
        const { value, done } = await reader.read();
        if (done) break;
        seen += dec.decode(value);
      }
    } finally {
      clearTimeout(guard);
    }
    assert.equal(seen, "got ping\n");
    await session.stop();
    // The container lives on after we detach.
    const again = await openAttach(client, {
      namespace: ns,
      pod: "repl",
      stdin: true,
    });
    const r2 = again.stdout.getReader();
    await again.stdin!.getWriter().write(enc.encode("pong\n"));
    const guard2 = setTimeout(() => void again.stop(), 15_000);
    const { value } = await r2.read().finally(() => clearTimeout(guard2));
    assert.equal(dec.decode(value), "got pong\n");
    await again.stop();
  },
});

Deno.test({
  name: "node exec suite: tear down its namespace",
  ignore: !node,
  fn: () => suite.teardown(),
});
