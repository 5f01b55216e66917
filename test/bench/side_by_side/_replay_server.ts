// The side-by-side bench's watch replay servers, in a process of their own
// so they never share a core's time with a contender: HTTP/1.1 written by
// hand on raw sockets, answering a list with an empty PodList and a watch
// with the prepared events, then `0\r\n\r\n` (connections are kept alive,
// as a list and a watch may share one).
//
// Framing "event" writes each event as its own HTTP chunk in its own write,
// as the apiserver does (it flushes after every event): over TLS that is one
// record per event; over TCP the kernel merges what a slower reader has not
// taken yet, as it does for the apiserver. Framing "64k" writes 64 KiB
// chunks. The server must outpace every contender, or the bench measures
// it: a client that only counts newlines reads ~3× faster than any
// contender that parses (printed by the orchestrator's check).
//
// Usage: deno run -A _replay_server.ts <events> <cert.pem> <key.pem>
// Prints one JSON line: {"http-event": port, "http-64k": port, "https-event": …}.

import { fakePod } from "../../_pods.ts";

const [events, certFile, keyFile] = Deno.args;
const enc = new TextEncoder();

const lines: Uint8Array[] = [];
for (let i = 0; i < Number(events); i++) {
  lines.push(enc.encode(
    JSON.stringify({
      type: i % 5 ? "MODIFIED" : "ADDED",
      object: fakePod(i % 3000, 1000 + i),
    }) + "\n",
  ));
}
const perEvent = lines.map(frame);
const body = new Uint8Array(lines.reduce((n, l) => n + l.length, 0));
lines.reduce((at, l) => (body.set(l, at), at + l.length), 0);
const big: Uint8Array[] = [];
for (let i = 0; i < body.length; i += 65536) {
  big.push(frame(body.subarray(i, i + 65536)));
}

function frame(data: Uint8Array): Uint8Array {
  const head = enc.encode(data.length.toString(16) + "\r\n");
  const out = new Uint8Array(head.length + data.length + 2);
  out.set(head);
  out.set(data, head.length);
  out.set([13, 10], head.length + data.length);
  return out;
}

const LIST = enc.encode(JSON.stringify({
  kind: "PodList",
  apiVersion: "v1",
  metadata: { resourceVersion: "999" },
  items: [],
}));
const END = enc.encode("0\r\n\r\n");

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let off = 0;
  while (off < bytes.length) off += await conn.write(bytes.subarray(off));
}

/** Serves requests on one connection until the client hangs up. */
async function serve(conn: Deno.Conn, chunks: Uint8Array[]): Promise<void> {
  const buf = new Uint8Array(65536);
  let pending = "";
  for (;;) {
    let end: number;
    while ((end = pending.indexOf("\r\n\r\n")) === -1) {
      const n = await conn.read(buf);
      if (n === null) return;
      pending += new TextDecoder().decode(buf.subarray(0, n));
    }
    const head = pending.slice(0, end);
    pending = pending.slice(end + 4);
    const target = head.slice(0, head.indexOf("\r\n")).split(" ")[1] ?? "";
    if (!/[?&]watch=(true|1)/.test(target)) {
      await writeAll(
        conn,
        enc.encode(
          `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${LIST.length}\r\n\r\n`,
        ),
      );
      await writeAll(conn, LIST);
      continue;
    }
    await writeAll(
      conn,
      enc.encode(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n",
      ),
    );
    for (const c of chunks) await writeAll(conn, c);
    await writeAll(conn, END);
  }
}

async function accept(listener: Deno.Listener, chunks: Uint8Array[]) {
  for await (const conn of listener) {
    serve(conn, chunks).catch(() => {}).finally(() => {
      try {
        conn.close();
      } catch {
        // already closed
      }
    });
  }
}

const ports: Record<string, number> = {};
const cert = await Deno.readTextFile(certFile);
const key = await Deno.readTextFile(keyFile);
for (const proto of ["http", "https"]) {
  for (
    const [framing, chunks] of [["event", perEvent], ["64k", big]] as const
  ) {
    const listener = proto === "https"
      ? Deno.listenTls({ hostname: "127.0.0.1", port: 0, cert, key })
      : Deno.listen({ hostname: "127.0.0.1", port: 0 });
    ports[`${proto}-${framing}`] = (listener.addr as Deno.NetAddr).port;
    accept(listener, chunks);
  }
}
console.log(JSON.stringify(ports));
