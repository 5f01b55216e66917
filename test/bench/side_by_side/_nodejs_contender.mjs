// One contender run of the side-by-side bench with @kubernetes/client-node,
// in its own Node.js process. Prints one JSON line of figures (the same as
// _measure.ts).
//
// Jobs: decode, cache, get, list, paginate, sync (the seeded Pods, one
// unpaged list, as the informer's examples do), objects (a synthetic
// collection, listed in pages of 500 like our Reflector: the figure is
// what the cache holds, not the list's transient), fan (one informer per
// synthetic namespace `<namespace>-w<i>`, i < watches; see _synthetic.ts).
//
// Usage: node --expose-gc _nodejs_contender.mjs <client-node dir> <job> <kubeconfig> [namespace] [watches]

import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import process from "node:process";
import { pathToFileURL } from "node:url";

const [dir, job, kubeconfigPath, namespace = "default", watches = "1"] = process
  .argv.slice(2);

// Nothing may hang (as in _deno_contender.ts).
const DEADLINE_MS = 240_000;
setTimeout(() => {
  console.error(`${job}/client-node: not done after ${DEADLINE_MS} ms`);
  process.exit(3);
}, DEADLINE_MS).unref();
const k8s = await import(
  pathToFileURL(`${dir}/node_modules/@kubernetes/client-node/dist/index.js`)
    .href
);
const kc = new k8s.KubeConfig();
kc.loadFromFile(kubeconfigPath);
const core = kc.makeApiClient(k8s.CoreV1Api);
const pods = `/api/v1/namespaces/${namespace}/pods`;

const GETS = 300;
const LISTS = 20;
const PAGINATIONS = 2;
const EVENTS = 40_000;

function statusBytes(field) {
  const m = readFileSync("/proc/self/status", "utf8").match(
    new RegExp(`${field}:\\s+(\\d+) kB`),
  );
  return m ? Number(m[1]) * 1024 : process.memoryUsage().rss;
}

function openSockets() {
  let n = 0;
  for (const fd of readdirSync("/proc/self/fd")) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`).startsWith("socket:")) n++;
    } catch {
      // closed while listing
    }
  }
  return n;
}

/** A synthetic namespace's list and event counts (see _synthetic.ts). */
function synthetic(ns) {
  const m = /^replay-l(\d+)-e(\d+)/.exec(ns);
  if (!m) throw new Error(`${job}: expected a synthetic namespace, got ${ns}`);
  return { list: Number(m[1]), events: Number(m[2]) };
}

/** Lists a namespace's Pods in pages of 500, as one list. */
async function pagedList(ns) {
  const items = [];
  let token;
  let page;
  do {
    page = await core.listNamespacedPod({
      namespace: ns,
      limit: 500,
      _continue: token,
    });
    for (const item of page.items) items.push(item);
    token = page.metadata?._continue || undefined;
  } while (token);
  return { ...page, items };
}

/** One informer per synthetic namespace; done when each saw every event. */
function manyInformers(n) {
  const spec = synthetic(namespace);
  const per = spec.list + spec.events;
  const before = openSockets();
  const informers = [];
  return new Promise((resolve, reject) => {
    let pending = n;
    for (let i = 0; i < n; i++) {
      const ns = `${namespace}-w${i}`;
      const informer = k8s.makeInformer(
        kc,
        `/api/v1/namespaces/${ns}/pods`,
        () => core.listNamespacedPod({ namespace: ns }),
      );
      informers.push(informer);
      let count = 0;
      const seen = () => {
        if (++count === per && --pending === 0) {
          resolve({ count: n * per, sockets: openSockets() - before });
        }
      };
      informer.on("add", seen);
      informer.on("update", seen);
      informer.on("error", reject);
      informer.start().catch(reject);
    }
  });
}

function watchAll() {
  return new Promise((resolve, reject) => {
    let count = 0;
    new k8s.Watch(kc).watch("/api/v1/pods", {}, (type) => {
      if (type) count++;
    }, (err) => err ? reject(err) : resolve(count));
  });
}

function eventsIntoCache() {
  return new Promise((resolve, reject) => {
    const informer = k8s.makeInformer(
      kc,
      "/api/v1/pods",
      () => core.listPodForAllNamespaces(),
    );
    let count = 0;
    const seen = () => {
      // No informer.stop(): its abort throws from inside the line handler;
      // the process exits right after printing.
      if (++count === EVENTS) resolve(count);
    };
    informer.on("add", seen);
    informer.on("update", seen);
    informer.on("error", reject);
    informer.start().catch(reject);
  });
}

async function paginate() {
  let token;
  let count = 0;
  do {
    const page = await core.listNamespacedPod({
      namespace,
      limit: 500,
      _continue: token,
    });
    count += page.items.length;
    token = page.metadata?._continue || undefined;
  } while (token);
  return count;
}

// As in the Deno contender: untimed GETs first for the request jobs.
const WARMUP = 20;
if (["get", "list", "paginate"].includes(job)) {
  for (let i = 0; i < WARMUP; i++) {
    await core.readNamespace({ name: namespace });
  }
}

const start = performance.now();
const cpu0 = process.cpuUsage();
const done = (count) => {
  const cpu = process.cpuUsage(cpu0);
  return {
    count,
    ms: performance.now() - start,
    cpuMs: (cpu.user + cpu.system) / 1000,
    peakRss: statusBytes("VmHWM"),
  };
};

let figures;
switch (job) {
  case "decode":
    figures = done(await watchAll());
    break;
  case "cache":
    figures = done(await eventsIntoCache());
    break;
  case "get":
    for (let i = 0; i < GETS; i++) {
      await core.readNamespace({ name: namespace });
    }
    figures = done(GETS);
    break;
  case "list": {
    let n = 0;
    for (let i = 0; i < LISTS; i++) {
      n += (await core.listNamespacedPod({ namespace, limit: 500 })).items
        .length;
    }
    figures = done(n);
    break;
  }
  case "paginate": {
    let n = 0;
    for (let i = 0; i < PAGINATIONS; i++) n += await paginate();
    figures = done(n);
    break;
  }
  case "sync":
  case "objects": {
    globalThis.gc?.();
    const before = process.memoryUsage().heapUsed;
    const rssBefore = statusBytes("VmRSS");
    const informer = k8s.makeInformer(
      kc,
      pods,
      job === "objects"
        ? () => pagedList(namespace)
        : () => core.listNamespacedPod({ namespace }),
    );
    await informer.start();
    const count = informer.list().length;
    figures = done(count);
    globalThis.gc?.();
    figures.heapPerObject = (process.memoryUsage().heapUsed - before) / count;
    figures.rssPerObject = (statusBytes("VmRSS") - rssBefore) / count;
    await informer.stop();
    break;
  }
  case "fan": {
    const { count, sockets } = await manyInformers(Number(watches));
    figures = { ...done(count), sockets };
    break;
  }
  default:
    throw new Error(`unknown job ${job}`);
}
console.log(JSON.stringify(figures));
process.exit(0);
