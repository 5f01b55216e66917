// What a client starts must not outlive the program, nor keep it running:
// a client with tls-server-name that is never closed lets the program end
// (its loopback forwarder is unref'd). Checked in a child Deno process
// against the real apiserver.

import assert from "node:assert/strict";
import { controlPlane } from "../../harness.ts";
import {
  adminUserFields,
  kubeconfigFor,
  withTempDir,
  writeKubeconfig,
} from "../../_helpers.ts";

const cp = await controlPlane();

Deno.test("a client with tls-server-name that is never closed does not keep the program alive", async () => {
  await withTempDir(async (dir) => {
    const kc = await writeKubeconfig(
      dir,
      "kubeconfig",
      kubeconfigFor(cp.server, {
        "certificate-authority": cp.caFile,
        "tls-server-name": "kubernetes.default.svc",
      }, adminUserFields(cp)),
    );
    const script = `${dir}/forgets_close.ts`;
    await Deno.writeTextFile(
      script,
      `import { KubeConfigRestClient } from ${
        JSON.stringify(import.meta.resolve("../../../mod.ts"))
      };
const client = await KubeConfigRestClient.readKubeConfig(Deno.args[0]);
const api = await client.performRequest({ method: "GET", path: "/api", expectJson: true });
console.log(api.kind); // and no close()
`,
    );
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--quiet",
        `--config=${new URL("../../../deno.json", import.meta.url).pathname}`,
        script,
        kc,
      ],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
    const out = await child.output();
    clearTimeout(timer);
    assert.equal(
      new TextDecoder().decode(out.stdout),
      "APIVersions\n",
      new TextDecoder().decode(out.stderr),
    );
    assert.ok(out.success, "the program ended by itself, before 15 s");
  });
});
