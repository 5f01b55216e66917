// kubectl proxy against the real apiserver: one the user runs on TCP, and
// one KubectlProxyRestClient owns on a Unix socket.

import assert from "node:assert/strict";
import {
  KubeConfigRestClient,
  KubectlError,
  KubectlProxyRestClient,
} from "../../../mod.ts";
import { controlPlane } from "../../harness.ts";
import { alive } from "../../_helpers.ts";

const cp = await controlPlane();

Deno.test("forKubectlProxy reaches a real kubectl proxy on TCP", async () => {
  const proxy = new Deno.Command(cp.binaries.kubectl, {
    args: [`--kubeconfig=${cp.kubeconfigs.admin}`, "proxy", "--port=0"],
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  try {
    const reader = proxy.stdout.getReader();
    let out = "";
    while (!/Starting to serve on 127\.0\.0\.1:\d+/.test(out)) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`kubectl proxy did not start: ${out}`);
      out += new TextDecoder().decode(value);
    }
    const port = out.match(/127\.0\.0\.1:(\d+)/)![1];
    reader.releaseLock();
    using client = await KubeConfigRestClient.forKubectlProxy(
      `http://127.0.0.1:${port}`,
    );
    const api = await client.performRequest({
      method: "GET",
      path: "/api",
      expectJson: true,
    }) as { kind: string };
    assert.equal(api.kind, "APIVersions");
    const events = await client.performRequest({
      method: "GET",
      path: "/api/v1/namespaces",
      querystring: new URLSearchParams({ watch: "1", timeoutSeconds: "1" }),
      expectStream: true,
      expectJson: true,
    });
    const names = (await Array.fromAsync(
      events as ReadableStream<{ object: { metadata: { name: string } } }>,
    ))
      .map((e) => e.object.metadata.name);
    assert.ok(names.includes("default"));
    await proxy.stdout.cancel();
  } finally {
    proxy.kill("SIGTERM");
    await proxy.status;
  }
});

Deno.test("KubectlProxyRestClient owns a kubectl proxy on a Unix socket and stops it on close", async () => {
  const client = await KubectlProxyRestClient.start({
    kubeconfig: cp.kubeconfigs.admin,
    kubectl: cp.binaries.kubectl,
  });
  const socketDir = client.socketPath.replace(/\/[^/]+$/, "");
  const pid = client.pid;
  try {
    assert.ok(alive(pid));
    assert.equal(
      (await Deno.stat(socketDir)).mode! & 0o777,
      0o700,
      "a private directory",
    );
    assert.equal(client.defaultNamespace, "default");
    const list = await client.performRequest({
      method: "GET",
      path: "/api/v1/namespaces",
      expectJson: true,
    }) as { kind: string };
    assert.equal(list.kind, "NamespaceList");
    const missing = await client.performRequest({
      method: "GET",
      path: "/api/v1/namespaces/nope",
    }).then(
      () => undefined,
      (e) => e,
    );
    assert.ok(
      missing?.isNotFound?.(),
      "API errors are typed through the proxy too",
    );
  } finally {
    await client.close();
    await client.close();
  }
  assert.ok(!alive(pid), "the proxy stopped");
  await assert.rejects(() => Deno.stat(socketDir), Deno.errors.NotFound);
  await assert.rejects(
    () => client.performRequest({ method: "GET", path: "/api" }),
    /this KubectlProxyRestClient is closed/,
  );
});

Deno.test("a kubectl proxy that dies is reported, not hung on", async () => {
  await using client = await KubectlProxyRestClient.start({
    kubeconfig: cp.kubeconfigs.admin,
    kubectl: cp.binaries.kubectl,
  });
  Deno.kill(client.pid, "SIGKILL");
  while (client.running) await new Promise((r) => setTimeout(r, 10));
  const err = await client.performRequest({ method: "GET", path: "/api" }).then(
    () => undefined,
    (e) => e,
  );
  assert.ok(err instanceof KubectlError);
  assert.equal(err.message, "GET /api: kubectl proxy was killed by SIGKILL");
});

Deno.test("a kubectl proxy that cannot start says why", async () => {
  const err = await KubectlProxyRestClient.start({
    kubeconfig: "/nonexistent/kubeconfig",
    kubectl: cp.binaries.kubectl,
  }).then(() => undefined, (e) => e);
  assert.ok(err instanceof KubectlError);
  assert.match(
    err.message,
    /^kubectl proxy exited before serving: .*\/nonexistent\/kubeconfig/,
  );
});

Deno.test("a program that ends without close(), by an uncaught error or by SIGTERM, leaves no kubectl proxy (and, short of a signal, no socket directory)", async () => {
  const script = await Deno.makeTempFile({ suffix: ".ts" });
  try {
    await Deno.writeTextFile(
      script,
      `import { KubectlProxyRestClient } from ${
        JSON.stringify(import.meta.resolve("../../../mod.ts"))
      };
const client = await KubectlProxyRestClient.start({ kubeconfig: Deno.args[1], kubectl: Deno.args[2] });
console.log(JSON.stringify({ pid: client.pid, socketPath: client.socketPath }));
if (Deno.args[0] === "throw") setTimeout(() => { throw new Error("boom"); }, 10);
if (Deno.args[0] === "wait") setTimeout(() => {}, 60_000);
`,
    );
    for (const how of ["end", "throw", "wait"]) {
      const child = new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          "--quiet",
          `--config=${new URL("../../../deno.json", import.meta.url).pathname}`,
          script,
          how,
          cp.kubeconfigs.admin,
          cp.binaries.kubectl,
        ],
        stdin: "null",
        stdout: "piped",
        stderr: "null",
      }).spawn();
      const reader = child.stdout.getReader();
      let line = "";
      while (!line.includes("\n")) {
        const { value, done } = await reader.read();
        if (done) break;
        line += new TextDecoder().decode(value);
      }
      const { pid, socketPath } = JSON.parse(line);
      if (how === "wait") child.kill("SIGTERM");
      await reader.cancel();
      await child.status;
      const deadline = Date.now() + 5000;
      while (alive(pid) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
      }
      assert.ok(!alive(pid), `${how}: the kubectl proxy outlived the program`);
      if (how !== "wait") {
        await assert.rejects(
          () => Deno.stat(socketPath.replace(/\/[^/]+$/, "")),
          Deno.errors.NotFound,
          `${how}: the socket directory stayed`,
        );
      } else {
        // The documented case no handler of ours sees: tidy up after it.
        await Deno.remove(socketPath.replace(/\/[^/]+$/, ""), {
          recursive: true,
        }).catch(() => {});
      }
    }
  } finally {
    await Deno.remove(script);
  }
});
