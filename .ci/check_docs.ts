// Documentation gate for `deno task check`: `deno doc --lint` on mod.ts
// alone (what users see first) and over every path deno.json exports (JSDoc on every export, no private types in public
// signatures), and `deno check --doc`, which type-checks every example.
// Usage: deno run --allow-read --allow-run .ci/check_docs.ts

const root = new URL("..", import.meta.url).pathname;
const config = JSON.parse(await Deno.readTextFile(`${root}deno.json`)) as {
  exports: Record<string, string>;
};
const entries = [...new Set(Object.values(config.exports))].sort();
let failed = false;
for (
  const [args, files] of [
    [["doc", "--lint"], ["mod.ts"]],
    [["doc", "--lint"], entries],
    [["check", "--doc", "--quiet"], entries],
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
    `deno ${args.join(" ")} over ${
      files.length === 1 ? files[0] : `${files.length} export paths`
    }: ${out.success ? "ok" : "FAILED"}`,
  );
}
if (failed) Deno.exit(1);
