// `deno task test` and `deno task bench`: installs etcd / kube-apiserver /
// kubectl when missing, starts one control plane, runs every suite against
// it, and stops it whatever happens — test failures, Ctrl-C, SIGTERM. (A
// SIGKILL of this process is covered by the servers' parent-death signal.)
//
// Usage: deno run -A test/run.ts [--bench] [deno test args, e.g. files or --filter]
// With KUBE_TEST_KUBECONFIG=<file> the suites run against that cluster instead.

import {
  describe,
  describeExternal,
  DESCRIPTOR_ENV,
  diesWithParent,
  ensureBinaries,
  EXTERNAL_KUBECONFIG_ENV,
  type RunningControlPlane,
  startControlPlane,
} from "./control_plane.ts";

const bench = Deno.args.includes("--bench");
const passthrough = Deno.args.filter((a) => a !== "--bench");
const log = (m: string) => console.error(`test harness: ${m}`);

const binaries = await ensureBinaries();
let running: RunningControlPlane | undefined;
let descriptorPath: string;
let cleanupDir: string | undefined;

const external = Deno.env.get(EXTERNAL_KUBECONFIG_ENV);
if (external) {
  const info = await describeExternal(external, binaries);
  log(`testing against the existing cluster ${info.server} (${external})`);
  descriptorPath = `${info.dir}/control-plane.json`;
  cleanupDir = info.dir;
  await Deno.writeTextFile(descriptorPath, JSON.stringify(info));
} else {
  running = await startControlPlane({ binaries, log });
  descriptorPath = `${running.dir}/control-plane.json`;
  await Deno.writeTextFile(descriptorPath, JSON.stringify(describe(running)));
}

const onSignal = (code: number) => () => {
  running?.stopSync();
  Deno.exit(code);
};
Deno.addSignalListener("SIGINT", onSignal(130));
Deno.addSignalListener("SIGTERM", onSignal(143));

let code = 1;
try {
  const argv = await diesWithParent([
    Deno.execPath(),
    bench ? "bench" : "test",
    "--allow-all",
    ...(bench ? ["--v8-flags=--expose-gc"] : []),
    ...passthrough,
  ], "TERM");
  const child = new Deno.Command(argv[0], {
    args: argv.slice(1),
    env: { [DESCRIPTOR_ENV]: descriptorPath },
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
} finally {
  await running?.stop();
  if (cleanupDir) await Deno.remove(cleanupDir, { recursive: true });
}
Deno.exit(code);

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
