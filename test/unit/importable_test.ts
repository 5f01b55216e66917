// The library is importable from anywhere: a script in an unrelated temp
// directory (no deno.json, so no import map) imports every public module
// of this repository by file URL, in a subprocess, and runs. js-yaml is
// reached through its full npm specifier in lib/_internal/yaml.ts, so the bare
// `js-yaml` alias is gone from deno.json. That is the transport package
// (the root deno.json's exports); the testing package in lib/testing/
// imports it by name, so a project maps both (as `deno add` does), which
// test/integration/testing/testing_module_test.ts covers.
// Needs no cluster: it spawns `deno` in a temp directory.

import assert from "node:assert/strict";
import { withTempDir } from "../_helpers.ts";

const repo = new URL("../../", import.meta.url);
const exportsMap = JSON.parse(
  await Deno.readTextFile(new URL("deno.json", repo)),
).exports as Record<string, string>;

Deno.test("a script outside the repository, with no deno.json, imports every public module by file URL and runs", async () => {
  await withTempDir(async (dir) => {
    const lines = ["const results: Record<string, string> = {};"];
    for (const [name, file] of Object.entries(exportsMap)) {
      const url = new URL(file, repo).href;
      lines.push(
        `try { await import(${JSON.stringify(url)}); results[${
          JSON.stringify(name)
        }] = "ok"; } catch (e) { results[${
          JSON.stringify(name)
        }] = String(e).split("\\n")[0]; }`,
      );
    }
    // And it runs: parse a manifest with the YAML module behind lib/objects/manifest.ts.
    lines.push(
      `const { parseManifests } = await import(${
        JSON.stringify(new URL("lib/objects/manifest.ts", repo).href)
      });`,
      `results["(run)"] = String(parseManifests("apiVersion: v1\\nkind: ConfigMap\\nmetadata: {name: x}\\ndata: {mode: 0644}\\n")[0].data.mode);`,
      "console.log(JSON.stringify(results));",
    );
    await Deno.writeTextFile(`${dir}/consumer.ts`, lines.join("\n"));
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--no-lock",
        `--allow-read=${new URL(repo).pathname}`,
        "consumer.ts",
      ],
      cwd: dir,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, stderr);
    const results = JSON.parse(new TextDecoder().decode(out.stdout)) as Record<
      string,
      string
    >;
    assert.equal(results["(run)"], "420");
    for (const name of Object.keys(exportsMap)) {
      assert.equal(results[name], "ok", `${name}: ${results[name]}`);
    }
  });
});
