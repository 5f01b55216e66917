// One contender run of the side-by-side bench, in its own process: this
// library, or a bare baseline written by hand in the same runtime (fetch,
// and a BYOB read loop reusing one buffer). Prints one JSON line of figures.
//
// Usage: deno run -A --v8-flags=--expose-gc _deno_contender.ts <job> <contender> <kubeconfig> [namespace]

import {
  KubeConfig,
  KubeConfigRestClient,
  listWatch,
  Reflector,
} from "../../../mod.ts";
import { MapStore } from "../../../lib/watch/mod.ts";
import { type Figures, finish, startMeasuring } from "./_measure.ts";

type Pod = {
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    resourceVersion: string;
  };
};

const [job, contender, kubeconfigPath, namespace = "default"] = Deno.args;
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

/** Events into a cache: the replay server lists nothing, then replays the body. */
async function ourEventsIntoCache(events: number): Promise<number> {
  const { lister, watcher } = listWatch<Pod>(client, "/api/v1/pods");
  let count = 0;
  const ctl = new AbortController();
  class CountingStore extends MapStore<Pod> {
    override add(key: string, obj: Pod): void {
      super.add(key, obj);
      if (++count === events) ctl.abort();
    }
    override update(key: string, obj: Pod): void {
      super.update(key, obj);
      if (++count === events) ctl.abort();
    }
  }
  const reflector = new Reflector<Pod>(
    lister,
    watcher,
    {
      store: new CountingStore(),
      initialList: "list",
    } as ConstructorParameters<typeof Reflector<Pod>>[2],
  );
  await reflector.run(ctl.signal);
  return count;
}

async function ourSync(): Promise<{ count: number; reflector: unknown }> {
  const { lister, watcher } = listWatch<Pod>(client, pods);
  const reflector = new Reflector<Pod>(
    lister,
    watcher,
    {
      pageSize: 500,
      initialList: "list",
    } as ConstructorParameters<typeof Reflector<Pod>>[2],
  );
  const ctl = new AbortController();
  const running = reflector.run(ctl.signal);
  for await (const evt of reflector.observeAll()) {
    if (evt.type === "SYNCED") break;
  }
  const count = [...reflector.listCached()].length;
  ctl.abort();
  await running;
  return { count, reflector };
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
    figures = finish(m, await ourEventsIntoCache(EVENTS));
    break;
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
  case "sync/ours": {
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    const before = Deno.memoryUsage().heapUsed;
    const { count, reflector } = await ourSync();
    figures = finish(m, count);
    gc?.();
    figures.heapPerObject = (Deno.memoryUsage().heapUsed - before) / count;
    void reflector;
    break;
  }
  default:
    throw new Error(`unknown job ${job}/${contender}`);
}
client.close();
bareClient.close();
console.log(JSON.stringify(figures));
