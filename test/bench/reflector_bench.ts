// Reflector: time and peak memory to sync 10,000 realistic Pods, and memory
// per cached object against its JSON size. The lister parses each 500-item
// page from JSON text, as a transport would, so the figures include decoding.
// Run through `deno task bench` (which enables --expose-gc for exact heap figures).
// Needs no cluster: the lister runs in process.

import { Reflector, type WatchEvent } from "../../mod.ts";
import { fakePod } from "../_pods.ts";

const COUNT = 10_000;
const PAGE = 500;
const pages: string[] = [];
let jsonBytes = 0;
for (let start = 0; start < COUNT; start += PAGE) {
  const items = [];
  for (let i = start; i < Math.min(COUNT, start + PAGE); i++) {
    const pod = fakePod(i, 5000 + i);
    jsonBytes += JSON.stringify(pod).length;
    items.push(pod);
  }
  pages.push(JSON.stringify({
    kind: "PodList",
    apiVersion: "v1",
    metadata: {
      resourceVersion: "20000",
      ...(start + PAGE < COUNT ? { continue: String(start + PAGE) } : {}),
    },
    items,
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
): Promise<{ ms: number; reflector: Reflector<Pod> }> {
  const reflector = new Reflector<Pod>(
    (opts) => {
      sample?.(Deno.memoryUsage().heapUsed);
      return Promise.resolve(
        JSON.parse(pages[Number(opts.continue ?? 0) / PAGE]),
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
    { pageSize: PAGE },
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

{
  await syncOnce(); // warm up
  const before = heap();
  let peak = before;
  const { ms, reflector } = await syncOnce((b) => peak = Math.max(peak, b));
  peak = Math.max(peak, Deno.memoryUsage().heapUsed);
  const after = heap();
  const cachedCount = [...reflector.listCached()].length;
  const perObject = (after - before) / cachedCount;
  const jsonPer = jsonBytes / COUNT;
  console.error(
    `reflector sync of ${cachedCount} Pods (${
      (jsonBytes / 1024 / 1024).toFixed(1)
    } MiB of JSON): ${ms.toFixed(0)} ms, ` +
      `peak heap +${((peak - before) / 1024 / 1024).toFixed(1)} MiB, retained ${
        (perObject / 1024).toFixed(2)
      } KiB per object ` +
      `(${(perObject / jsonPer).toFixed(2)}x its ${
        (jsonPer / 1024).toFixed(2)
      } KiB of JSON)${gc ? "" : " [no --expose-gc: heap figures are rough]"}`,
  );
}

Deno.bench({
  name: "sync 10,000 Pods (500 per page)",
  n: 10,
  fn: async () => void await syncOnce(),
});
