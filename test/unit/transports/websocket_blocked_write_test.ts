// A tunnel whose peer stopped reading must still end: what a kubelet does
// when an exec'd command exits without reading its stdin (on this node, a
// v4 session with a few MiB of upload unread). The upload fills the socket
// buffers, the write in progress waits for room that never comes, and
// before the fix the close frame — ours from stop(), or the answer to the
// server's — queued behind that write: stop() never returned, the server's
// Status never reached the caller, and the write never settled.
//
// Unit tier: the server is a loopback stand-in speaking just enough RFC 6455
// by hand (handshake, unmasked server frames, the v4 channel protocol), so
// it can stop reading — which Deno's own WebSocket server never does. Both
// connection kinds the fetch transport dials are covered: node:tls with
// only the configured CA (every https kubeconfig with a CA, the apiserver
// case), and plain TCP (an http:// server).

import assert from "node:assert/strict";
import { KubeConfig } from "../../../lib/config/mod.ts";
import { TransportError } from "../../../lib/errors/mod.ts";
import { openExec } from "../../../lib/tunnels/exec.ts";
import { KubeConfigRestClient } from "../../../transports/kubeconfig.ts";
import { createCa, issueCert } from "../../../lib/testing/_pki.ts";
import { within } from "../../_helpers.ts";

const enc = new TextEncoder();
const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
/** Longer than the close grace (1 s) plus slack for two busy cores. */
const BOUND_MS = 6_000;

/** What the peer does once the upload has filled the buffers. */
type Ending =
  /** Status, close frame, then the connection closed with the upload unread (the kubelet behind an apiserver). */
  | "status-then-close"
  /** Status and close frame, then nothing: never reads, never closes. */
  | "status-then-silence"
  /** Nothing at all: never reads, never answers. */
  | "silence";

interface Peer {
  url: string;
  caFile?: string;
  [Symbol.asyncDispose](): Promise<void>;
}

function frame(opcode: number, payload: Uint8Array): Uint8Array {
  // Server frames are not masked; payloads here stay under 126 bytes.
  return new Uint8Array([0x80 | opcode, payload.length, ...payload]);
}

async function readHead(conn: Deno.Conn): Promise<string> {
  let head = "";
  const buf = new Uint8Array(4096);
  while (!head.includes("\r\n\r\n")) {
    const n = await conn.read(buf);
    if (n === null) throw new Error("the client left during the handshake");
    head += new TextDecoder().decode(buf.subarray(0, n));
  }
  return head;
}

/** A kubelet stand-in that accepts a v4 exec and then never reads again. */
async function startPeer(tls: boolean, ending: Ending): Promise<Peer> {
  let listener: Deno.Listener<Deno.Conn, Deno.NetAddr>;
  let caFile: string | undefined;
  let dir: string | undefined;
  if (tls) {
    dir = await Deno.makeTempDir();
    const ca = await createCa(dir, "ca", "stand-in-ca");
    const cert = await issueCert(dir, ca, {
      name: "peer",
      commonName: "peer",
      ipAddresses: ["127.0.0.1"],
      usage: "server",
    });
    caFile = ca.certFile;
    listener = Deno.listenTls({
      hostname: "127.0.0.1",
      port: 0,
      cert: cert.certPem,
      key: cert.keyPem,
    });
  } else listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns = new Set<Deno.Conn>();
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const serving = (async () => {
    for await (const conn of listener) {
      conns.add(conn);
      (async () => {
        const head = await readHead(conn);
        const key = /sec-websocket-key: *(\S+)/i.exec(head)![1];
        const accept = btoa(String.fromCharCode(
          ...new Uint8Array(
            await crypto.subtle.digest("SHA-1", enc.encode(key + GUID)),
          ),
        ));
        await conn.write(enc.encode(
          "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n" +
            `Connection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n` +
            "Sec-WebSocket-Protocol: v4.channel.k8s.io\r\n\r\n",
        ));
        if (ending === "silence") return;
        // Time for the upload to fill every buffer between us.
        await new Promise<void>((r) => {
          const t = setTimeout(() => {
            timers.delete(t);
            r();
          }, 1_500);
          timers.add(t);
        });
        await conn.write(frame(
          0x2,
          enc.encode('\x03{"metadata":{},"status":"Success"}'),
        ));
        await conn.write(frame(0x8, new Uint8Array([0x03, 0xe8])));
        if (ending === "status-then-close") {
          conns.delete(conn);
          conn.close();
        }
      })().catch(() => {});
    }
  })().catch(() => {});
  return {
    url: `${tls ? "https" : "http"}://127.0.0.1:${listener.addr.port}`,
    caFile,
    async [Symbol.asyncDispose]() {
      listener.close();
      for (const t of timers) clearTimeout(t);
      for (const c of conns) {
        try {
          c.close();
        } catch { /* already closed */ }
      }
      await serving;
      if (dir) await Deno.remove(dir, { recursive: true });
    },
  };
}

async function clientFor(peer: Peer): Promise<KubeConfigRestClient> {
  const config = KubeConfig.parse(
    JSON.stringify({
      apiVersion: "v1",
      kind: "Config",
      "current-context": "c",
      clusters: [{
        name: "c",
        cluster: {
          server: peer.url,
          ...(peer.caFile ? { "certificate-authority": peer.caFile } : {}),
        },
      }],
      users: [{ name: "u", user: { token: "t" } }],
      contexts: [{ name: "c", context: { cluster: "c", user: "u" } }],
    }),
    "/virtual/stand-in",
  );
  return await KubeConfigRestClient.forKubeConfig(config);
}

/** `p`, or a failure naming `what` once BOUND_MS has passed. */
function bounded<T>(p: Promise<T>, what: string): Promise<T> {
  return within(p, BOUND_MS, what);
}

/** Writes stdin until a write fails (it never finishes: far more than any buffer holds). */
function upload(stdin: WritableStream<Uint8Array>): {
  written: () => number;
  done: Promise<unknown>;
} {
  let written = 0;
  const w = stdin.getWriter();
  const chunk = new Uint8Array(64 * 1024);
  const done = (async () => {
    while (written < 1024 * 1024 * 1024) {
      await w.write(chunk);
      written += chunk.length;
    }
    return "finished";
  })().catch((err) => err);
  return { written: () => written, done };
}

for (const tls of [true, false]) {
  const kind = tls ? "node:tls (CA only)" : "plain TCP";

  Deno.test(`${kind}: a command that exits with its upload unread ends the session, Status and all, when the server then closes`, async () => {
    await using peer = await startPeer(tls, "status-then-close");
    using client = await clientFor(peer);
    const session = await openExec(client, {
      namespace: "ns",
      pod: "p",
      command: ["true"],
      stdin: true,
      protocols: ["v4.channel.k8s.io"],
    });
    const feed = upload(session.stdin!);
    const status = await bounded(session.status, "the status");
    assert.equal(status.exitCode, 0);
    assert.equal(status.status.status, "Success");
    await bounded(session.stop(), "stop()");
    const fed = await bounded(feed.done, "the blocked write");
    assert.ok(
      fed instanceof TransportError ||
        (fed instanceof DOMException && fed.name === "AbortError"),
      `expected a typed write failure, got ${fed}`,
    );
    assert.ok(feed.written() > 0, "the upload started");
  });

  Deno.test(`${kind}: the server's close frame is answered and the session ends though the upload is stuck and the server keeps the connection`, async () => {
    await using peer = await startPeer(tls, "status-then-silence");
    using client = await clientFor(peer);
    const session = await openExec(client, {
      namespace: "ns",
      pod: "p",
      command: ["true"],
      stdin: true,
      protocols: ["v4.channel.k8s.io"],
    });
    const feed = upload(session.stdin!);
    const [status, stdout] = await bounded(
      Promise.all([session.status, new Response(session.stdout).text()]),
      "the status and the end of stdout",
    );
    assert.equal(status.exitCode, 0);
    assert.equal(stdout, "");
    const fed = await bounded(feed.done, "the blocked write");
    assert.ok(fed instanceof TransportError, `got ${fed}`);
    assert.equal(fed.reason, "connection-reset");
    assert.doesNotMatch(fed.message, /command=/, "no query in the message");
    await bounded(session.stop(), "stop()");
  });

  Deno.test(`${kind}: stop() returns promptly while a write waits on a server that stopped reading`, async () => {
    await using peer = await startPeer(tls, "silence");
    using client = await clientFor(peer);
    const session = await openExec(client, {
      namespace: "ns",
      pod: "p",
      command: ["cat"],
      stdin: true,
      protocols: ["v4.channel.k8s.io"],
    });
    const feed = upload(session.stdin!);
    // Until the buffers are full and the write in progress is stuck.
    let last = -1;
    while (feed.written() !== last) {
      last = feed.written();
      await new Promise((r) => setTimeout(r, 300));
    }
    const started = performance.now();
    await bounded(session.stop(), "stop()");
    assert.ok(
      performance.now() - started < 3_000,
      "stop() took the grace, not more",
    );
    const fed = await bounded(feed.done, "the blocked write");
    assert.ok(
      fed instanceof DOMException && fed.name === "AbortError",
      `expected the tunnel's AbortError, got ${fed}`,
    );
    const status = await bounded(session.status, "the status");
    assert.equal(status.exitCode, -1);
    assert.match(status.status.message ?? "", /without a status/);
  });
}
