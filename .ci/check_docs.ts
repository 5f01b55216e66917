// Documentation gate for `deno task check`: `deno doc --lint` over every path
// deno.json exports together (JSDoc on every export, no private types in
// public signatures; together, because the root is a facade whose signatures
// name types exported by the area entry points, as JSR reads the package),
// `deno check --doc`, which type-checks every JSDoc example, and
// `deno check --doc-only` on the Markdown manuals, which type-checks their
// ```ts blocks (they import "@denokube/transport/…", which deno.json's name
// resolves to this package).
// Usage: deno run --allow-read --allow-run .ci/check_docs.ts

const root = new URL("..", import.meta.url).pathname;
const config = JSON.parse(await Deno.readTextFile(`${root}deno.json`)) as {
  exports: Record<string, string>;
};
const entries = [...new Set(Object.values(config.exports))].sort();
const manuals = [
  "README.md",
  "lib/README.md",
  "test/README.md",
  "test/bench/README.md",
];
let failed = false;
for (
  const [args, files] of [
    [["doc", "--lint"], entries],
    [["check", "--doc", "--quiet"], entries],
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
      files === manuals ? "manuals" : "export paths"
    }: ${out.success ? "ok" : "FAILED"}`,
  );
}
if (failed) Deno.exit(1);
