// `deno task test` and `deno task bench`: installs etcd / kube-apiserver /
// kubectl (and the node's parts) when missing, starts one control plane and
// a node, runs the suites against them, and stops them whatever happens —
// test failures, Ctrl-C, SIGTERM. (A SIGKILL of this process is covered by
// the servers' parent-death signal and the node's janitor.)
//
// Usage: deno run -A test/run.ts [--bench | --side-by-side | --unit] [deno test args: files, folders, --filter …]
// With no file or folder, `deno test` runs both tiers (test/unit and
// test/integration, test/_tiers.ts); the cluster starts only when what is
// selected reaches outside test/unit, so `deno task test test/unit/x_test.ts`
// starts nothing. `--unit` never starts or installs anything and runs
// test/unit unless files are given. `--bench` runs `deno bench` over
// test/bench (or the suites given), then, for a whole run, the
// side-by-side suite (test/bench/side_by_side.ts);
// `--side-by-side` runs only the latter. A `*_test.ts` outside the tier
// folders is refused (no tier would run it).
// With KUBE_TEST_KUBECONFIG=<file> the suites run against that cluster instead;
// with KUBE_TEST_CONTROL_PLANE=<descriptor> against the cluster it describes
// (the file is passed on, never written).

import { DESCRIPTOR_ENV, sharedCluster } from "@denokube/testing";
import { diesWithParent } from "../lib/testing/_processes.ts";
import { suiteOptions } from "./harness.ts";
import {
  BENCH_DIR,
  filesUnder,
  TIER_DIRS,
  tierOf,
  tierProblems,
} from "./_tiers.ts";

const sideBySideOnly = Deno.args.includes("--side-by-side");
const bench = Deno.args.includes("--bench") || sideBySideOnly;
const unit = Deno.args.includes("--unit");
const passthrough = Deno.args.filter((a) =>
  a !== "--bench" && a !== "--side-by-side" && a !== "--unit"
);
const log = (m: string) => console.error(`test harness: ${m}`);
const repo = new URL("../", import.meta.url).pathname;

// A stray test file would be skipped silently by a run over the tier
// folders: refuse instead (the import rule is .ci/check_test_tiers.ts's).
const strays = tierProblems(filesUnder(repo), new Map());
if (strays.length) {
  for (const p of strays) log(p);
  Deno.exit(1);
}

// Files and folders are the arguments that exist on disk (a flag's value,
// such as --filter's, does not).
const paths = passthrough.filter((a) => !a.startsWith("-") && exists(a));
if (paths.length === 0) {
  const dirs = bench
    ? [BENCH_DIR]
    : unit
    ? [TIER_DIRS.unit]
    : [TIER_DIRS.unit, TIER_DIRS.integration];
  passthrough.push(...dirs.map((d) => `${repo}${d}`));
}
const needsCluster = !unit &&
  (bench || paths.length === 0 ||
    paths.some((p) => tierOf(repoRelative(p)) !== "unit"));

const cluster = needsCluster
  ? await sharedCluster(suiteOptions(log))
  : undefined;
// A descriptor we were given is handed on as it is: it belongs to whoever
// started that cluster, and is never written to.
const given = Deno.env.get(DESCRIPTOR_ENV);
const descriptorPath = given ??
  (cluster ? `${cluster.dir}/control-plane.json` : "");
// The cluster's data (its methods are dropped): any process can attach to it.
if (cluster && !given) {
  await Deno.writeTextFile(descriptorPath, JSON.stringify(cluster));
}
const childEnv: Record<string, string> = cluster
  ? { [DESCRIPTOR_ENV]: descriptorPath }
  : {};

const onSignal = (code: number) => () => {
  cluster?.stopSync();
  Deno.exit(code);
};
Deno.addSignalListener("SIGINT", onSignal(130));
Deno.addSignalListener("SIGTERM", onSignal(143));

let code = 1;
try {
  code = sideBySideOnly ? 0 : await runSuites();
  // The side-by-side suite follows a whole bench run, not a chosen suite.
  if (bench && code === 0 && (sideBySideOnly || paths.length === 0)) {
    code = await runSideBySide();
  }
} finally {
  await cluster?.stop();
}
Deno.exit(code);

async function runSideBySide(): Promise<number> {
  const argv = await diesWithParent([
    Deno.execPath(),
    "run",
    "--allow-all",
    `--config=${repo}deno.json`,
    new URL("./bench/side_by_side.ts", import.meta.url).pathname,
  ], "TERM");
  const child = new Deno.Command(argv[0], {
    args: argv.slice(1),
    env: childEnv,
    stdin: "null",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  return (await child.status).code;
}

async function runSuites(): Promise<number> {
  let code = 1;
  const argv = await diesWithParent([
    Deno.execPath(),
    bench ? "bench" : "test",
    "--allow-all",
    // This workspace's packages (@denokube/transport, @denokube/testing)
    // resolve for test files given from anywhere, not only inside it.
    `--config=${repo}deno.json`,
    ...(bench ? ["--v8-flags=--expose-gc"] : []),
    ...passthrough,
  ], "TERM");
  const child = new Deno.Command(argv[0], {
    args: argv.slice(1),
    env: childEnv,
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const summary = await teeAndFindSummary(child.stdout);
  code = (await child.status).code;
  if (!bench) {
    // A plain closing line that any CI log reader understands.
    console.log(
      summary
        ? `tests: ${summary.passed} passed, ${summary.failed} failed` +
          (summary.ignored ? `, ${summary.ignored} skipped` : "")
        : "tests: no summary line from deno test",
    );
    if (!summary) code = code || 1;
  }
  return code;
}

async function teeAndFindSummary(
  stream: ReadableStream<Uint8Array>,
): Promise<{ passed: number; failed: number; ignored: number } | undefined> {
  let summary: { passed: number; failed: number; ignored: number } | undefined;
  let tail = "";
  const decoder = new TextDecoder();
  for await (const chunk of stream) {
    await Deno.stdout.write(chunk);
    tail = (tail + decoder.decode(chunk, { stream: true })).slice(-4096);
    // deno test ends with: "ok | 12 passed (3 steps) | 0 failed | 1 ignored (4s)"
    // deno-lint-ignore no-control-regex
    const plain = tail.replace(/\x1b\[[0-9;]*m/g, "");
    const m = plain.match(
      /(?:ok|FAILED) \| (\d+) passed(?: \(\d+ steps?\))? \| (\d+) failed(?: \(\d+ steps?\))?(?: \| (\d+) ignored)?/,
    );
    if (m) {
      summary = {
        passed: Number(m[1]),
        failed: Number(m[2]),
        ignored: Number(m[3] ?? 0),
      };
    }
  }
  return summary;
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** `path` (as given, relative to the working directory) from the repository root, folders ending in `/`. */
function repoRelative(path: string): string {
  const abs = Deno.realPathSync(path);
  const dir = Deno.statSync(abs).isDirectory ? "/" : "";
  return abs.startsWith(repo) ? abs.slice(repo.length) + dir : abs + dir;
}
