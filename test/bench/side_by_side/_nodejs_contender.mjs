// One contender run of the side-by-side bench with @kubernetes/client-node,
// in its own Node.js process. Prints one JSON line of figures (the same as
// _measure.ts).
//
// Usage: node --expose-gc _nodejs_contender.mjs <client-node dir> <job> <kubeconfig> [namespace]

import { readFileSync } from "node:fs";
import process from "node:process";
import { pathToFileURL } from "node:url";

const [dir, job, kubeconfigPath, namespace = "default"] = process.argv.slice(2);
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

function peakRss() {
  const m = readFileSync("/proc/self/status", "utf8").match(
    /VmHWM:\s+(\d+) kB/,
  );
  return m ? Number(m[1]) * 1024 : process.memoryUsage().rss;
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
    peakRss: peakRss(),
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
  case "sync": {
    globalThis.gc?.();
    const before = process.memoryUsage().heapUsed;
    const informer = k8s.makeInformer(
      kc,
      pods,
      () => core.listNamespacedPod({ namespace }),
    );
    await informer.start();
    const count = informer.list().length;
    figures = done(count);
    globalThis.gc?.();
    figures.heapPerObject = (process.memoryUsage().heapUsed - before) / count;
    await informer.stop();
    break;
  }
  default:
    throw new Error(`unknown job ${job}`);
}
console.log(JSON.stringify(figures));
process.exit(0);
