// Tunnels on the fetch transport. No kubelet runs here, so data paths are
// tested against a stand-in that speaks the real protocols: Deno's own
// WebSocket server (real framing, pings, close) over TLS, with the k8s
// channel protocols on top. Handshakes and their failures are tested against
// the real apiserver, with certificate and token auth.

import assert from "node:assert/strict";
import {
  execCommand,
  KubeConfig,
  KubeConfigRestClient,
  KubernetesApiError,
  portForward,
  TunnelError,
} from "../../../mod.ts";
import { exitCodeOf, openExec } from "../../../lib/tunnels/mod.ts";
import { controlPlane } from "../../harness.ts";
import { kubeconfigFor } from "../../_helpers.ts";

const cp = await controlPlane();
const enc = new TextEncoder();
const dec = new TextDecoder();

/**
 * What a kubelet's streaming server (containerd's CRI server in Kubernetes
 * 1.20, and kubelets up to today) accepts, checked against
 * pkg/kubelet/cri/streaming/{remotecommand,portforward}/websocket.go and
 * apiserver/pkg/util/wsstream/conn.go: exec and attach speak the channel
 * protocols, port-forward only the v4 channel protocols (or none), and a
 * request whose offer has none of them is refused by the WebSocket
 * handshake with a bodiless 403.
 */
const KUBELET_EXEC = [
  "v4.channel.k8s.io",
  "v4.base64.channel.k8s.io",
  "channel.k8s.io",
  "base64.channel.k8s.io",
];
const KUBELET_FORWARD = ["v4.channel.k8s.io", "v4.base64.channel.k8s.io"];

interface PeerOptions {
  /** Exec subprotocols. @default v5 (a Kubernetes ≥ 1.30 server) and the kubelet's */
  execProtocols?: string[];
  /** Port-forward subprotocols. @default the kubelet's */
  forwardProtocols?: string[];
  /** Seconds of silence before Deno's server pings; our client must answer. */
  idleTimeout?: number;
}

/** A kubelet stand-in: exec and port-forward over WebSocket, on TLS; GET of pod `web` says Running. */
function startPeer(opts: PeerOptions = {}) {
  const seen: { url: string; headers: Headers }[] = [];
  const execProtocols = opts.execProtocols ??
    ["v5.channel.k8s.io", ...KUBELET_EXEC];
  const forwardProtocols = opts.forwardProtocols ?? KUBELET_FORWARD;
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    cert: Deno.readTextFileSync(`${cp.dir}/pki/apiserver.crt`),
    key: Deno.readTextFileSync(`${cp.dir}/pki/apiserver.key`),
    onListen: () => {},
  }, (req) => {
    const url = new URL(req.url);
    if (req.headers.get("upgrade")?.toLowerCase() !== "websocket") {
      return url.pathname === "/api/v1/namespaces/ns/pods/web"
        ? Response.json({ kind: "Pod", status: { phase: "Running" } })
        : Response.json({
          kind: "Status",
          status: "Failure",
          reason: "NotFound",
          code: 404,
          message: "not found",
        }, { status: 404 });
    }
    seen.push({ url: req.url, headers: new Headers(req.headers) });
    const offered = (req.headers.get("sec-websocket-protocol") ?? "").split(",")
      .map((s) => s.trim());
    const forward = url.pathname.endsWith("/portforward");
    const supported = forward ? forwardProtocols : execProtocols;
    const protocol = offered.find((p) => supported.includes(p));
    // golang.org/x/net/websocket answers a failed handshake with a bare 403.
    if (!protocol) return new Response(null, { status: 403 });
    const { socket, response } = Deno.upgradeWebSocket(req, {
      protocol,
      idleTimeout: opts.idleTimeout,
    });
    socket.binaryType = "arraybuffer";
    if (forward) serveForward(socket, url);
    else serveExec(socket, url, protocol);
    return response;
  });
  return { port: server.addr.port, seen, close: () => server.shutdown() };
}

function frame(channel: number, data: string | Uint8Array): Uint8Array {
  const bytes = typeof data === "string" ? enc.encode(data) : data;
  const out = new Uint8Array(bytes.length + 1);
  out[0] = channel;
  out.set(bytes, 1);
  return out;
}

function serveExec(socket: WebSocket, url: URL, protocol: string) {
  const command = url.searchParams.getAll("command");
  const wantsStdin = url.searchParams.get("stdin") === "true";
  const tty = url.searchParams.get("tty") === "true";
  const finish = () => {
    const code = Number(
      command.find((c) => c.startsWith("exit-"))?.slice(5) ?? 0,
    );
    const status = code === 0 ? { metadata: {}, status: "Success" } : {
      metadata: {},
      status: "Failure",
      message:
        `command terminated with non-zero exit code: exit status ${code}`,
      reason: "NonZeroExitCode",
      details: { causes: [{ reason: "ExitCode", message: String(code) }] },
    };
    // `bad-status X`: the status channel carries X, which is no Status.
    socket.send(
      frame(
        3,
        command[0] === "bad-status" ? command[1] : JSON.stringify(status),
      ),
    );
    socket.close(1000);
  };
  socket.onopen = () => {
    socket.send(frame(1, `ran: ${command.join(" ")} (${protocol})\n`));
    if (!tty) socket.send(frame(2, "a warning\n"));
    if (command[0] === "big") {
      socket.send(frame(1, new Uint8Array(1024 * 1024).fill(97)));
    }
    if (command[0] === "slow") setTimeout(finish, 2500);
    else if (!wantsStdin && !tty) finish();
  };
  socket.onmessage = (e) => {
    const data = new Uint8Array(e.data as ArrayBuffer);
    if (data[0] === 0) {
      socket.send(frame(1, dec.decode(data.subarray(1)).toUpperCase()));
    } else if (data[0] === 4) {
      const { Width, Height } = JSON.parse(dec.decode(data.subarray(1)));
      socket.send(frame(1, `resized ${Width}x${Height}\n`));
      if (tty) finish();
    } else if (data[0] === 255 && data[1] === 0) finish(); // v5: stdin closed
  };
}

function serveForward(socket: WebSocket, url: URL) {
  const port = Number(url.searchParams.get("ports"));
  const prefix = new Uint8Array([port & 0xff, port >> 8]);
  socket.onopen = () => {
    socket.send(frame(0, prefix));
    socket.send(frame(1, prefix));
    if (port === 9999) {
      socket.send(
        frame(
          1,
          `error forwarding port ${port} to pod 0123abcd, uid : failed to execute portforward in network namespace "/var/run/netns/cni-0000": failed to connect to localhost:${port} inside namespace "0123abcd", IPv4: dial tcp4 127.0.0.1:${port}: connect: connection refused IPv6 dial tcp6: address localhost: no suitable address found `,
        ),
      );
      socket.close(1000);
    }
  };
  socket.onmessage = (e) => {
    const data = new Uint8Array(e.data as ArrayBuffer);
    if (data[0] === 0) {
      socket.send(frame(0, dec.decode(data.subarray(1)).toUpperCase()));
    }
  };
}

async function peerClient(
  peer: { port: number },
  user: Record<string, unknown> = { token: "peer-token" },
) {
  const config = KubeConfig.parse(
    JSON.stringify(
      kubeconfigFor(`https://127.0.0.1:${peer.port}`, {
        "certificate-authority": cp.caFile,
      }, user),
    ),
    "/virtual/peer-config",
  );
  return await KubeConfigRestClient.forKubeConfig(config);
}

const target = { namespace: "ns", pod: "web" };

Deno.test("exec: stdout, stderr, stdin with EOF (v5) and the exit code from the status channel", async () => {
  const peer = startPeer();
  try {
    using client = await peerClient(peer, {
      token: "peer-token",
      as: "jane",
      "as-groups": ["ops"],
    });
    const ok = await execCommand(client, {
      ...target,
      command: ["cat"],
      stdin: "hello\n",
    });
    assert.equal(
      dec.decode(ok.stdout),
      "ran: cat (v5.channel.k8s.io)\nHELLO\n",
    );
    assert.equal(dec.decode(ok.stderr), "a warning\n");
    assert.equal(ok.exitCode, 0);
    assert.equal(ok.status.status, "Success");

    const failed = await execCommand(client, {
      ...target,
      container: "main",
      command: ["exit-3"],
    });
    assert.equal(failed.exitCode, 3);
    assert.equal(failed.status.reason, "NonZeroExitCode");

    const req = new URL(peer.seen[1].url);
    assert.deepEqual(req.searchParams.getAll("command"), ["exit-3"]);
    assert.equal(req.searchParams.get("container"), "main");
    assert.equal(
      peer.seen[0].headers.get("authorization"),
      "Bearer peer-token",
    );
    assert.equal(peer.seen[0].headers.get("impersonate-user"), "jane");
    assert.equal(peer.seen[0].headers.get("impersonate-group"), "ops");
  } finally {
    await peer.close();
  }
});

Deno.test("exec: a status channel that holds no Status ends the session as a Failure, never a rejection, and quotes nothing", async () => {
  const secret = "dtQ7SecretValueNeverQuoted";
  const peer = startPeer();
  try {
    using client = await peerClient(peer);
    const notStatus = [
      `{"status":"Failure","message":"x","token":${secret}}`,
      "5",
      "null",
      `["${secret}"]`,
    ];
    for (const text of notStatus) {
      const result = await execCommand(client, {
        ...target,
        command: ["bad-status", text],
      });
      assert.equal(result.exitCode, -1, text);
      assert.equal(result.status.status, "Failure", text);
      assert.match(result.status.message ?? "", /held no Status object/);
      assert.ok(!JSON.stringify(result.status).includes(secret), text);
    }
    // A Status whose causes are not a list: no exit code, no exception.
    const odd = await execCommand(client, {
      ...target,
      command: [
        "bad-status",
        '{"status":"Failure","details":{"causes":"ExitCode"}}',
      ],
    });
    assert.equal(odd.exitCode, -1);
  } finally {
    await peer.close();
  }
});

Deno.test("exec: falls back to v4 when the server does not speak v5", async () => {
  const peer = startPeer({ execProtocols: KUBELET_EXEC });
  try {
    using client = await peerClient(peer);
    const result = await execCommand(client, {
      ...target,
      command: ["ls", "/"],
    });
    assert.equal(dec.decode(result.stdout), "ran: ls / (v4.channel.k8s.io)\n");
    assert.equal(result.exitCode, 0);
  } finally {
    await peer.close();
  }
});

Deno.test("exec: a TTY session resizes on channel 4", async () => {
  const peer = startPeer();
  try {
    using client = await peerClient(peer);
    const session = await openExec(client, {
      ...target,
      command: ["sh"],
      tty: true,
    });
    const out = new Response(session.stdout).text();
    await session.resize(80, 24);
    assert.equal((await session.status).exitCode, 0);
    assert.equal(await out, "ran: sh (v5.channel.k8s.io)\nresized 80x24\n");
    assert.equal(new URL(peer.seen[0].url).searchParams.get("tty"), "true");
    await session.stop();
  } finally {
    await peer.close();
  }
});

Deno.test("exec: a megabyte of output, and a quiet session kept alive by answering the server's pings", async () => {
  const peer = startPeer({ idleTimeout: 1 });
  try {
    using client = await peerClient(peer);
    const big = await execCommand(client, { ...target, command: ["big"] });
    assert.equal(
      big.stdout.length,
      "ran: big (v5.channel.k8s.io)\n".length + 1024 * 1024,
    );
    const slow = await execCommand(client, {
      ...target,
      command: ["slow", "exit-7"],
    });
    assert.equal(slow.exitCode, 7, "the session outlived two ping intervals");
  } finally {
    await peer.close();
  }
});

Deno.test("exec: stop() and abortSignal end a session and leave nothing open", async () => {
  const peer = startPeer();
  try {
    using client = await peerClient(peer);
    const session = await openExec(client, {
      ...target,
      command: ["cat"],
      stdin: true,
    });
    const out = new Response(session.stdout).text().catch((e) => e);
    await session.stop();
    await session.stop();
    await out;

    const ctl = new AbortController();
    const aborted = await openExec(client, {
      ...target,
      command: ["cat"],
      stdin: true,
      abortSignal: ctl.signal,
    });
    const reading = new Response(aborted.stdout).text().then(
      () => "ended",
      (e) => e.name,
    );
    ctl.abort();
    assert.ok(["ended", "AbortError"].includes(await reading));
    await aborted.stop();

    const before = new AbortController();
    before.abort();
    await assert.rejects(
      () =>
        openExec(client, {
          ...target,
          command: ["ls"],
          abortSignal: before.signal,
        }),
      (e: Error) => e.name === "AbortError",
    );
  } finally {
    await peer.close();
  }
});

Deno.test("port-forward: a loopback listener forwards each connection through its own tunnel", async () => {
  const peer = startPeer();
  try {
    using client = await peerClient(peer);
    const errors: Error[] = [];
    await using fwd = await portForward(client, {
      ...target,
      remotePort: 8080,
      onError: (e) => errors.push(e),
    });
    assert.ok(fwd.localPort > 0);
    const talk = async (text: string) => {
      const conn = await Deno.connect({
        hostname: "127.0.0.1",
        port: fwd.localPort,
      });
      await conn.write(enc.encode(text));
      const buf = new Uint8Array(100);
      const n = await conn.read(buf);
      conn.close();
      return dec.decode(buf.subarray(0, n ?? 0));
    };
    assert.deepEqual(await Promise.all([talk("one"), talk("two")]), [
      "ONE",
      "TWO",
    ]);
    // One tunnel to verify the target before listening, then one per connection.
    assert.deepEqual(
      peer.seen.map((s) => new URL(s.url).searchParams.get("ports")),
      ["8080", "8080", "8080"],
    );
    assert.deepEqual(
      [
        ...new Set(
          peer.seen.map((s) => s.headers.get("sec-websocket-protocol")),
        ),
      ],
      ["v4.channel.k8s.io"],
    );
    assert.deepEqual(errors, []);
  } finally {
    await peer.close();
  }
});

Deno.test("port-forward: the error channel reports a refused remote port", async () => {
  const peer = startPeer();
  try {
    using client = await peerClient(peer);
    const errors: Error[] = [];
    const fwd = await portForward(client, {
      ...target,
      remotePort: 9999,
      onError: (e) => errors.push(e),
    });
    const conn = await Deno.connect({
      hostname: "127.0.0.1",
      port: fwd.localPort,
    });
    const n = await conn.read(new Uint8Array(10)).catch(() => null);
    assert.equal(n, null, "the local connection is closed");
    conn.close();
    for (let i = 0; i < 100 && errors.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    await fwd.close();
    assert.equal(errors.length, 1);
    assert.ok(errors[0] instanceof TunnelError);
    assert.equal(errors[0].reason, "PortForwardFailed");
    assert.match(
      errors[0].message,
      /^ns\/web:9999: the pod side failed: error forwarding port 9999 to pod .*connection refused/,
    );
  } finally {
    await peer.close();
  }
});

Deno.test("exec with stdin on a v4-only server fails at once with StdinCloseUnsupported, before the command starts", async () => {
  const peer = startPeer({ execProtocols: KUBELET_EXEC });
  try {
    using client = await peerClient(peer);
    const err = await execCommand(client, {
      ...target,
      command: ["cat"],
      stdin: "input that could never be closed",
    }).then(() => undefined, (e) => e);
    assert.ok(err instanceof TunnelError, String(err));
    assert.equal(err.reason, "StdinCloseUnsupported");
    assert.match(err.message, /^ns\/web: exec with input to close needs v5/);
    // Only v5 was offered, so the v4-only server never ran the command.
    assert.deepEqual(
      peer.seen.map((r) => r.headers.get("sec-websocket-protocol")),
      ["v5.channel.k8s.io"],
    );

    // An interactive session still works on v4; only closing stdin is refused.
    const session = await openExec(client, {
      ...target,
      command: ["cat"],
      stdin: true,
    });
    assert.equal(session.protocol, "v4.channel.k8s.io");
    const w = session.stdin!.getWriter();
    await w.write(enc.encode("still talking\n"));
    const closing = await w.close().then(() => undefined, (e) => e);
    assert.ok(closing instanceof TunnelError);
    assert.equal(closing.reason, "StdinCloseUnsupported");
    await session.stop();
  } finally {
    await peer.close();
  }
});

Deno.test("a server that speaks none of the offered subprotocols refuses with a bodiless 403, as kubelets do", async () => {
  const peer = startPeer({ execProtocols: KUBELET_EXEC });
  try {
    using client = await peerClient(peer);
    const err = await client.performRequest({
      method: "POST",
      path: "/api/v1/namespaces/ns/pods/web/portforward",
      querystring: new URLSearchParams({ ports: "80" }),
      expectTunnel: ["portforward.k8s.io"],
    }).then(() => undefined, (e) => e);
    assert.ok(err instanceof KubernetesApiError, String(err));
    assert.equal(err.httpCode, 403);
    assert.equal(
      err.status.message,
      undefined,
      "no Status body, unlike an RBAC denial",
    );
  } finally {
    await peer.close();
  }
});

Deno.test("exitCodeOf reads Success, NonZeroExitCode and failures that never ran", () => {
  assert.equal(exitCodeOf({ status: "Success" }), 0);
  assert.equal(
    exitCodeOf({
      status: "Failure",
      reason: "NonZeroExitCode",
      details: { causes: [{ reason: "ExitCode", message: "42" }] },
    }),
    42,
  );
  assert.equal(
    exitCodeOf({
      status: "Failure",
      reason: "InternalError",
      message: "no such container",
    }),
    -1,
  );
});

Deno.test({
  name:
    "real apiserver handshakes: 400 for a pod with no node, 404 for a missing pod, 403 for the limited user",
  ignore: cp.external || !cp.kubeconfigs.limited || !cp.kubeconfigs.adminToken,
  fn: async () => {
    using admin = await KubeConfigRestClient.readKubeConfig(
      cp.kubeconfigs.admin,
    );
    const pod = `tunnel-${crypto.randomUUID().slice(0, 6)}`;
    await admin.performRequest({
      method: "POST",
      path: `/api/v1/namespaces/${cp.limitedNamespace}/pods`,
      bodyJson: {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: pod },
        spec: {
          automountServiceAccountToken: false,
          // No scheduler by that name: the pod stays without a node even when the harness runs one.
          schedulerName: "kube-test-nobody",
          containers: [{ name: "c", image: "busybox" }],
        },
      },
    });
    try {
      const fail = async (
        kc: string,
        name: string,
        kind: "exec" | "portforward",
        namespace = cp.limitedNamespace,
      ) => {
        using client = await KubeConfigRestClient.readKubeConfig(kc);
        const err = await (kind === "exec"
          ? execCommand(client, { namespace, pod: name, command: ["ls"] })
          : client.performRequest({
            method: "POST",
            path: `/api/v1/namespaces/${namespace}/pods/${name}/portforward`,
            querystring: new URLSearchParams({ ports: "80" }),
            expectTunnel: ["portforward.k8s.io"],
          })).then(() =>
            undefined, (e) => e);
        assert.ok(err instanceof KubernetesApiError, String(err));
        return err;
      };
      for (const kc of [cp.kubeconfigs.admin, cp.kubeconfigs.adminToken!]) {
        const noNode = await fail(kc, pod, "exec");
        assert.equal(noNode.httpCode, 400);
        assert.match(noNode.message, /does not have a host assigned/);
        assert.ok((await fail(kc, "no-such-pod", "exec")).isNotFound());
        assert.equal((await fail(kc, pod, "portforward")).httpCode, 400);
      }
      for (
        const kc of [cp.kubeconfigs.limited!, cp.kubeconfigs.limitedToken!]
      ) {
        // Outside its namespace: authorization fails before the pod is even looked up.
        const denied = await fail(kc, pod, "exec", "default");
        assert.ok(denied.isForbidden(), denied.message);
        assert.match(
          denied.message,
          /cannot (get|create) resource "pods\/exec"/,
        );
      }
    } finally {
      await admin.performRequest({
        method: "DELETE",
        path: `/api/v1/namespaces/${cp.limitedNamespace}/pods/${pod}`,
      });
    }
  },
});
