// Reflector: time and peak memory to sync 10,000 realistic Pods, and memory
// per cached object against its JSON size. The lister parses each 500-item
// page from JSON text, as a transport would, so the figures include decoding.
// Beside it (#22): the same sync with dropManagedFields, and metadata-only
// (pages of PartialObjectMetadata, what the server sends for
// `metadataOnly`); and 10 consumers of one shared watch (SharedWatches)
// against 10 separate Reflectors, each fed by an in-process RestClient that
// parses the same pages. And `compact: true` (#22) beside each: the sync
// through listWatch() over an in-process client that answers with the
// pages' bytes (what a transport hands a compact Reflector), and events
// into a cache — 40,000 realistic Pod events (ADDED, then MODIFIED) as
// watch lines, default vs compact — in events/s and CPU per event.
// Run through `deno task bench` (which enables --expose-gc for exact heap figures).
// Needs no cluster: the lister runs in process.

import { Reflector, type WatchEvent } from "../../mod.ts";
import type {
  JSONValue,
  KubernetesTunnel,
  RequestOptions,
  RestClient,
} from "../../lib/contract.ts";
import {
  dropManagedFields,
  JsonLinesDecoder,
  listWatch,
  SharedWatches,
} from "../../lib/watch/mod.ts";
import { fakePod } from "../_pods.ts";
import { cpuUsage } from "node:process";
import { stepReflector } from "../../lib/watch/_reflector_seam.ts";

const COUNT = 10_000;
const PAGE = 500;
const pages: string[] = [];
const metadataPages: string[] = [];
let jsonBytes = 0;
let metadataBytes = 0;
for (let start = 0; start < COUNT; start += PAGE) {
  const items = [];
  const partial = [];
  for (let i = start; i < Math.min(COUNT, start + PAGE); i++) {
    const pod = fakePod(i, 5000 + i);
    jsonBytes += JSON.stringify(pod).length;
    items.push(pod);
    const meta = {
      kind: "PartialObjectMetadata",
      apiVersion: "meta.k8s.io/v1",
      metadata: pod.metadata,
    };
    metadataBytes += JSON.stringify(meta).length;
    partial.push(meta);
  }
  const metadata = {
    resourceVersion: "20000",
    ...(start + PAGE < COUNT ? { continue: String(start + PAGE) } : {}),
  };
  pages.push(
    JSON.stringify({ kind: "PodList", apiVersion: "v1", metadata, items }),
  );
  metadataPages.push(JSON.stringify({
    kind: "PartialObjectMetadataList",
    apiVersion: "meta.k8s.io/v1",
    metadata,
    items: partial,
  }));
}

const gc = (globalThis as { gc?: () => void }).gc;
const heap = () => {
  gc?.();
  return Deno.memoryUsage().heapUsed;
};

type Pod = ReturnType<typeof fakePod> & {
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    resourceVersion: string;
  };
};

async function syncOnce(
  sample?: (bytes: number) => void,
  from: string[] = pages,
  transform?: (pod: Pod) => Pod,
): Promise<{ ms: number; reflector: Reflector<Pod> }> {
  const reflector = new Reflector<Pod>(
    (opts) => {
      sample?.(Deno.memoryUsage().heapUsed);
      return Promise.resolve(
        JSON.parse(from[Number(opts.continue ?? 0) / PAGE]),
      );
    },
    (opts) =>
      Promise.resolve(
        new ReadableStream<WatchEvent<Pod, never>>({
          start(c) {
            opts.abortSignal?.addEventListener("abort", () => c.close());
          },
        }),
      ),
    { pageSize: PAGE, ...(transform ? { transform } : {}) },
  );
  const ctl = new AbortController();
  const started = performance.now();
  const running = reflector.run(ctl.signal);
  for await (const evt of reflector.observeAll()) {
    if (evt.type === "SYNCED") break;
  }
  const ms = performance.now() - started;
  ctl.abort();
  await running;
  return { ms, reflector };
}

/** One sync's time, peak heap and retained heap per object. */
async function measure(
  label: string,
  from: string[],
  bytes: number,
  transform?: (pod: Pod) => Pod,
): Promise<void> {
  await syncOnce(undefined, from, transform); // warm up
  const before = heap();
  let peak = before;
  let { ms, reflector }: { ms: number; reflector?: Reflector<Pod> } =
    await syncOnce((b) => peak = Math.max(peak, b), from, transform);
  peak = Math.max(peak, Deno.memoryUsage().heapUsed);
  const cachedCount = reflector!.cachedCount;
  const held = heap();
  // What the cache holds is what dropping it frees: the heap before the
  // sync can still hold the warm-up's garbage, which made this read 0.
  reflector = undefined;
  // A turn of the event loop: settled promises of the run let go of it.
  await new Promise((r) => setTimeout(r, 0));
  const perObject = (held - heap()) / cachedCount;
  void reflector;
  const jsonPer = bytes / COUNT;
  console.error(
    `${label} of ${cachedCount} Pods (${
      (bytes / 1024 / 1024).toFixed(1)
    } MiB of JSON): ${ms.toFixed(0)} ms, ` +
      `peak heap +${((peak - before) / 1024 / 1024).toFixed(1)} MiB, retained ${
        (perObject / 1024).toFixed(2)
      } KiB per object ` +
      `(${(perObject / jsonPer).toFixed(2)}x its ${
        (jsonPer / 1024).toFixed(2)
      } KiB of JSON)${gc ? "" : " [no --expose-gc: heap figures are rough]"}`,
  );
}

await measure("reflector sync", pages, jsonBytes);
await measure(
  "reflector sync, dropManagedFields",
  pages,
  jsonBytes,
  dropManagedFields,
);
await measure("reflector sync, metadata-only", metadataPages, metadataBytes);

/** Serves the pages as a transport would (parsing each), and watches that stay open until aborted. */
class InProcess implements RestClient {
  lists = 0;
  performRequest(
    opts: RequestOptions & { expectTunnel: string[] },
  ): Promise<KubernetesTunnel>;
  performRequest(
    opts: RequestOptions & { expectStream: true; expectJson: true },
  ): Promise<ReadableStream<JSONValue>>;
  performRequest(
    opts: RequestOptions & { expectStream: true },
  ): Promise<ReadableStream<Uint8Array>>;
  performRequest(
    opts: RequestOptions & { expectJson: true },
  ): Promise<JSONValue>;
  performRequest(opts: RequestOptions): Promise<Uint8Array>;
  performRequest(opts: RequestOptions): Promise<unknown> {
    if (opts.expectStream) {
      return Promise.resolve(
        new ReadableStream<JSONValue>({
          start(c) {
            opts.abortSignal?.addEventListener("abort", () => c.close());
          },
        }),
      );
    }
    this.lists++;
    const page = Number(opts.querystring?.get("continue") ?? 0) / PAGE;
    return Promise.resolve(JSON.parse(pages[page]));
  }
}

/** 10 consumers synced: through one shared watch, or 10 Reflectors of their own. */
async function consumers(
  shared: boolean,
): Promise<{ ms: number; retained: number; lists: number }> {
  const client = new InProcess();
  const before = heap();
  const started = performance.now();
  const stops: (() => Promise<void>)[] = [];
  const synced: Promise<void>[] = [];
  for (let i = 0; i < 10; i++) {
    let observe: () => AsyncGenerator<{ type: string }>;
    if (shared) {
      const handle = SharedWatches.for(client).reflector<Pod>("/api/v1/pods", {
        initialList: "list",
        pageSize: PAGE,
      });
      observe = () => handle.observeAll();
      stops.push(() => handle.release());
    } else {
      const { lister, watcher } = listWatch<Pod>(client, "/api/v1/pods");
      const r = new Reflector<Pod>(lister, watcher, {
        initialList: "list",
        pageSize: PAGE,
      });
      const ctl = new AbortController();
      const running = r.run(ctl.signal);
      observe = () => r.observeAll();
      stops.push(async () => {
        ctl.abort();
        await running;
      });
    }
    synced.push((async () => {
      for await (const evt of observe()) if (evt.type === "SYNCED") break;
    })());
  }
  await Promise.all(synced);
  const ms = performance.now() - started;
  const retained = heap() - before;
  await Promise.all(stops.map((stop) => stop()));
  return { ms, retained, lists: client.lists };
}

await consumers(true); // warm up
for (const shared of [false, true]) {
  const { ms, retained, lists } = await consumers(shared);
  console.error(
    `10 consumers of ${COUNT} Pods, ${
      shared ? "one shared watch" : "10 separate Reflectors"
    }: all synced in ${ms.toFixed(0)} ms, ${lists} list requests, retained ${
      (retained / 1024 / 1024).toFixed(1)
    } MiB`,
  );
}

/**
 * Answers list pages and one watch as a transport would: parsed JSON when
 * asked for it (`expectJson`), else the bytes (a compact Reflector's raw
 * list and watch); the watch sends `lines` in 64 KiB chunks, then ends.
 */
class BytesInProcess implements RestClient {
  constructor(
    readonly from: string[],
    readonly lines: Uint8Array = new Uint8Array(0),
    readonly onList?: () => void,
  ) {}
  performRequest(
    opts: RequestOptions & { expectTunnel: string[] },
  ): Promise<KubernetesTunnel>;
  performRequest(
    opts: RequestOptions & { expectStream: true; expectJson: true },
  ): Promise<ReadableStream<JSONValue>>;
  performRequest(
    opts: RequestOptions & { expectStream: true },
  ): Promise<ReadableStream<Uint8Array>>;
  performRequest(
    opts: RequestOptions & { expectJson: true },
  ): Promise<JSONValue>;
  performRequest(opts: RequestOptions): Promise<Uint8Array>;
  performRequest(opts: RequestOptions): Promise<unknown> {
    if (opts.expectStream) {
      let at = 0;
      const body = this.lines;
      const bytes = new ReadableStream<Uint8Array>({
        pull(c) {
          if (at >= body.length) return c.close();
          c.enqueue(body.slice(at, at += 65536));
        },
      });
      return Promise.resolve(
        opts.expectJson ? bytes.pipeThrough(new JsonLinesDecoder()) : bytes,
      );
    }
    this.onList?.();
    const page =
      this.from[Number(opts.querystring?.get("continue") ?? 0) / PAGE];
    return Promise.resolve(
      opts.expectJson ? JSON.parse(page) : new TextEncoder().encode(page),
    );
  }
}

/** A sync through listWatch() over an in-process client, default or compact. */
async function syncThrough(
  compact: boolean,
  from: string[],
  transform?: (pod: Pod) => Pod,
  sample?: () => void,
): Promise<{ ms: number; reflector: Reflector<Pod> }> {
  const client = new BytesInProcess(from, undefined, sample);
  const { lister, watcher } = listWatch<Pod>(client, "/api/v1/pods");
  const reflector = new Reflector<Pod>(lister, watcher, {
    pageSize: PAGE,
    initialList: "list",
    compact,
    transform,
  });
  const started = performance.now();
  await stepReflector(
    reflector,
    { kind: "Empty" },
    new AbortController().signal,
  );
  return { ms: performance.now() - started, reflector };
}

/** Time, peak and retained memory (heap + array buffers) per object, default vs compact. */
async function measureSync(
  label: string,
  from: string[],
  bytes: number,
  compact: boolean,
  transform?: (pod: Pod) => Pod,
): Promise<void> {
  const mem = async () => {
    // Array buffers are freed after a GC by a sweeper of their own: GC
    // until what is outside the heap stops changing.
    let last = -1;
    for (let i = 0; i < 20; i++) {
      gc?.();
      await new Promise((r) => setTimeout(r, 10));
      const { external } = Deno.memoryUsage();
      if (external === last) break;
      last = external;
    }
    const m = Deno.memoryUsage();
    return m.heapUsed + m.external;
  };
  await syncThrough(compact, from, transform); // warm up
  const before = await mem();
  let peak = before;
  const sample = () => {
    const m = Deno.memoryUsage();
    peak = Math.max(peak, m.heapUsed + m.external);
  };
  const { ms, reflector } = await syncThrough(compact, from, transform, sample);
  sample();
  // What the cache holds, read as growth while it is held (reading it as
  // what dropping the cache frees misses array buffers, freed later).
  const held = await mem();
  const count = reflector.cachedCount;
  const perObject = (held - before) / count;
  const jsonPer = bytes / COUNT;
  console.error(
    `${label}${compact ? ", compact" : ""} of ${count} Pods: ${
      ms.toFixed(0)
    } ms, peak heap+buffers +${
      ((peak - before) / 1024 / 1024).toFixed(1)
    } MiB, retained ${(perObject / 1024).toFixed(2)} KiB per object (${
      (perObject / jsonPer).toFixed(2)
    }x its ${(jsonPer / 1024).toFixed(2)} KiB of JSON)${
      gc ? "" : " [no --expose-gc: heap figures are rough]"
    }`,
  );
}

// Events into a cache: 40,000 Pod events as watch lines.
const EVENTS = 40_000;
const DISTINCT = 4_000;
const eventLines = (() => {
  const parts: string[] = [];
  for (let i = 0; i < EVENTS; i++) {
    const type = i < DISTINCT ? "ADDED" : "MODIFIED";
    parts.push(
      `{"type":"${type}","object":${
        JSON.stringify(fakePod(i % DISTINCT, 30000 + i))
      }}\n`,
    );
  }
  return new TextEncoder().encode(parts.join(""));
})();

/** One run of the events into a cache (the whole stream), default or compact. */
async function eventsIntoCache(
  compact: boolean,
): Promise<{ ms: number; cpuUs: number }> {
  const client = new BytesInProcess(
    [`{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"29999"},"items":[]}`],
    eventLines,
  );
  const { lister, watcher } = listWatch<Pod>(client, "/api/v1/pods");
  const reflector = new Reflector<Pod>(lister, watcher, {
    initialList: "list",
    compact,
  });
  const signal = new AbortController().signal;
  const state = await stepReflector(reflector, { kind: "Empty" }, signal);
  const cpu = cpuUsage();
  const started = performance.now();
  await stepReflector(reflector, state, signal);
  const ms = performance.now() - started;
  const used = cpuUsage(cpu);
  if (reflector.cachedCount !== DISTINCT) {
    throw new Error("the events did not all reach the cache");
  }
  return { ms, cpuUs: used.user + used.system };
}

for (const compact of [false, true]) {
  await measureSync("reflector sync via listWatch", pages, jsonBytes, compact);
  await measureSync(
    "reflector sync via listWatch, dropManagedFields",
    pages,
    jsonBytes,
    compact,
    dropManagedFields,
  );
  await measureSync(
    "reflector sync via listWatch, metadata-only",
    metadataPages,
    metadataBytes,
    compact,
  );
}

{
  const rounds: Record<string, { ms: number; cpuUs: number }[]> = {
    default: [],
    compact: [],
  };
  await eventsIntoCache(false);
  await eventsIntoCache(true); // warm up
  for (let round = 0; round < 5; round++) {
    for (const compact of [false, true]) {
      rounds[compact ? "compact" : "default"].push(
        await eventsIntoCache(compact),
      );
    }
  }
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[xs.length >> 1];
  const figures: Record<string, { rate: number; cpu: number }> = {};
  for (const [label, runs] of Object.entries(rounds)) {
    const ms = median(runs.map((r) => r.ms));
    const cpu = median(runs.map((r) => r.cpuUs)) / EVENTS;
    figures[label] = { rate: EVENTS / ms * 1000, cpu };
    console.error(
      `events into a cache, ${label}: ${(EVENTS / ms).toFixed(1)}k events/s, ${
        cpu.toFixed(1)
      } µs CPU per event (median of 5, ${
        (eventLines.length / EVENTS / 1024).toFixed(2)
      } KiB per event)`,
    );
  }
  console.error(
    `events into a cache: compact / default, events/s ${
      (figures.compact.rate / figures.default.rate).toFixed(2)
    }, CPU per event ${(figures.compact.cpu / figures.default.cpu).toFixed(2)}`,
  );
}

Deno.bench({
  name: "sync 10,000 Pods (500 per page)",
  n: 10,
  fn: async () => void await syncOnce(),
});

Deno.bench({
  name: "sync 10,000 Pods, metadata-only (500 per page)",
  n: 10,
  fn: async () => void await syncOnce(undefined, metadataPages),
});

Deno.bench({
  name: "10 consumers of 10,000 Pods: 10 separate Reflectors",
  n: 3,
  fn: async () => void await consumers(false),
});

Deno.bench({
  name: "10 consumers of 10,000 Pods: one shared watch",
  n: 3,
  fn: async () => void await consumers(true),
});
