// Reflector: time and peak memory to sync 10,000 realistic Pods, and memory
// per cached object against its JSON size. The lister parses each 500-item
// page from JSON text, as a transport would, so the figures include decoding.
// Beside it (#22): the same sync with dropManagedFields, and metadata-only
// (pages of PartialObjectMetadata, what the server sends for
// `metadataOnly`); and 10 consumers of one shared watch (SharedWatches)
// against 10 separate Reflectors, each fed by an in-process RestClient that
// parses the same pages.
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
  listWatch,
  SharedWatches,
} from "../../lib/watch/mod.ts";
import { fakePod } from "../_pods.ts";

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
  const cachedCount = reflector!.listCached().length;
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
