// `deno task test` and `deno task bench`: installs etcd / kube-apiserver /
// kubectl (and the node's parts) when missing, starts one control plane and
// a node, runs every suite against them, and stops them whatever happens —
// test failures, Ctrl-C, SIGTERM. (A SIGKILL of this process is covered by
// the servers' parent-death signal and the node's janitor.)
//
// Usage: deno run -A test/run.ts [--bench | --side-by-side | --unit] [deno test args, e.g. files or --filter]
// `--bench` runs `deno bench`, then the side-by-side suite (test/side_by_side.ts);
// `--side-by-side` runs only the latter. `--unit` runs only the test files
// that need no cluster (test/_tiers.ts), without starting or installing anything.
// With KUBE_TEST_KUBECONFIG=<file> the suites run against that cluster instead;
// with KUBE_TEST_CONTROL_PLANE=<descriptor> against the cluster it describes
// (the file is passed on, never written).

import { DESCRIPTOR_ENV, diesWithParent } from "./control_plane.ts";
import { suiteOptions } from "./harness.ts";
import { sharedCluster } from "../lib/testing/mod.ts";
import { testTiers } from "./_tiers.ts";

const sideBySideOnly = Deno.args.includes("--side-by-side");
const bench = Deno.args.includes("--bench") || sideBySideOnly;
const unit = Deno.args.includes("--unit");
const passthrough = Deno.args.filter((a) =>
  a !== "--bench" && a !== "--side-by-side" && a !== "--unit"
);
const log = (m: string) => console.error(`test harness: ${m}`);

const cluster = unit ? undefined : await sharedCluster(suiteOptions(log));
// A descriptor we were given is handed on as it is: it belongs to whoever
// started that cluster, and is never written to.
const given = Deno.env.get(DESCRIPTOR_ENV);
const descriptorPath = given ??
  (cluster ? `${cluster.dir}/control-plane.json` : "");
// The cluster's data (its methods are dropped): any process can attach to it.
if (cluster && !given) {
  await Deno.writeTextFile(descriptorPath, JSON.stringify(cluster));
}
if (unit && !passthrough.some((a) => !a.startsWith("-"))) {
  const { unit: files } = testTiers();
  passthrough.push(...files);
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
  if (bench && code === 0) code = await runSideBySide();
} finally {
  await cluster?.stop();
}
Deno.exit(code);

async function runSideBySide(): Promise<number> {
  const argv = await diesWithParent([
    Deno.execPath(),
    "run",
    "--allow-all",
    new URL("./side_by_side.ts", import.meta.url).pathname,
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
