// Documentation gate for `deno task check`: `deno doc --lint` over every path
// deno.json exports together — for the root package and each workspace member
// (lib/testing/, whose module doc is its manual) — (JSDoc on every export, no
// private types in public signatures; together, because the root is a facade
// whose signatures name types exported by the area entry points, as JSR reads
// the package), `deno check --doc`, which type-checks every JSDoc example, and
// `deno check --doc-only` on the Markdown manuals, which type-checks their
// ```ts blocks (they import "@denokube/transport/…", which deno.json's name
// resolves to this package).
// Usage: deno run --allow-read --allow-run .ci/check_docs.ts

const root = new URL("..", import.meta.url).pathname;
interface DenoJson {
  exports: string | Record<string, string>;
  workspace?: string[];
}
/** The files the package in `dir` (repository-relative) exports. */
async function exported(dir: string): Promise<string[]> {
  const config = JSON.parse(
    await Deno.readTextFile(`${root}${dir}deno.json`),
  ) as DenoJson;
  const paths = typeof config.exports === "string"
    ? [config.exports]
    : Object.values(config.exports);
  return paths.map((p) => `${dir}${p.replace(/^\.\//, "")}`);
}
const top = JSON.parse(
  await Deno.readTextFile(`${root}deno.json`),
) as DenoJson;
const entries = [
  ...new Set([
    ...await exported(""),
    ...(await Promise.all(
      (top.workspace ?? []).map((m) =>
        exported(`${m.replace(/^\.\//, "").replace(/\/?$/, "/")}`)
      ),
    )).flat(),
  ]),
].sort();
/**
 * Every module of the library (lib/ and transports/, the testing member
 * included): `deno check --doc` type-checks the examples of the files it is
 * given, not of the files they re-export, so examples on a symbol that an
 * entry point merely re-exports are checked only through this list.
 */
async function modulesUnder(dirs: string[]): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string) => {
    for await (const e of Deno.readDir(`${root}${dir}`)) {
      const path = `${dir}/${e.name}`;
      if (e.isDirectory) await walk(path);
      else if (e.name.endsWith(".ts") && !e.name.endsWith("_test.ts")) {
        out.push(path);
      }
    }
  };
  for (const dir of dirs) await walk(dir);
  return out.sort();
}
const modules = [
  ...new Set(["mod.ts", ...await modulesUnder(["lib", "transports"])]),
];
const manuals = [
  "README.md",
  "lib/README.md",
  "test/README.md",
  "test/bench/README.md",
];
let failed = false;
for (
  const [args, files] of [
    // The root alone, as a user's first page: every type its signatures
    // name must be on it too.
    [["doc", "--lint"], ["mod.ts"]],
    [["doc", "--lint"], entries],
    [["check", "--doc", "--quiet"], modules],
    [["check", "--doc-only", "--quiet"], manuals],
  ] as const
) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [...args, ...files],
    cwd: root,
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (!out.success) failed = true;
  console.log(
    `deno ${args.join(" ")} over ${files.length} ${
      files.length === 1
        ? files[0]
        : files === manuals
        ? "manuals"
        : files === modules
        ? "library modules (every example)"
        : "export paths"
    }: ${out.success ? "ok" : "FAILED"}`,
  );
}
if (failed) Deno.exit(1);
