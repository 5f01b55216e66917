// One contender run of the side-by-side bench, in its own process: this
// library, or a bare baseline written by hand in the same runtime (fetch,
// and a BYOB read loop reusing one buffer). Prints one JSON line of figures.
//
// Contenders: "ours" is today's default Reflector (the previous edition, for
// issue #22's comparisons); "ours-compact" passes `compact: true` (the
// compact store), "ours-compact-meta" also lists and watches
// PartialObjectMetadata; "separate" / "shared" / "shared-compact" are the
// observers of the shared-watch job.
//
// Usage: deno run -A --v8-flags=--expose-gc _deno_contender.ts <job> <contender> <kubeconfig> [namespace] [watches]

import {
  KubeConfig,
  KubeConfigRestClient,
  listWatch,
  Reflector,
} from "../../../mod.ts";
import { type ReflectorEvent, SharedWatches } from "../../../lib/watch/mod.ts";
import {
  currentRss,
  type Figures,
  finish,
  openSockets,
  startMeasuring,
} from "./_measure.ts";
import {
  parseSyntheticNamespace,
  replayEvent,
  sentinelName,
  type Synthetic,
  syntheticNamespace,
} from "./_synthetic.ts";

type Pod = {
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    resourceVersion: string;
  };
};

const [job, contender, kubeconfigPath, namespace = "default", watches = "1"] =
  Deno.args;

// Nothing may hang: a contender that has not finished in this time says
// so and exits (the orchestrator then fails the run with its stderr).
const DEADLINE_MS = 240_000;
let waitingFor = "the job";
Deno.unrefTimer(setTimeout(() => {
  console.error(
    `${job}/${contender}: not done after ${DEADLINE_MS} ms, waiting for ${waitingFor}`,
  );
  Deno.exit(3);
}, DEADLINE_MS));
const config = await KubeConfig.readFromPath(kubeconfigPath);
// The kubeconfigs here are JSON written by the harness or the orchestrator.
const raw = JSON.parse(await Deno.readTextFile(kubeconfigPath));
const server = String(raw.clusters[0].cluster.server).replace(/\/$/, "");
const caFile = raw.clusters[0].cluster["certificate-authority"];
const caCerts = caFile ? [await Deno.readTextFile(caFile)] : [];
const user = raw.users[0].user;
const certFile = user["client-certificate"];
const keyFile = user["client-key"];
const bareClient = Deno.createHttpClient({
  caCerts,
  ...(certFile && keyFile
    ? {
      cert: await Deno.readTextFile(certFile),
      key: await Deno.readTextFile(keyFile),
    }
    : {}),
});
const bareHeaders: Record<string, string> = user.token
  ? { authorization: `Bearer ${user.token}` }
  : {};
// "ours-roots": the same client on Deno's TLS with the CA added to its roots
// (`requestTrust: "ca-and-roots"`), which is what the bare fetch baseline
// does; "ours" trusts the CA alone, through the strict forwarder.
const client = await KubeConfigRestClient.forKubeConfig(
  config,
  undefined,
  contender === "ours-roots" ? { requestTrust: "ca-and-roots" } : {},
);
const pods = `/api/v1/namespaces/${namespace}/pods`;

const bareGet = async (path: string): Promise<unknown> => {
  const resp = await fetch(server + path, {
    client: bareClient,
    headers: bareHeaders,
  });
  if (!resp.ok) throw new Error(`GET ${path}: HTTP ${resp.status}`);
  return await resp.json();
};
const ourGet = (path: string, query?: URLSearchParams): Promise<unknown> =>
  client.performRequest({
    method: "GET",
    path,
    querystring: query,
    expectJson: true,
  });

/** Watch decode by a hand-written loop: BYOB reads into one reused buffer. */
async function byobWatch(): Promise<number> {
  const resp = await fetch(`${server}/api/v1/pods?watch=true`, {
    client: bareClient,
    headers: bareHeaders,
  });
  const reader = resp.body!.getReader({ mode: "byob" });
  const decoder = new TextDecoder();
  let buf = new Uint8Array(65536);
  let filled = 0;
  let count = 0;
  for (;;) {
    if (filled === buf.length) {
      const bigger = new Uint8Array(buf.length * 2);
      bigger.set(buf);
      buf = bigger;
    }
    const { done, value } = await reader.read(buf.subarray(filled));
    if (done || !value) break;
    buf = new Uint8Array(value.buffer);
    const end = filled + value.length;
    let start = 0;
    let nl: number;
    while ((nl = buf.indexOf(10, start)) !== -1 && nl < end) {
      const evt = JSON.parse(decoder.decode(buf.subarray(start, nl)));
      if (evt.type) count++;
      start = nl + 1;
    }
    buf.copyWithin(0, start, end);
    filled = end - start;
  }
  return count;
}

/**
 * The replay server's ceiling: a socket read loop that only counts event
 * lines (no parsing), so the table shows the server outpaces contenders.
 */
async function ceiling(): Promise<number> {
  const url = new URL(server);
  const port = Number(url.port);
  const conn = url.protocol === "https:"
    ? await Deno.connectTls({ hostname: url.hostname, port, caCerts })
    : await Deno.connect({ hostname: url.hostname, port });
  await conn.write(
    new TextEncoder().encode(
      `GET /api/v1/pods?watch=true HTTP/1.1\r\nhost: ${url.host}\r\n\r\n`,
    ),
  );
  const buf = new Uint8Array(256 * 1024);
  // `{"type":` starts every event line; the body ends with `0\r\n\r\n`.
  let count = 0;
  let tail = "";
  for (;;) {
    const n = await conn.read(buf);
    if (n === null) break;
    const got = buf.subarray(0, n);
    for (let i = got.indexOf(123); i !== -1; i = got.indexOf(123, i + 1)) {
      if (
        got[i + 1] === 34 && got[i + 2] === 116 &&
        (i === 0 || got[i - 1] === 10)
      ) count++;
    }
    tail = (tail + String.fromCharCode(...got.subarray(Math.max(0, n - 7))))
      .slice(-7);
    if (tail.endsWith("\r\n0\r\n\r\n")) break;
  }
  conn.close();
  return count;
}

async function ourWatch(): Promise<number> {
  const stream = await listWatch<Pod>(client, "/api/v1/pods").watcher({});
  let count = 0;
  for await (const evt of stream) if (evt.type) count++;
  return count;
}

type ReflectorOptions = ConstructorParameters<typeof Reflector<Pod>>[2];

/** Whether this contender asks for issue #22's compact store. */
const wantsCompact = contender.includes("compact");

/**
 * The Reflector options of this contender: lists first (the replay servers
 * and the paged syncs are built for it), and `compact: true` for the
 * compact contenders, passed through a cast so the bench type-checks
 * against an edition without the option (the run then says it was not
 * honoured, see compactHonoured).
 */
function reflectorOptions(extra: ReflectorOptions = {}): ReflectorOptions {
  return {
    initialList: "list",
    ...extra,
    ...(wantsCompact ? { compact: true } : {}),
  } as ReflectorOptions;
}

/**
 * Whether the compact store is in use, for a compact contender: it builds
 * a fresh object on every read, where the default store hands out the one
 * it holds. Undefined for the other contenders.
 */
function compactHonoured(read: () => unknown): boolean | undefined {
  if (!wantsCompact) return undefined;
  const first = read();
  if (first === undefined) {
    throw new Error(`${job}/${contender}: no cached object to check`);
  }
  return first !== read();
}

/** Resolves once `done()` holds, checking every `everyMs`. */
async function until(
  what: string,
  done: () => boolean,
  everyMs: number,
): Promise<void> {
  waitingFor = what;
  while (!done()) {
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/**
 * Events into a cache: the replay server lists nothing, then replays the
 * body; done when the last event's object is in the cache (polled every
 * 5 ms: a store lookup for the default Reflector, one object built for the
 * compact one, under 0.3 % of the run either way).
 */
async function ourEventsIntoCache(
  events: number,
): Promise<{ count: number; compact: boolean | undefined }> {
  const { lister, watcher } = listWatch<Pod>(client, "/api/v1/pods");
  const reflector = new Reflector<Pod>(lister, watcher, reflectorOptions());
  const last = replayEvent(events - 1).object.metadata as Pod["metadata"];
  const ctl = new AbortController();
  const running = reflector.run(ctl.signal);
  const read = () => reflector.getCached(last.namespace, last.name);
  await until(
    "the last replayed event",
    () => read()?.metadata.resourceVersion === last.resourceVersion,
    5,
  );
  const compact = compactHonoured(read);
  ctl.abort();
  await running;
  return { count: events, compact };
}

async function ourSync(
  path: string,
): Promise<
  { count: number; reflector: Reflector<Pod>; one: Pod["metadata"] | undefined }
> {
  const { lister, watcher } = listWatch<Pod>(client, path, {
    metadataOnly: contender.endsWith("-meta"),
  });
  const reflector = new Reflector<Pod>(
    lister,
    watcher,
    reflectorOptions({ pageSize: 500 }),
  );
  const ctl = new AbortController();
  const running = reflector.run(ctl.signal);
  // One object's key, for the compact check (the first ADDED's object:
  // one object built; listCached() would build them all).
  let one: Pod["metadata"] | undefined;
  for await (const evt of reflector.observeAll()) {
    if (evt.type === "ADDED") one ??= evt.object.metadata;
    if (evt.type === "SYNCED") break;
  }
  const count = reflector.cachedCount;
  ctl.abort();
  await running;
  return { count, reflector, one };
}

/** The synthetic collection a job's namespace names. */
function synthetic(): Synthetic {
  const spec = parseSyntheticNamespace(namespace);
  if (!spec) {
    throw new Error(`${job}: expected a synthetic namespace, got ${namespace}`);
  }
  return spec;
}

/**
 * Many watches on one client: one Reflector per synthetic namespace, each
 * listing then watching; done when every cache holds its sentinel.
 */
async function manyWatches(
  n: number,
): Promise<{ count: number; sockets: number; compact: boolean | undefined }> {
  const spec = synthetic();
  const sentinel = sentinelName(spec);
  const before = openSockets();
  const ctl = new AbortController();
  const reflectors = Array.from({ length: n }, (_, i) => {
    const ns = syntheticNamespace(spec, i);
    const { lister, watcher } = listWatch<Pod>(
      client,
      `/api/v1/namespaces/${ns}/pods`,
    );
    const reflector = new Reflector<Pod>(lister, watcher, reflectorOptions());
    return { ns, reflector, running: reflector.run(ctl.signal) };
  });
  let pending = reflectors;
  await until(`${n} sentinels`, () => {
    pending = pending.filter((r) => !r.reflector.getCached(r.ns, sentinel));
    return pending.length === 0;
  }, 5);
  const sockets = openSockets() - before;
  const compact = compactHonoured(() =>
    reflectors[0].reflector.getCached(reflectors[0].ns, sentinel)
  );
  ctl.abort();
  await Promise.all(reflectors.map((r) => r.running));
  return { count: n * (spec.list + spec.events), sockets, compact };
}

/**
 * `n` observers of one collection, each reading every event's object:
 * through one shared watch ("shared…") or one Reflector each
 * ("separate"). Counts the events delivered to all observers.
 */
async function observers(
  n: number,
): Promise<{ count: number; sockets: number; compact: boolean | undefined }> {
  const spec = synthetic();
  const sentinel = sentinelName(spec);
  const path = `/api/v1/namespaces/${namespace}/pods`;
  const before = openSockets();
  const ctl = new AbortController();
  const caches: {
    observeAll(): AsyncIterable<ReflectorEvent<Pod>>;
    getCached(ns: string, name: string): Pod | undefined;
  }[] = [];
  const running: Promise<void>[] = [];
  for (let i = 0; i < n; i++) {
    if (contender === "separate") {
      const { lister, watcher } = listWatch<Pod>(client, path);
      const reflector = new Reflector<Pod>(
        lister,
        watcher,
        reflectorOptions(),
      );
      caches.push(reflector);
      running.push(reflector.run(ctl.signal));
    } else {
      caches.push(
        SharedWatches.for(client).reflector<Pod>(path, {
          ...reflectorOptions(),
          signal: ctl.signal,
        }),
      );
    }
  }
  waitingFor = `${n} observers to see the sentinel`;
  const seen = await Promise.all(caches.map(async (cache) => {
    let count = 0;
    for await (const evt of cache.observeAll()) {
      if (evt.type !== "ADDED" && evt.type !== "MODIFIED") continue;
      count++;
      if (evt.object.metadata.name === sentinel) break;
    }
    return count;
  }));
  const sockets = openSockets() - before;
  const compact = compactHonoured(() =>
    caches[0].getCached(namespace, sentinel)
  );
  ctl.abort();
  await Promise.all(running);
  await Promise.all(
    caches.map((c) => (c as { release?: () => Promise<void> }).release?.()),
  );
  return { count: seen.reduce((a, b) => a + b, 0), sockets, compact };
}

async function paginate(
  get: (path: string) => Promise<unknown>,
): Promise<number> {
  let token = "";
  let count = 0;
  do {
    const page = await get(
      `${pods}?limit=500${
        token ? `&continue=${encodeURIComponent(token)}` : ""
      }`,
    ) as { items: unknown[]; metadata: { continue?: string } };
    count += page.items.length;
    token = page.metadata.continue ?? "";
  } while (token);
  return count;
}

const GETS = 300;
const LISTS = 20;
const PAGINATIONS = 2;
const EVENTS = 40_000;

// Request jobs measure the steady state: every contender (client-node too)
// first sends WARMUP untimed GETs, so JIT compilation and connection set-up
// are not in the figures.
const WARMUP = 20;
if (["get", "list", "paginate"].includes(job)) {
  for (let i = 0; i < WARMUP; i++) {
    if (contender === "fetch") await bareGet(`/api/v1/namespaces/${namespace}`);
    else await ourGet(`/api/v1/namespaces/${namespace}`);
  }
}

const m = startMeasuring();
let figures: Figures;
switch (`${job}/${contender}`) {
  case "decode/ours":
    figures = finish(m, await ourWatch());
    break;
  case "decode/ceiling":
    figures = finish(m, await ceiling());
    break;
  case "decode/byob":
    figures = finish(m, await byobWatch());
    break;
  case "cache/ours":
  case "cache/ours-compact": {
    const { count, compact } = await ourEventsIntoCache(EVENTS);
    figures = { ...finish(m, count), compact };
    break;
  }
  case "fan/ours":
  case "fan/ours-compact": {
    const { count, sockets, compact } = await manyWatches(Number(watches));
    figures = { ...finish(m, count), sockets, compact };
    break;
  }
  case "shared/separate":
  case "shared/shared":
  case "shared/shared-compact": {
    const { count, sockets, compact } = await observers(Number(watches));
    figures = { ...finish(m, count), sockets, compact };
    break;
  }
  case "get/ours":
  case "get/ours-roots":
  case "get/fetch": {
    const get = contender !== "fetch"
      ? (p: string) => ourGet(p)
      : (p: string) => bareGet(p);
    for (let i = 0; i < GETS; i++) await get(`/api/v1/namespaces/${namespace}`);
    figures = finish(m, GETS);
    break;
  }
  case "list/ours":
  case "list/ours-roots":
  case "list/fetch": {
    let n = 0;
    for (let i = 0; i < LISTS; i++) {
      const list = contender !== "fetch"
        ? await ourGet(pods, new URLSearchParams({ limit: "500" }))
        : await bareGet(`${pods}?limit=500`);
      n += (list as { items: unknown[] }).items.length;
    }
    figures = finish(m, n);
    break;
  }
  case "paginate/ours":
  case "paginate/ours-roots":
  case "paginate/fetch": {
    let n = 0;
    for (let i = 0; i < PAGINATIONS; i++) {
      n += await paginate(
        contender !== "fetch" ? (p) => ourGet(p) : (p) => bareGet(p),
      );
    }
    figures = finish(m, n);
    break;
  }
  // A sync of the seeded Pods on the apiserver ("sync"), or of a synthetic
  // collection on the replay server ("objects"): time, peak RSS, and what
  // each cached object holds once the garbage is collected.
  case "sync/ours":
  case "sync/ours-compact":
  case "sync/ours-compact-meta":
  case "objects/ours":
  case "objects/ours-compact": {
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    const heapBefore = Deno.memoryUsage().heapUsed;
    const rssBefore = currentRss();
    const { count, reflector, one } = await ourSync(
      `/api/v1/namespaces/${namespace}/pods`,
    );
    figures = finish(m, count);
    gc?.();
    figures.heapPerObject = (Deno.memoryUsage().heapUsed - heapBefore) / count;
    figures.rssPerObject = (currentRss() - rssBefore) / count;
    figures.compact = compactHonoured(() =>
      one && reflector.getCached(one.namespace, one.name)
    );
    break;
  }
  default:
    throw new Error(`unknown job ${job}/${contender}`);
}
client.close();
bareClient.close();
console.log(JSON.stringify(figures));
