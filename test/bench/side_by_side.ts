// The side-by-side bench (`deno task bench` runs it after `deno bench`):
// this library against @kubernetes/client-node (installed with npm into a
// temp dir, never a dependency) and against bare baselines in the same
// runtime (fetch, a BYOB read loop). Every contender runs in its own
// process; contenders are interleaved over ROUNDS rounds; the output is
// medians with min–max and a table of ratios against the issue's targets.
//
// Workloads: (a) a loopback server replaying 40,000 realistic Pod watch
// events, one chunk per event (the apiserver's framing) or 64 KiB chunks,
// over HTTP and HTTPS, decoded, and fed into a cache (Reflector vs
// informer); (b) the real apiserver of the test harness: GETs, 500-item
// lists, a 10,000-Pod paginated list, and a 10,000-Pod sync.
//
// Usage: deno run -A test/bench/side_by_side.ts (needs KUBE_TEST_CONTROL_PLANE,
// which test/run.ts sets). Env: SIDE_BY_SIDE_ROUNDS (default 5),
// SIDE_BY_SIDE_JOBS (comma-separated subset of job names).

import { type ControlPlaneInfo, DESCRIPTOR_ENV } from "@denokube/testing";
import { adminHttpClient } from "../../lib/testing/descriptor.ts";
import { createCa, issueCert } from "../../lib/testing/_pki.ts";
import { fakePod } from "../_pods.ts";
import type { Figures } from "./side_by_side/_measure.ts";

const CLIENT_NODE = "@kubernetes/client-node@1.4.0";
const ROUNDS = Number(Deno.env.get("SIDE_BY_SIDE_ROUNDS") ?? 5);
const EVENTS = 40_000;
const PODS = 10_000;
const NAMESPACE = "bench-side-by-side";
const here = new URL(".", import.meta.url).pathname;
const log = (m: string) => console.error(`side-by-side: ${m}`);

const descriptor = Deno.env.get(DESCRIPTOR_ENV);
if (!descriptor) {
  throw new Error(
    `${DESCRIPTOR_ENV} is not set: run through test/run.ts --bench`,
  );
}
const cp = JSON.parse(await Deno.readTextFile(descriptor)) as ControlPlaneInfo;
const tmp = await Deno.makeTempDir({ prefix: "side-by-side-" });

async function main(): Promise<void> {
  const clientNode = await installClientNode();
  const replay = await startReplayServers();
  try {
    const jobs = plan(clientNode !== undefined).filter((j) => {
      const only = Deno.env.get("SIDE_BY_SIDE_JOBS");
      return !only || only.split(",").includes(j.name);
    });
    if (jobs.some((j) => j.target === "apiserver")) await seedPods();
    const results = new Map<string, Figures[]>();
    for (let round = 0; round < ROUNDS; round++) {
      log(`round ${round + 1} of ${ROUNDS}`);
      for (const job of jobs) {
        const order = rotate(job.contenders, round);
        for (const contender of order) {
          const figures = await runContender(
            job,
            contender,
            clientNode,
            replay,
          );
          const key = `${job.name}|${contender}`;
          results.set(key, [...(results.get(key) ?? []), figures]);
        }
      }
    }
    report(jobs, results);
  } finally {
    await replay.close();
  }
}

interface Job {
  name: string;
  /** A replay server's kubeconfig key, or "apiserver". */
  target: string;
  what: string;
  contenders: string[];
}

function plan(withClientNode: boolean): Job[] {
  const cn = withClientNode ? ["client-node"] : [];
  const jobs: Job[] = [];
  for (const proto of ["http", "https"]) {
    for (const framing of ["event", "64k"]) {
      jobs.push({
        name: `decode-${proto}-${framing}`,
        target: `${proto}-${framing}`,
        what: `watch decode, ${proto.toUpperCase()}, ${
          framing === "event" ? "one chunk per event" : "64 KiB chunks"
        }`,
        contenders: ["ours", "byob", ...cn, "ceiling"],
      });
    }
  }
  jobs.push({
    name: "cache",
    target: "http-event",
    what: "events into a cache (Reflector vs informer), HTTP, per-event chunks",
    contenders: ["ours", ...cn],
  });
  jobs.push(
    {
      name: "get",
      target: "apiserver",
      what: "300 GETs",
      contenders: ["ours", "ours-roots", "fetch", ...cn],
    },
    {
      name: "list",
      target: "apiserver",
      what: "20 lists of 500 Pods",
      contenders: ["ours", "ours-roots", "fetch", ...cn],
    },
    {
      name: "paginate",
      target: "apiserver",
      what: "2 × 10,000 Pods in pages of 500",
      contenders: ["ours", "ours-roots", "fetch", ...cn],
    },
    {
      name: "sync",
      target: "apiserver",
      what: "sync 10,000 Pods (Reflector vs informer)",
      contenders: ["ours", ...cn],
    },
  );
  return jobs;
}

function rotate<T>(items: T[], by: number): T[] {
  const k = by % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}

async function installClientNode(): Promise<string | undefined> {
  const dir = `${tmp}/client-node`;
  await Deno.mkdir(dir);
  try {
    const out = await new Deno.Command("npm", {
      args: ["install", "--no-audit", "--no-fund", "--silent", CLIENT_NODE],
      cwd: dir,
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).output();
    if (!out.success) {
      log(
        `npm install ${CLIENT_NODE} failed, client-node is left out: ${
          new TextDecoder().decode(out.stderr).slice(0, 500)
        }`,
      );
      return undefined;
    }
  } catch (err) {
    log(`no npm (${err}), client-node is left out`);
    return undefined;
  }
  const version = await new Deno.Command("node", { args: ["--version"] })
    .output();
  log(
    `${CLIENT_NODE} on Node ${new TextDecoder().decode(version.stdout).trim()}`,
  );
  return dir;
}

interface Replay {
  kubeconfigs: Record<string, string>;
  close(): Promise<void>;
}

/**
 * Servers replaying one prepared watch body (each lists nothing first), in
 * a process of their own: see side_by_side/_replay_server.ts.
 */
async function startReplayServers(): Promise<Replay> {
  const pki = `${tmp}/pki`;
  await Deno.mkdir(pki);
  const ca = await createCa(pki, "ca", "side-by-side CA");
  const cert = await issueCert(pki, ca, {
    name: "server",
    commonName: "127.0.0.1",
    ipAddresses: ["127.0.0.1"],
    dnsNames: ["localhost"],
    usage: "server",
  });
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      `${here}side_by_side/_replay_server.ts`,
      String(EVENTS),
      cert.certFile,
      cert.keyFile,
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let first = "";
  while (!first.includes("\n")) {
    const { done, value } = await reader.read();
    if (done) throw new Error("the replay server ended before listening");
    first += value;
  }
  reader.releaseLock();
  const ports = JSON.parse(first) as Record<string, number>;
  const kubeconfigs: Record<string, string> = {};
  for (const [target, port] of Object.entries(ports)) {
    const proto = target.split("-")[0];
    const file = `${tmp}/${target}.kubeconfig`;
    await Deno.writeTextFile(
      file,
      JSON.stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [{
          name: "replay",
          cluster: {
            server: `${proto}://127.0.0.1:${port}`,
            // client-node refuses plain HTTP unless TLS checks are off.
            ...(proto === "https"
              ? { "certificate-authority": ca.certFile }
              : { "insecure-skip-tls-verify": true }),
          },
        }],
        users: [{ name: "replay", user: { token: "replay-token" } }],
        contexts: [{
          name: "replay",
          context: { cluster: "replay", user: "replay" },
        }],
        "current-context": "replay",
      }),
    );
    kubeconfigs[target] = file;
  }
  log(`replay servers (own process): ${EVENTS} events, ports ${first.trim()}`);
  return {
    kubeconfigs,
    close: async () => {
      child.kill("SIGKILL");
      await child.stdout.cancel().catch(() => {});
      await child.status;
    },
  };
}

/** 10,000 realistic Pods in NAMESPACE (unscheduled: no node needed). */
async function seedPods(): Promise<void> {
  const client = adminHttpClient(cp);
  const post = async (path: string, body: unknown) => {
    const r = await fetch(`${cp.server}${path}`, {
      method: "POST",
      client,
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    const text = await r.text();
    if (!r.ok && r.status !== 409) {
      throw new Error(
        `seed POST ${path}: HTTP ${r.status}: ${text.slice(0, 300)}`,
      );
    }
  };
  try {
    await post("/api/v1/namespaces", {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: NAMESPACE },
    });
    await post(`/api/v1/namespaces/${NAMESPACE}/serviceaccounts`, {
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: { name: "default" },
      automountServiceAccountToken: false,
    });
    const existing = await fetch(
      `${cp.server}/api/v1/namespaces/${NAMESPACE}/pods?limit=1`,
      { client },
    ).then((r) => r.json());
    const have = Number(existing.metadata?.remainingItemCount ?? 0) +
      existing.items.length;
    if (have >= PODS) return;
    const started = performance.now();
    let next = have;
    const worker = async () => {
      while (next < PODS) {
        const i = next++;
        const pod = fakePod(i, 1) as {
          metadata: Record<string, unknown>;
          spec: Record<string, unknown>;
          status?: unknown;
        };
        const { name, labels, annotations } = pod.metadata;
        delete pod.status;
        delete pod.spec.nodeName;
        await post(`/api/v1/namespaces/${NAMESPACE}/pods`, {
          apiVersion: "v1",
          kind: "Pod",
          metadata: { name, labels, annotations },
          spec: {
            ...pod.spec,
            // No scheduler answers to this name: with the test node up, the
            // Pods still stay Pending and cost the node nothing.
            schedulerName: "side-by-side-unscheduled",
            volumes: [{ name: "kube-api-access", emptyDir: {} }],
          },
        });
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    log(
      `seeded ${PODS} Pods in ${
        ((performance.now() - started) / 1000).toFixed(1)
      } s`,
    );
  } finally {
    client.close();
  }
}

async function runContender(
  job: Job,
  contender: string,
  clientNode: string | undefined,
  replay: Replay,
): Promise<Figures> {
  const kubeconfig = job.target === "apiserver"
    ? cp.kubeconfigs.admin
    : replay.kubeconfigs[job.target];
  const kind = job.name.startsWith("decode") ? "decode" : job.name;
  const [cmd, args] = contender === "client-node"
    ? [
      "node",
      [
        "--expose-gc",
        `${here}side_by_side/_nodejs_contender.mjs`,
        clientNode!,
        kind,
        kubeconfig,
        NAMESPACE,
      ],
    ]
    : [
      Deno.execPath(),
      [
        "run",
        "-A",
        "--v8-flags=--expose-gc",
        `${here}side_by_side/_deno_contender.ts`,
        kind,
        contender,
        kubeconfig,
        NAMESPACE,
      ],
    ];
  const out = await new Deno.Command(cmd, {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout).trim();
  if (!out.success) {
    throw new Error(
      `${job.name}/${contender} failed (${out.code}): ${
        new TextDecoder().decode(out.stderr).slice(-2000)
      }`,
    );
  }
  return JSON.parse(stdout.split("\n").at(-1)!) as Figures;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

const fmt = (x: number, digits = 0) =>
  x.toLocaleString("en-US", {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });

function report(jobs: Job[], results: Map<string, Figures[]>): void {
  const stat = (job: string, c: string, f: (x: Figures) => number) => {
    const runs = results.get(`${job}|${c}`);
    if (!runs?.length) return undefined;
    const xs = runs.map(f);
    return { med: median(xs), min: Math.min(...xs), max: Math.max(...xs) };
  };
  const rate = (x: Figures) => x.count / (x.ms / 1000);
  const cpuPer = (x: Figures) => x.cpuMs * 1000 / x.count;
  const mib = (x: Figures) => x.peakRss / 2 ** 20;
  console.log(
    `\n## Side by side (${ROUNDS} rounds, medians with min–max; ${CLIENT_NODE})\n`,
  );
  console.log(
    "| workload | contender | items/s | wall ms | CPU µs/item | peak RSS MiB | heap B/object |",
  );
  console.log("|---|---|---|---|---|---|---|");
  for (const job of jobs) {
    for (const c of job.contenders) {
      const r = stat(job.name, c, rate)!;
      const w = stat(job.name, c, (x) => x.ms)!;
      const cpu = stat(job.name, c, cpuPer)!;
      const rss = stat(job.name, c, mib)!;
      const heap = stat(job.name, c, (x) => x.heapPerObject ?? NaN);
      console.log(
        `| ${job.what} | ${c} | ${fmt(r.med)} (${fmt(r.min)}–${fmt(r.max)}) | ${
          fmt(w.med)
        } | ${fmt(cpu.med, 1)} (${fmt(cpu.min, 1)}–${fmt(cpu.max, 1)}) | ${
          fmt(rss.med)
        } (${fmt(rss.min)}–${fmt(rss.max)}) | ${
          heap && !Number.isNaN(heap.med) ? fmt(heap.med) : ""
        } |`,
      );
    }
  }
  const ratio = (
    job: string,
    a: string,
    b: string,
    f: (x: Figures) => number,
  ) => {
    const x = stat(job, a, f);
    const y = stat(job, b, f);
    return x && y ? x.med / y.med : undefined;
  };
  const rows: [string, number | undefined, string][] = [];
  for (const proto of ["http", "https"]) {
    for (const framing of ["event", "64k"]) {
      const job = `decode-${proto}-${framing}`;
      const strict = framing === "event";
      rows.push([
        `watch decode ${proto.toUpperCase()} ${framing}: ours / client-node events/s`,
        ratio(job, "ours", "client-node", rate),
        strict ? "≥ 2" : "",
      ]);
      rows.push([
        `watch decode ${proto.toUpperCase()} ${framing}: ours / BYOB loop events/s`,
        ratio(job, "ours", "byob", rate),
        strict ? "≥ 0.9" : "",
      ]);
    }
  }
  rows.push(
    [
      "events into cache: ours / informer events/s",
      ratio("cache", "ours", "client-node", rate),
      "≥ 2",
    ],
    [
      "events into cache: ours / informer CPU per event",
      ratio("cache", "ours", "client-node", cpuPer),
      "≤ 0.5",
    ],
    [
      "sync 10,000 Pods: ours / informer time",
      ratio("sync", "ours", "client-node", (x) => x.ms),
      "≤ 0.7",
    ],
    [
      "sync 10,000 Pods: ours / informer peak RSS",
      ratio("sync", "ours", "client-node", (x) => x.peakRss),
      "≤ 0.5",
    ],
    [
      "sync 10,000 Pods: ours / informer heap per object",
      ratio(
        "sync",
        "ours",
        "client-node",
        (x) => x.heapPerObject ?? NaN,
      ),
      "",
    ],
  );
  for (const job of ["get", "list", "paginate"]) {
    rows.push([
      `${job}: ours on Deno's TLS (as bare fetch) / bare fetch time`,
      ratio(job, "ours-roots", "fetch", (x) => x.ms),
      "≤ 1.05",
    ]);
    rows.push([
      `${job}: ours trusting the CA alone (default) / bare fetch time`,
      ratio(job, "ours", "fetch", (x) => x.ms),
      "",
    ]);
    rows.push([
      `${job}: ours / client-node time`,
      ratio(job, "ours", "client-node", (x) => x.ms),
      "",
    ]);
  }
  console.log("\n| ratio | median | target |\n|---|---|---|");
  for (const [what, value, target] of rows) {
    if (value === undefined || Number.isNaN(value)) continue;
    console.log(`| ${what} | ${value.toFixed(2)} | ${target} |`);
  }
}

try {
  await main();
} finally {
  await Deno.remove(tmp, { recursive: true }).catch(() => {});
}
