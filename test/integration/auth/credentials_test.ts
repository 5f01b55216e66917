// Credentials against the real apiserver: exec plugins written by the test
// (token and client-certificate credentials, expiry, 401 refresh, failures)
// and token files that rotate. Clocks are injected: no real waiting.

import assert from "node:assert/strict";
import {
  CredentialError,
  KubeConfig,
  KubeConfigRestClient,
  KubernetesApiError,
} from "../../../mod.ts";
import { credentialsFor } from "../../../lib/auth/credentials.ts";
import { controlPlane } from "../../harness.ts";
import {
  kubeconfigFor,
  withTempDir,
  writeKubeconfig,
  writeScript,
} from "../../_helpers.ts";

const cp = await controlPlane();
const harnessOnly = cp.external || !cp.tokens.admin || !cp.users.limited;

async function runs(dir: string): Promise<number> {
  try {
    return (await Deno.readTextFile(`${dir}/runs`)).trim().split("\n").length;
  } catch {
    return 0;
  }
}

/** A plugin that counts its runs and prints `cred-<run>.json`, or `cred.json` when absent. */
async function countingPlugin(dir: string): Promise<string> {
  return await writeScript(
    dir,
    "plugin.sh",
    `echo run >> "${dir}/runs"
n=$(wc -l < "${dir}/runs" | tr -d ' ')
if [ -f "${dir}/cred-$n.json" ]; then cat "${dir}/cred-$n.json"; else cat "${dir}/cred.json"; fi`,
  );
}

function execCredential(
  status: Record<string, unknown>,
  apiVersion = "client.authentication.k8s.io/v1",
) {
  return JSON.stringify({ apiVersion, kind: "ExecCredential", status });
}

function execUser(command: string, extra: Record<string, unknown> = {}) {
  return {
    exec: {
      apiVersion: "client.authentication.k8s.io/v1",
      command,
      interactiveMode: "Never",
      ...extra,
    },
  };
}

/** Writes `status` as the counting plugin's credential and a kubeconfig that runs it. */
async function pluginKubeconfig(
  dir: string,
  status: Record<string, unknown>,
): Promise<string> {
  await Deno.writeTextFile(`${dir}/cred.json`, execCredential(status));
  const plugin = await countingPlugin(dir);
  return await writeKubeconfig(
    dir,
    "config",
    kubeconfigFor(
      cp.server,
      { "certificate-authority": cp.caFile },
      execUser(plugin),
    ),
  );
}

async function listDefault(client: KubeConfigRestClient) {
  return await client.performRequest({
    method: "GET",
    path: "/api/v1/namespaces/default/configmaps",
    expectJson: true,
  });
}

Deno.test({
  name:
    "an exec token plugin authenticates, and concurrent requests share one run",
  ignore: harnessOnly,
  fn: () =>
    withTempDir(async (dir) => {
      const file = await pluginKubeconfig(dir, { token: cp.tokens.admin });
      using client = await KubeConfigRestClient.readKubeConfig(file);
      const results = await Promise.all(
        Array.from({ length: 10 }, () => listDefault(client)),
      );
      assert.equal(results.length, 10);
      assert.equal(await runs(dir), 1);
    }),
});

Deno.test({
  name: "concurrent first requests share one plugin run",
  ignore: harnessOnly,
  fn: () =>
    withTempDir(async (dir) => {
      const file = await pluginKubeconfig(dir, { token: cp.tokens.admin });
      const config = await KubeConfig.readFromPath(file);
      const ctx = config.fetchContext();
      const states = await Promise.all(
        Array.from({ length: 8 }, () => credentialsFor(ctx).get()),
      );
      assert.ok(states.every((s) => s === states[0]));
      assert.equal(await runs(dir), 1);
    }),
});

Deno.test({
  name:
    "a v1beta1 plugin named by a path relative to the kubeconfig runs from any working directory",
  ignore: harnessOnly,
  fn: () =>
    withTempDir(async (dir) => {
      await Deno.mkdir(`${dir}/bin`);
      await Deno.writeTextFile(
        `${dir}/cred.json`,
        execCredential(
          { token: cp.tokens.admin },
          "client.authentication.k8s.io/v1beta1",
        ),
      );
      await writeScript(`${dir}/bin`, "plugin.sh", `cat "${dir}/cred.json"`);
      const file = await writeKubeconfig(
        dir,
        "config",
        kubeconfigFor(cp.server, { "certificate-authority": cp.caFile }, {
          exec: {
            apiVersion: "client.authentication.k8s.io/v1beta1",
            command: "./bin/plugin.sh",
          },
        }),
      );
      const config = await KubeConfig.readFromPath(file);
      assert.equal(
        config.data.users?.[0].user.exec?.command,
        `${dir}/bin/plugin.sh`,
      );
      using client = await KubeConfigRestClient.forKubeConfig(config);
      const list = await listDefault(client) as { kind: string };
      assert.equal(list.kind, "ConfigMapList");
    }),
});

Deno.test({
  name: "an exec plugin's client certificate authenticates",
  ignore: harnessOnly || !("certPem" in cp.users.admin),
  fn: () =>
    withTempDir(async (dir) => {
      const admin = cp.users.admin as { certPem: string; keyPem: string };
      await Deno.writeTextFile(
        `${dir}/cred.json`,
        execCredential({
          clientCertificateData: admin.certPem,
          clientKeyData: admin.keyPem,
        }),
      );
      const plugin = await countingPlugin(dir);
      const file = await writeKubeconfig(
        dir,
        "config",
        kubeconfigFor(
          cp.server,
          { "certificate-authority": cp.caFile },
          execUser(plugin),
        ),
      );
      using client = await KubeConfigRestClient.readKubeConfig(file);
      const list = await listDefault(client) as { kind: string };
      assert.equal(list.kind, "ConfigMapList");
    }),
});

Deno.test({
  name: "an expiring exec credential is replaced shortly before it expires",
  ignore: harnessOnly,
  fn: () =>
    withTempDir(async (dir) => {
      let now = Date.parse("2030-01-01T00:00:00Z");
      await Deno.writeTextFile(
        `${dir}/cred.json`,
        execCredential({
          token: cp.tokens.admin,
          expirationTimestamp: "2030-01-01T00:05:00Z",
        }),
      );
      const plugin = await countingPlugin(dir);
      const file = await writeKubeconfig(
        dir,
        "config",
        kubeconfigFor(
          cp.server,
          { "certificate-authority": cp.caFile },
          execUser(plugin),
        ),
      );
      using client = await KubeConfigRestClient.readKubeConfig(
        file,
        undefined,
        {
          credentials: { now: () => now },
        },
      );
      await listDefault(client);
      now += 4 * 60_000; // 1 minute left: still used
      await listDefault(client);
      assert.equal(await runs(dir), 1);
      now += 55_000; // 5 s left, inside the 10 s margin: replaced
      await listDefault(client);
      assert.equal(await runs(dir), 2);
    }),
});

Deno.test({
  name: "a 401 re-runs the exec plugin once, then gives up with the 401",
  ignore: harnessOnly,
  fn: () =>
    withTempDir(async (dir) => {
      await Deno.writeTextFile(
        `${dir}/cred-1.json`,
        execCredential({ token: "revoked-token" }),
      );
      const file = await pluginKubeconfig(dir, { token: cp.tokens.admin });
      using client = await KubeConfigRestClient.readKubeConfig(file);
      await listDefault(client);
      assert.equal(await runs(dir), 2, "one refresh after the 401");

      await Deno.writeTextFile(
        `${dir}/cred.json`,
        execCredential({ token: "still-revoked" }),
      );
      await Deno.remove(`${dir}/runs`);
      using stubborn = await KubeConfigRestClient.readKubeConfig(file);
      const err = await listDefault(stubborn).then(() => undefined, (e) => e);
      assert.ok(err instanceof KubernetesApiError);
      assert.ok(err.isUnauthorized());
      assert.equal(await runs(dir), 2, "construction + exactly one retry");
      assert.ok(
        !err.message.includes("still-revoked"),
        "no token in the message",
      );
    }),
});

Deno.test({
  name: "exec plugin env, args and cluster info reach the plugin",
  ignore: harnessOnly,
  fn: () =>
    withTempDir(async (dir) => {
      await Deno.writeTextFile(
        `${dir}/cred.json`,
        execCredential({ token: cp.tokens.admin }),
      );
      const plugin = await writeScript(
        dir,
        "plugin.sh",
        `printf '%s' "$KUBERNETES_EXEC_INFO" > "${dir}/info.json"
printf '%s|%s|%s' "$1" "$2" "$PLUGIN_FLAVOUR" > "${dir}/args"
cat "${dir}/cred.json"`,
      );
      const file = await writeKubeconfig(
        dir,
        "config",
        kubeconfigFor(
          cp.server,
          {
            "certificate-authority": cp.caFile,
            extensions: [{
              name: "client.authentication.k8s.io/exec",
              extension: { audience: "kube" },
            }],
          },
          execUser(plugin, {
            args: ["--region", "moon"],
            env: [{ name: "PLUGIN_FLAVOUR", value: "vanilla" }],
            provideClusterInfo: true,
          }),
        ),
      );
      using _client = await KubeConfigRestClient.readKubeConfig(file);
      assert.equal(
        await Deno.readTextFile(`${dir}/args`),
        "--region|moon|vanilla",
      );
      const info = JSON.parse(await Deno.readTextFile(`${dir}/info.json`));
      assert.equal(info.kind, "ExecCredential");
      assert.equal(info.apiVersion, "client.authentication.k8s.io/v1");
      assert.equal(info.spec.interactive, false);
      assert.equal(info.spec.cluster.server, cp.server);
      assert.equal(
        atob(info.spec.cluster["certificate-authority-data"]),
        cp.caPem,
      );
      assert.deepEqual(info.spec.cluster.config, { audience: "kube" });
    }),
});

Deno.test("exec plugin failures are CredentialErrors that name the user and never quote stdout", async () => {
  await withTempDir(async (dir) => {
    const cases: [string, string, (file: string, plugin: string) => string][] =
      [
        [
          "exit.sh",
          `echo "debug line" >&2; echo "boom: no credentials for you" >&2; exit 3`,
          (file, plugin) =>
            `KubeConfig ${file}: users["u"].user.exec: exec plugin "${plugin}" exited with code 3`,
        ],
        [
          "garbage.sh",
          `echo "token=abc123-secret"`,
          (file, plugin) =>
            `KubeConfig ${file}: users["u"].user.exec: exec plugin "${plugin}" printed no ExecCredential (its output is not JSON)`,
        ],
        [
          "wrongkind.sh",
          `echo '{"kind":"Pod","apiVersion":"v1"}'`,
          (file, plugin) =>
            `KubeConfig ${file}: users["u"].user.exec: exec plugin "${plugin}" printed no ExecCredential`,
        ],
        [
          "wrongversion.sh",
          `echo '${
            execCredential(
              { token: "t" },
              "client.authentication.k8s.io/v1beta1",
            )
          }'`,
          (file, plugin) =>
            `KubeConfig ${file}: users["u"].user.exec: exec plugin "${plugin}" printed an ExecCredential of apiVersion "client.authentication.k8s.io/v1beta1", expected client.authentication.k8s.io/v1`,
        ],
        [
          "empty.sh",
          `echo '${execCredential({})}'`,
          (file, plugin) =>
            `KubeConfig ${file}: users["u"].user.exec: exec plugin "${plugin}" printed an ExecCredential with neither a token nor a client certificate`,
        ],
      ];
    for (const [name, body, expected] of cases) {
      const plugin = await writeScript(dir, name, body);
      const file = await writeKubeconfig(
        dir,
        `${name}.config`,
        kubeconfigFor(cp.server, {}, execUser(plugin)),
      );
      const err = await KubeConfigRestClient.readKubeConfig(file).then(
        (c) => {
          c.close();
          return undefined;
        },
        (e) => e,
      );
      assert.ok(err instanceof CredentialError, name);
      assert.equal(err.message, expected(file, plugin));
      assert.equal(err.field, 'users["u"].user.exec');
      assert.ok(!err.message.includes("abc123-secret"));
    }
  });
});

Deno.test("a missing exec plugin says so, with its installHint", async () => {
  await withTempDir(async (dir) => {
    const file = await writeKubeconfig(
      dir,
      "config",
      kubeconfigFor(
        cp.server,
        {},
        execUser("kube-plugin-that-does-not-exist", {
          installHint: "Install it with: apt-get install kube-plugin\n",
        }),
      ),
    );
    const err = await KubeConfigRestClient.readKubeConfig(file).then(
      () => undefined,
      (e) => e,
    );
    assert.ok(err instanceof CredentialError);
    assert.equal(
      err.message,
      `KubeConfig ${file}: users["u"].user.exec: exec plugin "kube-plugin-that-does-not-exist" is not installed: Install it with: apt-get install kube-plugin`,
    );
  });
});

Deno.test("interactiveMode Always without a terminal fails before running anything", async () => {
  await withTempDir(async (dir) => {
    const plugin = await countingPlugin(dir);
    const config = KubeConfig.parse(
      JSON.stringify(
        kubeconfigFor(
          cp.server,
          {},
          execUser(plugin, { interactiveMode: "Always" }),
        ),
      ),
      `${dir}/config`,
    );
    const ctx = config.fetchContext(undefined, { isTerminal: () => false });
    await assert.rejects(() => ctx.getAuthHeader(), (err: Error) => {
      assert.ok(err instanceof CredentialError);
      assert.match(
        err.message,
        /needs an interactive terminal \(interactiveMode: Always\) but stdin is not one$/,
      );
      return true;
    });
    assert.equal(await runs(dir), 0);
  });
});

Deno.test({
  name:
    "a rotated tokenFile is used once the one-minute cache window has passed",
  ignore: harnessOnly,
  fn: () =>
    withTempDir(async (dir) => {
      let now = 1_000_000;
      const tokenFile = `${dir}/token`;
      await Deno.writeTextFile(tokenFile, `${cp.tokens.limited}\n`);
      const file = await writeKubeconfig(
        dir,
        "config",
        kubeconfigFor(cp.server, { "certificate-authority": cp.caFile }, {
          tokenFile: "token",
        }),
      );
      using client = await KubeConfigRestClient.readKubeConfig(
        file,
        undefined,
        {
          credentials: { now: () => now },
        },
      );
      const denied = await listDefault(client).then(() => undefined, (e) => e);
      assert.ok(
        denied instanceof KubernetesApiError && denied.isForbidden(),
        "the limited token",
      );

      await Deno.writeTextFile(tokenFile, cp.tokens.admin!);
      now += 30_000;
      const stillCached = await listDefault(client).then(
        () => undefined,
        (e) => e,
      );
      assert.ok(
        stillCached instanceof KubernetesApiError,
        "within the window: old token",
      );

      now += 31_000;
      const list = await listDefault(client) as { kind: string };
      assert.equal(
        list.kind,
        "ConfigMapList",
        "after the window: the new token",
      );
    }),
});

Deno.test({
  name:
    "after a 401, a rotated tokenFile is re-read at once, inside the cache window",
  ignore: harnessOnly,
  fn: () =>
    withTempDir(async (dir) => {
      const tokenFile = `${dir}/token`;
      await Deno.writeTextFile(tokenFile, "revoked-token");
      const file = await writeKubeconfig(
        dir,
        "config",
        kubeconfigFor(cp.server, { "certificate-authority": cp.caFile }, {
          tokenFile,
        }),
      );
      using client = await KubeConfigRestClient.readKubeConfig(
        file,
        undefined,
        {
          credentials: { now: () => 0 }, // the window never passes on its own
        },
      );
      await Deno.writeTextFile(tokenFile, cp.tokens.admin!);
      const list = await listDefault(client) as { kind: string };
      assert.equal(list.kind, "ConfigMapList");
    }),
});

Deno.test("a vanished tokenFile is a CredentialError naming the field", async () => {
  await withTempDir(async (dir) => {
    const file = await writeKubeconfig(
      dir,
      "config",
      kubeconfigFor(cp.server, {}, { tokenFile: "gone" }),
    );
    const err = await KubeConfigRestClient.readKubeConfig(file).then(
      () => undefined,
      (e) => e,
    );
    assert.ok(err instanceof CredentialError);
    assert.equal(
      err.message,
      `KubeConfig ${file}: users["u"].user.tokenFile: cannot read ${dir}/gone: no such file`,
    );
  });
});

Deno.test("legacy auth-providers: fresh cached tokens are used, stale ones explain how to refresh", async () => {
  const base = (provider: Record<string, unknown>) =>
    KubeConfig.parse(
      JSON.stringify(
        kubeconfigFor("https://example.invalid", {}, {
          "auth-provider": provider,
        }),
      ),
      "/virtual/config",
    );
  const now = Date.parse("2030-01-01T00:00:00Z");
  const gcp = base({
    name: "gcp",
    config: { "access-token": "ya29.fresh", expiry: "2030-01-01T01:00:00Z" },
  })
    .fetchContext(undefined, { now: () => now });
  assert.equal(await gcp.getAuthHeader(), "Bearer ya29.fresh");

  const stale = base({
    name: "gcp",
    config: { "access-token": "ya29.old", expiry: "2029-01-01T00:00:00Z" },
  })
    .fetchContext(undefined, { now: () => now });
  await assert.rejects(() => stale.getAuthHeader(), (err: Error) => {
    assert.ok(err instanceof CredentialError);
    assert.match(
      err.message,
      /^KubeConfig \/virtual\/config: users\["u"\]\.user\.auth-provider: the cached gcp access token expired at 2029-01-01T00:00:00Z; .*gke-gcloud-auth-plugin/,
    );
    assert.ok(!err.message.includes("ya29.old"));
    return true;
  });

  const jwt = (exp: number) =>
    `e30.${btoa(JSON.stringify({ exp })).replace(/=+$/, "")}.sig`;
  const oidc = base({
    name: "oidc",
    config: { "id-token": jwt(now / 1000 + 60) },
  })
    .fetchContext(undefined, { now: () => now });
  assert.equal(await oidc.getAuthHeader(), `Bearer ${jwt(now / 1000 + 60)}`);
  const oldOidc = base({
    name: "oidc",
    config: { "id-token": jwt(now / 1000 - 60) },
  })
    .fetchContext(undefined, { now: () => now });
  await assert.rejects(
    () => oldOidc.getAuthHeader(),
    /cached oidc id-token expired at 2029-12-31T23:59:00.000Z; .*kubelogin/,
  );

  const azure = base({ name: "azure", config: {} }).fetchContext();
  await assert.rejects(
    () => azure.getAuthHeader(),
    /auth-provider "azure" is not supported; use an exec credential plugin instead$/,
  );
});

Deno.test("a burst of 401s for one stale exec credential refreshes it once, shared by every request", async () => {
  await withTempDir(async (dir) => {
    // The plugin prints tok-<run>; the server accepts only tok-2, so every
    // request with the first credential is refused once.
    const plugin = await writeScript(
      dir,
      "plugin.sh",
      `echo run >> "${dir}/runs"
n=$(wc -l < "${dir}/runs" | tr -d ' ')
printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"tok-%s"}}' "$n"`,
    );
    await using server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      async (req) => {
        await new Promise((r) => setTimeout(r, Math.random() * 20));
        return req.headers.get("authorization") === "Bearer tok-2"
          ? Response.json({ kind: "ConfigMapList", items: [] })
          : Response.json({ kind: "Status", code: 401 }, { status: 401 });
      },
    );
    const file = await writeKubeconfig(
      dir,
      "config",
      kubeconfigFor(
        `http://127.0.0.1:${server.addr.port}`,
        {},
        execUser(plugin),
      ),
    );
    using client = await KubeConfigRestClient.readKubeConfig(file);
    assert.equal(await runs(dir), 1);
    const results = await Promise.all(
      Array.from({ length: 200 }, () => listDefault(client)),
    );
    assert.equal(results.length, 200);
    assert.equal(await runs(dir), 2, "one refresh for the stale credential");
  });
});
