// Decode throughput of a watch stream: tens of thousands of realistic Pod
// events served over loopback in chunks of odd sizes, read through
// KubeConfigRestClient.performRequest({ expectStream, expectJson }) and
// through a hand-written byte-level loop (newline search, decode,
// JSON.parse) over the same bytes, same run. Target: ≥ 0.92 of the loop.
// Needs no cluster: a loopback server plays the apiserver.

import { KubeConfig, KubeConfigRestClient } from "../../mod.ts";
import { fakePod } from "../_pods.ts";

const EVENTS = 20_000;
const lines: string[] = [];
for (let i = 0; i < EVENTS; i++) {
  lines.push(
    JSON.stringify({
      type: i % 5 ? "MODIFIED" : "ADDED",
      object: fakePod(i % 3000, 1000 + i),
    }),
  );
}
const body = new TextEncoder().encode(lines.join("\n") + "\n");
const CHUNKS = [1000, 7919, 16_411, 65_537, 3, 32_749];

const server = Deno.serve({
  hostname: "127.0.0.1",
  port: 0,
  onListen: () => {},
}, () => {
  let at = 0;
  let n = 0;
  return new Response(
    new ReadableStream<Uint8Array>({
      pull(c) {
        if (at >= body.length) return c.close();
        const size = CHUNKS[n++ % CHUNKS.length];
        c.enqueue(body.subarray(at, at + size));
        at += size;
      },
    }),
    { headers: { "content-type": "application/json" } },
  );
});
const base = `http://127.0.0.1:${server.addr.port}`;
const client = await KubeConfigRestClient.forKubeConfig(
  KubeConfig.getSimpleUrlConfig({ baseUrl: base }),
);
const bare = Deno.createHttpClient({});

async function handWritten(): Promise<number> {
  const resp = await fetch(`${base}/api/v1/pods?watch=1`, { client: bare });
  const reader = resp.body!.getReader();
  const decoder = new TextDecoder();
  let pending: Uint8Array | undefined;
  let count = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    let chunk = value;
    if (pending) {
      const joined = new Uint8Array(pending.length + chunk.length);
      joined.set(pending);
      joined.set(chunk, pending.length);
      chunk = joined;
      pending = undefined;
    }
    let start = 0;
    let nl;
    while ((nl = chunk.indexOf(10, start)) !== -1) {
      JSON.parse(decoder.decode(chunk.subarray(start, nl)));
      count++;
      start = nl + 1;
    }
    if (start < chunk.length) pending = chunk.slice(start);
  }
  return count;
}

async function viaClient(): Promise<number> {
  const stream = await client.performRequest({
    method: "GET",
    path: "/api/v1/pods",
    querystring: new URLSearchParams({ watch: "1" }),
    expectStream: true,
    expectJson: true,
  });
  let count = 0;
  for await (const _ of stream) count++;
  return count;
}

// Alternate the two, so machine noise hits both alike; compare medians.
{
  for (const fn of [handWritten, viaClient]) {
    if (await fn() !== EVENTS) {
      throw new Error(`${fn.name} decoded the wrong number of events`);
    }
  }
  const times: [number[], number[]] = [[], []];
  for (let i = 0; i < 12; i++) {
    for (const [k, fn] of [[0, handWritten], [1, viaClient]] as const) {
      const t = performance.now();
      await fn();
      times[k].push(performance.now() - t);
    }
  }
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[xs.length >> 1];
  const [h, c] = times.map(median);
  const mb = body.length / 1024 / 1024;
  console.error(
    `watch decode, ${EVENTS} Pod events (${
      mb.toFixed(1)
    } MiB), 12 alternating runs: hand-written loop ${h.toFixed(0)} ms ` +
      `(${(mb / h * 1000).toFixed(0)} MiB/s), performRequest ${
        c.toFixed(0)
      } ms (${(mb / c * 1000).toFixed(0)} MiB/s), ` +
      `throughput ratio ${(h / c).toFixed(3)} (target >= 0.92)`,
  );
}

Deno.bench({
  name: "hand-written byte loop",
  group: "decode a watch stream",
  baseline: true,
  n: 10,
  fn: async () => void await handWritten(),
});
Deno.bench({
  name: "performRequest(expectStream, expectJson)",
  group: "decode a watch stream",
  n: 10,
  fn: async () => void await viaClient(),
});

globalThis.addEventListener("unload", () => {
  client.close();
  bare.close();
  server.shutdown();
});
