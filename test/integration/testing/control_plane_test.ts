// The test harness itself: the control plane is healthy, its users and RBAC
// are what the other suites rely on, its kubeconfigs work with the real
// kubectl, and the runner leaves nothing running, even when a test fails or
// the runner is killed.

import assert from "node:assert/strict";
import {
  ASSETS_ENV,
  type ControlPlaneInfo,
  DESCRIPTOR_ENV,
  findBinaries,
} from "@denokube/testing";
import {
  adminHeaders,
  adminHttpClient,
} from "../../../lib/testing/descriptor.ts";
import { controlPlane } from "../../harness.ts";
import { alive, until } from "../../_helpers.ts";

const cp = await controlPlane();

async function getJson(
  path: string,
  auth: { client?: Deno.HttpClient; token?: string } = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const client = auth.client ?? Deno.createHttpClient({ caCerts: [cp.caPem] });
  try {
    const r = await fetch(`${cp.server}${path}`, {
      client,
      headers: auth.token ? { authorization: `Bearer ${auth.token}` } : {},
    });
    return { status: r.status, body: await r.json() };
  } finally {
    if (!auth.client) client.close();
  }
}

Deno.test("the apiserver is ready and serves /version and /api", async () => {
  const client = adminHttpClient(cp);
  try {
    const headers = adminHeaders(cp);
    const ready = await fetch(`${cp.server}/readyz`, { client, headers });
    assert.equal(ready.status, 200);
    assert.equal(await ready.text(), "ok");
    const version = await fetch(`${cp.server}/version`, { client, headers });
    const v = await version.json();
    assert.equal(v.major, "1");
    const api = await fetch(`${cp.server}/api`, { client, headers });
    const apiBody = await api.json();
    assert.equal(apiBody.kind, "APIVersions");
    assert.deepEqual(apiBody.versions, ["v1"]);
  } finally {
    client.close();
  }
});

Deno.test({
  name:
    "users: admin cert and token are masters, limited cert and token only read their namespace",
  ignore: cp.external,
  fn: async () => {
    const limited = cp.users.limited!;
    const limitedClient = Deno.createHttpClient({
      caCerts: [cp.caPem],
      cert: limited.certPem,
      key: limited.keyPem,
    });
    const adminClient = adminHttpClient(cp);
    try {
      const own = `/api/v1/namespaces/${cp.limitedNamespace}/configmaps`;
      const other = "/api/v1/namespaces/default/configmaps";
      assert.equal((await getJson(other, { client: adminClient })).status, 200);
      assert.equal(
        (await getJson(other, { token: cp.tokens.admin })).status,
        200,
      );
      assert.equal((await getJson(own, { client: limitedClient })).status, 200);
      assert.equal(
        (await getJson(own, { token: cp.tokens.limited })).status,
        200,
      );
      const denied = await getJson(other, { client: limitedClient });
      assert.equal(denied.status, 403);
      assert.equal(denied.body.reason, "Forbidden");
      assert.equal(
        (await getJson(other, { token: cp.tokens.limited })).status,
        403,
      );
      // Read-only even at home.
      const write = await fetch(`${cp.server}${own}`, {
        method: "POST",
        client: limitedClient,
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          apiVersion: "v1",
          kind: "ConfigMap",
          metadata: { name: "x" },
        }),
      });
      await write.body?.cancel();
      assert.equal(write.status, 403);
      // No credentials: anonymous, as on most clusters, and so forbidden; a bad token: 401.
      const anonymous = await getJson(own);
      assert.equal(anonymous.status, 403);
      assert.match(String(anonymous.body.message), /system:anonymous/);
      assert.equal((await getJson(own, { token: "not-a-token" })).status, 401);
    } finally {
      limitedClient.close();
      adminClient.close();
    }
  },
});

Deno.test({
  name: "TokenRequest mints service-account tokens the apiserver accepts",
  ignore: cp.external,
  fn: async () => {
    const client = adminHttpClient(cp);
    try {
      const r = await fetch(
        `${cp.server}/api/v1/namespaces/${cp.limitedNamespace}/serviceaccounts/default/token`,
        {
          method: "POST",
          client,
          headers: { "content-type": "application/json" },
          body: JSON.stringify({
            apiVersion: "authentication.k8s.io/v1",
            kind: "TokenRequest",
            spec: { expirationSeconds: 600 },
          }),
        },
      );
      assert.equal(r.status, 201);
      const token = (await r.json()).status.token as string;
      assert.ok(token.split(".").length === 3, "a JWT");
      // The SA has no RBAC: authenticated (403, not 401) and named in the message.
      const denied = await getJson(
        `/api/v1/namespaces/${cp.limitedNamespace}/pods`,
        { token },
      );
      assert.equal(denied.status, 403);
      assert.match(
        String(denied.body.message),
        new RegExp(`system:serviceaccount:${cp.limitedNamespace}:default`),
      );
    } finally {
      client.close();
    }
  },
});

async function kubectl(
  args: string[],
  opts: { cwd?: string } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(cp.binaries.kubectl, {
    args,
    cwd: opts.cwd,
    env: { KUBECONFIG: "/nonexistent", HOME: "/nonexistent" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return {
    code: out.code,
    stdout: dec.decode(out.stdout),
    stderr: dec.decode(out.stderr),
  };
}

Deno.test({
  name:
    "every kubeconfig works with the real kubectl, the relative one from another directory",
  ignore: cp.external,
  fn: async () => {
    const elsewhere = await Deno.makeTempDir();
    try {
      const kc = cp.kubeconfigs;
      for (
        const [file, expectOk] of [
          [kc.admin, true],
          [kc.adminRelative!, true],
          [kc.adminToken!, true],
          [kc.limited!, false],
          [kc.limitedToken!, false],
        ] as const
      ) {
        const r = await kubectl(
          [
            "get",
            "--raw",
            "/api/v1/namespaces/default/configmaps",
            `--kubeconfig=${file}`,
          ],
          { cwd: elsewhere },
        );
        assert.equal(r.code === 0, expectOk, `${file}: ${r.stderr}`);
        if (!expectOk) assert.match(r.stderr, /Forbidden/);
      }
      const own = await kubectl([
        "get",
        "configmaps",
        "-o",
        "name",
        `--kubeconfig=${kc.limited}`,
      ], { cwd: elsewhere });
      assert.equal(own.code, 0, own.stderr);
      // The relative kubeconfig really is relative: its paths do not start with '/'.
      const text = await Deno.readTextFile(kc.adminRelative!);
      assert.match(text, /"certificate-authority": "certs\/ca.crt"/);
    } finally {
      await Deno.remove(elsewhere, { recursive: true });
    }
  },
});

async function runProbe(mode: "fail" | "hang") {
  const outFile = await Deno.makeTempFile();
  const env = Deno.env.toObject();
  delete env[DESCRIPTOR_ENV];
  const runner = new URL("../../run.ts", import.meta.url).pathname;
  const probe =
    new URL("../../fixtures/harness_probe.ts", import.meta.url).pathname;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", runner, probe],
    env: {
      ...env,
      KUBE_TEST_PROBE_OUT: outFile,
      KUBE_TEST_PROBE_MODE: mode,
      // One node per machine, and the outer run has it (node teardown: lib/testing/node_cleanup.sh).
      KUBE_TEST_NODE: "0",
    },
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const readProbe = async () => {
    const text = await Deno.readTextFile(outFile);
    return text
      ? JSON.parse(text) as Pick<ControlPlaneInfo, "pids" | "dir">
      : undefined;
  };
  return { child, readProbe, outFile };
}

Deno.test({
  name:
    "the runner given a descriptor (KUBE_TEST_CONTROL_PLANE) runs against that cluster and leaves the file as it was",
  ignore: cp.external,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "kube-test-descriptor-" });
    try {
      // Where a runner writes its own descriptor: the cluster's directory.
      const descriptor = `${dir}/control-plane.json`;
      const text = JSON.stringify({ ...cp, dir }, null, 2) + "\n";
      await Deno.writeTextFile(descriptor, text);
      await Deno.writeTextFile(
        `${dir}/attached_test.ts`,
        `Deno.test("attached", async () => {
  const { sharedCluster } = await import("@denokube/testing");
  const cluster = await sharedCluster();
  if (cluster.server !== ${
          JSON.stringify(cp.server)
        }) throw new Error(cluster.server);
});
`,
      );
      const out = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--allow-all",
          new URL("../../run.ts", import.meta.url).pathname,
          `${dir}/attached_test.ts`,
        ],
        env: { [DESCRIPTOR_ENV]: descriptor, KUBE_TEST_NODE: "0" },
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
        signal: AbortSignal.timeout(60_000),
      }).output();
      const stdout = new TextDecoder().decode(out.stdout);
      assert.equal(out.code, 0, stdout + new TextDecoder().decode(out.stderr));
      assert.match(stdout, /^tests: 1 passed, 0 failed$/m);
      // Compared, not diffed: the descriptor holds (test) keys and tokens.
      assert.ok(
        await Deno.readTextFile(descriptor) === text,
        "the descriptor was rewritten",
      );
      assert.deepEqual(
        [...Deno.readDirSync(dir)].map((e) => e.name).sort(),
        ["attached_test.ts", "control-plane.json"],
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "a failing test still stops the control plane: no process or directory left",
  ignore: cp.external || Deno.build.os !== "linux",
  fn: async () => {
    const { child, readProbe, outFile } = await runProbe("fail");
    const out = await child.output();
    const stdout = new TextDecoder().decode(out.stdout);
    assert.notEqual(out.code, 0, "the runner reports the failure");
    assert.match(stdout, /^tests: 0 passed, 1 failed$/m);
    const probe = await readProbe();
    assert.ok(probe?.pids, "the probe saw a running control plane");
    assert.ok(!alive(probe.pids.etcd), "etcd stopped");
    assert.ok(!alive(probe.pids.apiserver), "kube-apiserver stopped");
    await assert.rejects(() => Deno.stat(probe.dir), Deno.errors.NotFound);
    await Deno.remove(outFile);
  },
});

Deno.test({
  name:
    "a SIGKILLed runner takes etcd, kube-apiserver, the test process and the scratch directory with it",
  ignore: cp.external || Deno.build.os !== "linux",
  fn: async () => {
    const { child, readProbe, outFile } = await runProbe("hang");
    let probe: Awaited<ReturnType<typeof readProbe>>;
    await until(
      async () => (probe = await readProbe()) !== undefined,
      60_000,
      "the probe started",
    );
    const testPid = JSON.parse(await Deno.readTextFile(outFile))
      .runnerPid as number;
    assert.ok(alive(probe!.pids!.apiserver));
    child.kill("SIGKILL");
    await child.output();
    await until(() => !alive(probe!.pids!.etcd), 5000, "etcd gone");
    await until(() => !alive(probe!.pids!.apiserver), 5000, "apiserver gone");
    await until(() => !alive(testPid), 5000, "deno test gone");
    await until(
      () => Deno.stat(probe!.dir!).then(() => false, () => true),
      5000,
      "its janitor removed the scratch directory",
    );
    await Deno.remove(outFile);
  },
});

Deno.test("KUBEBUILDER_ASSETS (envtest's layout) supplies etcd, kube-apiserver and kubectl, ahead of PATH", async () => {
  const assets = await Deno.makeTempDir({ prefix: "kube-test-assets-" });
  const saved = Deno.env.get(ASSETS_ENV);
  try {
    for (
      const [name, real] of [
        ["etcd", cp.binaries.etcd],
        ["kube-apiserver", cp.binaries.kubeApiserver],
        ["kubectl", cp.binaries.kubectl],
      ]
    ) {
      await Deno.symlink(real, `${assets}/${name}`);
    }
    Deno.env.set(ASSETS_ENV, assets);
    const { found, missing } = await findBinaries();
    assert.deepEqual(missing, []);
    assert.deepEqual(found, {
      etcd: `${assets}/etcd`,
      kubeApiserver: `${assets}/kube-apiserver`,
      kubectl: `${assets}/kubectl`,
    });
    await Deno.remove(`${assets}/kube-apiserver`);
    const partial = await findBinaries();
    assert.notEqual(
      partial.found.kubeApiserver,
      `${assets}/kube-apiserver`,
      "a missing asset falls back to PATH or the cache",
    );
  } finally {
    if (saved === undefined) Deno.env.delete(ASSETS_ENV);
    else Deno.env.set(ASSETS_ENV, saved);
    await Deno.remove(assets, { recursive: true });
  }
});

Deno.test({
  name:
    "the control plane runs the aggregation layer's front proxy: its CA, allowed name and headers are published for aggregated API servers",
  // Another cluster's front proxy is configured by whoever runs it.
  ignore: cp.external,
  fn: async () => {
    const client = adminHttpClient(cp);
    try {
      const got = await getJson(
        "/api/v1/namespaces/kube-system/configmaps/extension-apiserver-authentication",
        { client },
      );
      assert.equal(got.status, 200);
      const data = got.body.data as Record<string, string>;
      // What a server built on k8s.io/apiserver (metrics-server) reads to
      // trust the aggregator's client certificate and its X-Remote-* headers.
      assert.match(
        data["requestheader-client-ca-file"] ?? "",
        /^-----BEGIN CERTIFICATE-----/,
      );
      assert.notEqual(data["requestheader-client-ca-file"], cp.caPem);
      assert.equal(
        data["requestheader-allowed-names"],
        '["front-proxy-client"]',
      );
      assert.equal(data["requestheader-username-headers"], '["X-Remote-User"]');
      assert.equal(data["requestheader-group-headers"], '["X-Remote-Group"]');
      assert.equal(
        data["requestheader-extra-headers-prefix"],
        '["X-Remote-Extra-"]',
      );
    } finally {
      client.close();
    }
  },
});
