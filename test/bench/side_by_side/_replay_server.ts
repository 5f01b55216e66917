// The side-by-side bench's watch replay servers, in a process of their own
// so they never share a core's time with a contender: HTTP/1.1 written by
// hand on raw sockets, answering a list with an empty PodList and a watch
// with the prepared events, then `0\r\n\r\n` (connections are kept alive,
// as a list and a watch may share one). A watch from a later
// resourceVersion than the list's (a Reflector resuming after the replay
// ended) gets nothing new and stays open, as on an apiserver.
//
// Framing "event" writes each event as its own HTTP chunk in its own write,
// as the apiserver does (it flushes after every event): over TLS that is one
// record per event; over TCP the kernel merges what a slower reader has not
// taken yet, as it does for the apiserver. Framing "64k" writes 64 KiB
// chunks. The server must outpace every contender, or the bench measures
// it: a client that only counts newlines reads ~3× faster than any
// contender that parses (printed by the orchestrator's check).
//
// Namespaced Pod paths whose namespace is synthetic (_synthetic.ts:
// `replay-l<L>-e<E>`) serve L generated Pods (paged on limit/continue) and
// then E watch events, one write each, on every listener; they are built
// on first use and kept, so only the first request for one pays for it.
//
// Every listener counts the connections it accepted; the "stats" port
// answers any request with those counts (JSON) and closes, so the
// orchestrator can tell how many connections a contender opened.
//
// Usage: deno run -A _replay_server.ts <events> <cert.pem> <key.pem>
// Prints one JSON line: {"http-event": port, "http-64k": port, "https-event": …, "stats": port}.

import {
  LIST_RV,
  parseSyntheticNamespace,
  replayEvent,
  type Synthetic,
  syntheticEvent,
  syntheticPod,
} from "./_synthetic.ts";

const [events, certFile, keyFile] = Deno.args;
const enc = new TextEncoder();

const lines: Uint8Array[] = [];
for (let i = 0; i < Number(events); i++) {
  lines.push(enc.encode(
    JSON.stringify(replayEvent(i)) + "\n",
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

/** The replayed body's list: the watch replays from its resourceVersion. */
const REPLAY_RV = "999";
const LIST = enc.encode(JSON.stringify({
  kind: "PodList",
  apiVersion: "v1",
  metadata: { resourceVersion: REPLAY_RV },
  items: [],
}));
const END = enc.encode("0\r\n\r\n");
const WATCH_HEAD = enc.encode(
  "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n",
);

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let off = 0;
  while (off < bytes.length) off += await conn.write(bytes.subarray(off));
}

/** Writes many small pieces in writes of up to 256 KiB. */
async function writeBatched(
  conn: Deno.Conn,
  pieces: Iterable<Uint8Array>,
): Promise<void> {
  const buf = new Uint8Array(256 * 1024);
  let filled = 0;
  for (const p of pieces) {
    if (filled + p.length > buf.length && filled > 0) {
      await writeAll(conn, buf.subarray(0, filled));
      filled = 0;
    }
    if (p.length > buf.length) await writeAll(conn, p);
    else {
      buf.set(p, filled);
      filled += p.length;
    }
  }
  if (filled > 0) await writeAll(conn, buf.subarray(0, filled));
}

function jsonHead(length: number): Uint8Array {
  return enc.encode(
    `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${length}\r\n\r\n`,
  );
}

/** A watch with nothing (more) to send: open until the client hangs up. */
async function holdOpen(conn: Deno.Conn): Promise<void> {
  const buf = new Uint8Array(4096);
  while (await conn.read(buf) !== null) {
    // a client may not send another request on this connection
  }
}

/** A synthetic namespace's Pods and framed events, built on first use. */
interface Collection {
  spec: Synthetic;
  items: Uint8Array[];
  events: Uint8Array[];
}
const collections = new Map<string, Collection>();
const COMMA = enc.encode(",");

function collection(namespace: string, spec: Synthetic): Collection {
  let c = collections.get(namespace);
  if (!c) {
    const items: Uint8Array[] = [];
    for (let i = 0; i < spec.list; i++) {
      items.push(enc.encode(JSON.stringify(syntheticPod(namespace, i, i + 1))));
    }
    const events: Uint8Array[] = [];
    for (let j = 0; j < spec.events; j++) {
      events.push(frame(enc.encode(
        JSON.stringify(syntheticEvent(namespace, spec, j)) + "\n",
      )));
    }
    collections.set(namespace, c = { spec, items, events });
  }
  return c;
}

/** A synthetic namespace's list (a page of it on limit/continue) or watch. */
async function serveSynthetic(
  conn: Deno.Conn,
  c: Collection,
  query: URLSearchParams,
): Promise<"closed" | "open"> {
  // As Go's net/http (the apiserver) does: a page's last short write must
  // not wait for the client's delayed ACK (Nagle: 40 ms a page). Only here,
  // so the replayed body's jobs keep the framing their figures were
  // measured with.
  (conn as Partial<Deno.TcpConn>).setNoDelay?.(true);
  if (/^(true|1)$/.test(query.get("watch") ?? "")) {
    await writeAll(conn, WATCH_HEAD);
    // From a later resourceVersion (a resumed watch): nothing new.
    if (query.get("resourceVersion") === String(LIST_RV)) {
      for (const e of c.events) await writeAll(conn, e);
    }
    await holdOpen(conn);
    return "closed";
  }
  const from = Number(query.get("continue") || 0);
  const limit = Number(query.get("limit") || 0);
  const to = limit > 0
    ? Math.min(from + limit, c.items.length)
    : c.items.length;
  const more = to < c.items.length;
  const head = enc.encode(
    JSON.stringify({
      kind: "PodList",
      apiVersion: "v1",
      metadata: {
        resourceVersion: String(LIST_RV),
        ...(more
          ? { continue: String(to), remainingItemCount: c.items.length - to }
          : {}),
      },
    }).slice(0, -1) + ',"items":[',
  );
  const tail = enc.encode("]}");
  const page = c.items.slice(from, to);
  const length = head.length + tail.length +
    page.reduce((n, it) => n + it.length, 0) + Math.max(0, page.length - 1);
  await writeBatched(
    conn,
    (function* () {
      yield jsonHead(length);
      yield head;
      for (let i = 0; i < page.length; i++) {
        if (i > 0) yield COMMA;
        yield page[i];
      }
      yield tail;
    })(),
  );
  return "open";
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
    const url = new URL(target, "http://replay");
    const ns = /^\/api\/v1\/namespaces\/([^/]+)\/pods$/.exec(url.pathname)?.[1];
    const spec = ns ? parseSyntheticNamespace(ns) : undefined;
    if (ns && spec) {
      const c = collection(ns, spec);
      if (await serveSynthetic(conn, c, url.searchParams) === "closed") return;
      continue;
    }
    if (!/^(true|1)$/.test(url.searchParams.get("watch") ?? "")) {
      await writeAll(conn, jsonHead(LIST.length));
      await writeAll(conn, LIST);
      continue;
    }
    const rv = url.searchParams.get("resourceVersion");
    if (rv && rv !== "0" && rv !== REPLAY_RV) {
      await writeAll(conn, WATCH_HEAD);
      await holdOpen(conn);
      return;
    }
    await writeAll(conn, WATCH_HEAD);
    for (const c of chunks) await writeAll(conn, c);
    await writeAll(conn, END);
  }
}

const accepted: Record<string, number> = {};

async function accept(
  name: string,
  listener: Deno.Listener,
  chunks: Uint8Array[],
) {
  accepted[name] = 0;
  for await (const conn of listener) {
    accepted[name]++;
    serve(conn, chunks).catch(() => {}).finally(() => {
      try {
        conn.close();
      } catch {
        // already closed
      }
    });
  }
}

/** Answers every request with the accept counts, then closes. */
async function stats(listener: Deno.Listener) {
  for await (const conn of listener) {
    const counts = enc.encode(JSON.stringify(accepted));
    (async () => {
      const buf = new Uint8Array(4096);
      let got = "";
      while (!got.includes("\r\n\r\n")) {
        const n = await conn.read(buf);
        if (n === null) return;
        got += new TextDecoder().decode(buf.subarray(0, n));
      }
      await writeAll(
        conn,
        enc.encode(
          `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\ncontent-length: ${counts.length}\r\n\r\n`,
        ),
      );
      await writeAll(conn, counts);
    })().catch(() => {}).finally(() => {
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
    const name = `${proto}-${framing}`;
    ports[name] = (listener.addr as Deno.NetAddr).port;
    accept(name, listener, chunks);
  }
}
const statsListener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
ports.stats = (statsListener.addr as Deno.NetAddr).port;
stats(statsListener);
console.log(JSON.stringify(ports));
