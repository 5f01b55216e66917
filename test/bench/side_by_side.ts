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
// lists, a 10,000-Pod paginated list, and a 10,000-Pod sync; (c) how cost
// grows (issue #22), on synthetic collections of the replay server: RSS per
// cached object at 10k and 100k Pods, 100 concurrent watches on one client,
// 10 observers of one shared watch against 10 separate Reflectors. "ours"
// is today's default Reflector; "ours-compact" asks for the compact store.
//
// Usage: deno run -A test/bench/side_by_side.ts (needs KUBE_TEST_CONTROL_PLANE,
// which test/run.ts sets). Env: SIDE_BY_SIDE_ROUNDS (default 5),
// SIDE_BY_SIDE_HEAVY_ROUNDS (rounds of the 100k-object job, default 2),
// SIDE_BY_SIDE_JOBS (comma-separated subset of job names).

import { type ControlPlaneInfo, DESCRIPTOR_ENV } from "@denokube/testing";
import { adminHttpClient } from "../../lib/testing/descriptor.ts";
import { createCa, issueCert } from "../../lib/testing/_pki.ts";
import { fakePod } from "../_pods.ts";
import type { Figures } from "./side_by_side/_measure.ts";
import {
  type Synthetic,
  syntheticNamespace,
} from "./side_by_side/_synthetic.ts";

const CLIENT_NODE = "@kubernetes/client-node@1.4.0";
const ROUNDS = Number(Deno.env.get("SIDE_BY_SIDE_ROUNDS") ?? 5);
const HEAVY_ROUNDS = Math.min(
  ROUNDS,
  Number(Deno.env.get("SIDE_BY_SIDE_HEAVY_ROUNDS") ?? 2),
);
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
    await warmSynthetic(jobs, replay);
    const results = new Map<string, Figures[]>();
    for (let round = 0; round < ROUNDS; round++) {
      log(`round ${round + 1} of ${ROUNDS}`);
      for (const job of jobs) {
        if (round >= (job.rounds ?? ROUNDS)) continue;
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
  /** What the contender processes run (their first argument). */
  kind: string;
  /** A replay server's kubeconfig key, or "apiserver". */
  target: string;
  what: string;
  contenders: string[];
  /** The replay server's synthetic collection the job reads; without one,
   *  the job reads NAMESPACE. */
  synthetic?: Synthetic;
  /** How many watches or observers (fan, shared). */
  watches?: number;
  /** Runs in the first this many rounds only (heavy jobs). */
  rounds?: number;
}

function plan(withClientNode: boolean): Job[] {
  const cn = withClientNode ? ["client-node"] : [];
  const jobs: Job[] = [];
  for (const proto of ["http", "https"]) {
    for (const framing of ["event", "64k"]) {
      jobs.push({
        name: `decode-${proto}-${framing}`,
        kind: "decode",
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
    kind: "cache",
    target: "http-event",
    what: "events into a cache (Reflector vs informer), HTTP, per-event chunks",
    contenders: ["ours", "ours-compact", ...cn],
  });
  jobs.push(
    {
      name: "get",
      kind: "get",
      target: "apiserver",
      what: "300 GETs",
      contenders: ["ours", "ours-roots", "fetch", ...cn],
    },
    {
      name: "list",
      kind: "list",
      target: "apiserver",
      what: "20 lists of 500 Pods",
      contenders: ["ours", "ours-roots", "fetch", ...cn],
    },
    {
      name: "paginate",
      kind: "paginate",
      target: "apiserver",
      what: "2 × 10,000 Pods in pages of 500",
      contenders: ["ours", "ours-roots", "fetch", ...cn],
    },
    {
      name: "sync",
      kind: "sync",
      target: "apiserver",
      what: "sync 10,000 Pods (Reflector vs informer)",
      contenders: ["ours", "ours-compact", "ours-compact-meta", ...cn],
    },
  );
  for (const [n, label] of [[10_000, "10k"], [100_000, "100k"]] as const) {
    jobs.push({
      name: `objects-${label}`,
      kind: "objects",
      target: "http-64k",
      what: `RSS per cached object, ${label} synthetic Pods (pages of 500)`,
      synthetic: { list: n, events: 0 },
      contenders: ["ours", "ours-compact", ...cn],
      rounds: n > 10_000 ? HEAVY_ROUNDS : undefined,
    });
  }
  jobs.push({
    name: "fan-100",
    kind: "fan",
    target: "http-event",
    what: "100 watches on one client (10 Pods listed + 100 events each)",
    synthetic: { list: 10, events: 100 },
    watches: 100,
    contenders: ["ours", "ours-compact", ...cn],
  });
  jobs.push({
    name: "shared-10",
    kind: "shared",
    target: "http-event",
    what:
      "10 observers of one collection (100 Pods listed + 4,000 events), per event delivered",
    synthetic: { list: 100, events: 4_000 },
    watches: 10,
    contenders: ["separate", "shared", "shared-compact"],
  });
  return jobs;
}

/**
 * Builds the replay server's synthetic collections before the first round
 * (a one-item page of each namespace a job reads), so no contender's
 * figures include the server generating them.
 */
async function warmSynthetic(jobs: Job[], replay: Replay): Promise<void> {
  for (const job of jobs) {
    const spec = job.synthetic;
    if (!spec) continue;
    const namespaces = job.kind === "fan"
      ? Array.from(
        { length: job.watches! },
        (_, i) => syntheticNamespace(spec, i),
      )
      : [syntheticNamespace(spec)];
    for (const ns of namespaces) {
      const r = await fetch(
        `http://127.0.0.1:${
          replay.ports[job.target]
        }/api/v1/namespaces/${ns}/pods?limit=1`,
      );
      await r.body?.cancel();
    }
  }
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
  /** Each listener's port, by kubeconfig key. */
  ports: Record<string, number>;
  /** Connections each listener accepted so far, by kubeconfig key. */
  accepted(): Promise<Record<string, number>>;
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
  const { stats, ...ports } = JSON.parse(first) as Record<string, number>;
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
    ports,
    accepted: () => fetch(`http://127.0.0.1:${stats}/`).then((r) => r.json()),
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
  const namespace = job.synthetic
    ? syntheticNamespace(job.synthetic)
    : NAMESPACE;
  const rest = [kubeconfig, namespace, String(job.watches ?? 1)];
  const [cmd, args] = contender === "client-node"
    ? [
      "node",
      [
        "--expose-gc",
        `${here}side_by_side/_nodejs_contender.mjs`,
        clientNode!,
        job.kind,
        ...rest,
      ],
    ]
    : [
      Deno.execPath(),
      [
        "run",
        "-A",
        "--v8-flags=--expose-gc",
        `${here}side_by_side/_deno_contender.ts`,
        job.kind,
        contender,
        ...rest,
      ],
    ];
  const before = job.target === "apiserver"
    ? undefined
    : await replay.accepted();
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
  const figures = JSON.parse(stdout.split("\n").at(-1)!) as Figures;
  if (before) {
    figures.connections = (await replay.accepted())[job.target] -
      before[job.target];
  }
  return figures;
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
  const spread = (
    s: { med: number; min: number; max: number } | undefined,
    digits = 0,
  ) =>
    s && !Number.isNaN(s.med)
      ? s.min === s.max
        ? fmt(s.med, digits)
        : `${fmt(s.med, digits)} (${fmt(s.min, digits)}–${fmt(s.max, digits)})`
      : "";
  // A compact contender whose Reflector did not know the option ran the
  // default Reflector: say so wherever its figures appear.
  const notCompact = new Set<string>();
  for (const job of jobs) {
    for (const c of job.contenders) {
      if (results.get(`${job.name}|${c}`)?.some((x) => x.compact === false)) {
        notCompact.add(`${job.name}|${c}`);
      }
    }
  }
  const label = (job: string, c: string) =>
    notCompact.has(`${job}|${c}`) ? `${c} (NOT compact: option unknown)` : c;
  console.log(
    `\n## Side by side (${ROUNDS} rounds, ${HEAVY_ROUNDS} for the 100k-object job; medians with min–max; ${CLIENT_NODE})\n`,
  );
  console.log(
    "| workload | contender | items/s | wall ms | CPU µs/item | peak RSS MiB | RSS B/object | heap B/object | connections | sockets held |",
  );
  console.log("|---|---|---|---|---|---|---|---|---|---|");
  for (const job of jobs) {
    for (const c of job.contenders) {
      const opt = (f: (x: Figures) => number | undefined) =>
        stat(job.name, c, (x) => f(x) ?? NaN);
      console.log(
        `| ${job.what} | ${label(job.name, c)} | ${
          spread(stat(job.name, c, rate))
        } | ${fmt(stat(job.name, c, (x) => x.ms)!.med)} | ${
          spread(stat(job.name, c, cpuPer), 1)
        } | ${spread(stat(job.name, c, mib))} | ${
          spread(opt((x) => x.rssPerObject))
        } | ${spread(opt((x) => x.heapPerObject))} | ${
          spread(opt((x) => x.connections))
        } | ${spread(opt((x) => x.sockets))} |`,
      );
    }
  }
  // A ratio of medians, and the spread of the per-round ratios (the
  // contenders of one round ran back to back, so their ratio is the
  // figure least disturbed by the machine's load drifting).
  const ratio = (
    job: string,
    a: string,
    b: string,
    f: (x: Figures) => number,
  ) => {
    const xs = results.get(`${job}|${a}`);
    const ys = results.get(`${job}|${b}`);
    if (!xs?.length || !ys?.length) return undefined;
    const per = xs.slice(0, ys.length).map((x, i) => f(x) / f(ys[i]));
    return {
      med: median(xs.map(f)) / median(ys.map(f)),
      min: Math.min(...per),
      max: Math.max(...per),
      stale: notCompact.has(`${job}|${a}`) || notCompact.has(`${job}|${b}`),
    };
  };
  const ms = (x: Figures) => x.ms;
  const peak = (x: Figures) => x.peakRss;
  const heap = (x: Figures) => x.heapPerObject ?? NaN;
  const rssObj = (x: Figures) => x.rssPerObject ?? NaN;
  const conns = (x: Figures) => x.connections ?? NaN;
  type Row = [string, ReturnType<typeof ratio>, string];
  const rows: Row[] = [];
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
      "events into cache: ours compact / informer events/s",
      ratio("cache", "ours-compact", "client-node", rate),
      "≥ 2.5",
    ],
    [
      "events into cache: ours compact / informer CPU per event",
      ratio("cache", "ours-compact", "client-node", cpuPer),
      "≤ 0.4",
    ],
    [
      "events into cache: ours compact / ours (previous edition) CPU per event",
      ratio("cache", "ours-compact", "ours", cpuPer),
      "",
    ],
    [
      "sync 10,000 Pods: ours / informer time",
      ratio("sync", "ours", "client-node", ms),
      "≤ 0.7",
    ],
    [
      "sync 10,000 Pods: ours / informer peak RSS",
      ratio("sync", "ours", "client-node", peak),
      "≤ 0.5",
    ],
    [
      "sync 10,000 Pods: ours / informer heap per object",
      ratio("sync", "ours", "client-node", heap),
      "",
    ],
    [
      "sync 10,000 Pods: ours compact / informer time",
      ratio("sync", "ours-compact", "client-node", ms),
      "≤ 0.5",
    ],
    [
      "sync 10,000 Pods: ours compact / informer peak RSS",
      ratio("sync", "ours-compact", "client-node", peak),
      "≤ 0.35",
    ],
    [
      "sync 10,000 Pods: ours compact / informer heap per object",
      ratio("sync", "ours-compact", "client-node", heap),
      "",
    ],
    [
      "sync 10,000 Pods: compact metadata-only / compact time",
      ratio("sync", "ours-compact-meta", "ours-compact", ms),
      "",
    ],
    [
      "sync 10,000 Pods: compact metadata-only / compact peak RSS",
      ratio("sync", "ours-compact-meta", "ours-compact", peak),
      "",
    ],
    [
      "sync 10,000 Pods: compact metadata-only / compact heap per object",
      ratio("sync", "ours-compact-meta", "ours-compact", heap),
      "",
    ],
  );
  for (const job of ["get", "list", "paginate"]) {
    rows.push([
      `${job}: ours on Deno's TLS (as bare fetch) / bare fetch time`,
      ratio(job, "ours-roots", "fetch", ms),
      "≤ 1.05",
    ]);
    rows.push([
      `${job}: ours trusting the CA alone (default) / bare fetch time`,
      ratio(job, "ours", "fetch", ms),
      "",
    ]);
    rows.push([
      `${job}: ours / client-node time`,
      ratio(job, "ours", "client-node", ms),
      "",
    ]);
  }
  for (const n of ["10k", "100k"]) {
    const job = `objects-${n}`;
    for (
      const [a, b] of [
        ["ours", "client-node"],
        ["ours-compact", "client-node"],
        ["ours-compact", "ours"],
      ]
    ) {
      rows.push([
        `${n} objects: ${a} / ${b} RSS per object`,
        ratio(job, a, b, rssObj),
        "",
      ]);
      rows.push([
        `${n} objects: ${a} / ${b} heap per object`,
        ratio(job, a, b, heap),
        "",
      ]);
    }
  }
  for (const a of ["ours", "ours-compact"]) {
    rows.push(
      [
        `100 watches: ${a} / client-node CPU per event`,
        ratio("fan-100", a, "client-node", cpuPer),
        "",
      ],
      [
        `100 watches: ${a} / client-node peak RSS`,
        ratio("fan-100", a, "client-node", peak),
        "",
      ],
      [
        `100 watches: ${a} / client-node connections`,
        ratio("fan-100", a, "client-node", conns),
        "",
      ],
    );
  }
  for (const a of ["shared", "shared-compact"]) {
    rows.push(
      [
        `10 observers: ${a} / separate CPU per event`,
        ratio("shared-10", a, "separate", cpuPer),
        "",
      ],
      [
        `10 observers: ${a} / separate peak RSS`,
        ratio("shared-10", a, "separate", peak),
        "",
      ],
      [
        `10 observers: ${a} / separate connections`,
        ratio("shared-10", a, "separate", conns),
        "",
      ],
    );
  }
  console.log(
    "\n| ratio | median | per round min–max | target |\n|---|---|---|---|",
  );
  for (const [what, r, target] of rows) {
    if (!r || Number.isNaN(r.med)) continue;
    console.log(
      `| ${what}${r.stale ? " (NOT compact: option unknown)" : ""} | ${
        r.med.toFixed(2)
      } | ${r.min.toFixed(2)}–${r.max.toFixed(2)} | ${target} |`,
    );
  }
  if (notCompact.size > 0) {
    console.log(
      `\nThe Reflector did not honour \`compact: true\` (${
        [...notCompact].join(", ")
      }): those rows are the default Reflector's figures.`,
    );
  }
}

try {
  await main();
} finally {
  await Deno.remove(tmp, { recursive: true }).catch(() => {});
}
