// autoDetectClient in real subprocesses (`deno run` with restricted flags)
// against the real apiserver: it never prompts, names the flag or file that
// would fix each source, and picks the right source when one works.

import assert from "node:assert/strict";
import { KubeConfigRestClient, KubernetesApiError } from "../../../mod.ts";
import { controlPlane } from "../../harness.ts";
import {
  alive,
  kubeconfigFor,
  withTempDir,
  writeKubeconfig,
  writeScript,
} from "../../_helpers.ts";

const cp = await controlPlane();
const probeScript =
  new URL("../../fixtures/auto_detect_probe.ts", import.meta.url).pathname;
const config = new URL("../../../deno.json", import.meta.url).pathname;
const apiPort = new URL(cp.server).port;

async function detect(
  flags: string[],
  env: Record<string, string>,
  options: Record<string, unknown> = {},
): Promise<{ stdout: string; stderr: string; code: number }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--no-prompt",
      `--config=${config}`,
      ...flags,
      probeScript,
      JSON.stringify(options),
    ],
    clearEnv: true,
    env: {
      PATH: Deno.env.get("PATH") ?? "",
      HOME: Deno.env.get("HOME") ?? "/root",
      NO_COLOR: "1",
      ...env,
    },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return {
    stdout: dec.decode(out.stdout),
    stderr: dec.decode(out.stderr),
    code: out.code,
  };
}

Deno.test("with no permissions every source names the flag that would fix it", async () => {
  const r = await detect([], {});
  assert.equal(r.code, 0, r.stderr);
  assert.equal(
    r.stdout,
    [
      "autoDetectClient: no way to reach a Kubernetes API server was found:",
      "  - InCluster: no permission to read KUBERNETES_SERVICE_HOST (fix: --allow-env=KUBERNETES_SERVICE_HOST,KUBERNETES_SERVICE_PORT)",
      "  - KubeConfig: no permission to read KUBECONFIG (fix: --allow-env=KUBECONFIG,HOME)",
      "  - KubectlProxy: no permission to connect to localhost:8001 (kubectl proxy) (fix: --allow-net=localhost:8001)",
      "  - KubectlRaw: no permission to run kubectl (fix: --allow-run=kubectl)",
      'attempts: [["InCluster","--allow-env=KUBERNETES_SERVICE_HOST,KUBERNETES_SERVICE_PORT"],["KubeConfig","--allow-env=KUBECONFIG,HOME"],["KubectlProxy","--allow-net=localhost:8001"],["KubectlRaw","--allow-run=kubectl"]]',
      "",
    ].join("\n"),
  );
  assert.doesNotMatch(
    r.stderr,
    /NotCapable|Requires .* access/,
    "nothing was denied at run time: every permission was queried",
  );
});

Deno.test({
  name: "it never prompts, even on a terminal",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    // `script` gives the child a real terminal, where Deno would prompt.
    const command =
      `${Deno.execPath()} run --config=${config} ${probeScript} '{}'`;
    const out = await new Deno.Command("script", {
      args: ["-qec", command, "/dev/null"],
      env: { NO_COLOR: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(60_000),
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    assert.equal(out.code, 0, text);
    assert.doesNotMatch(
      text,
      /requests|Allow\?|\[y\/n/i,
      "no permission prompt",
    );
    assert.match(
      text,
      /KubectlRaw: no permission to run kubectl \(fix: --allow-run=kubectl\)/,
    );
  },
});

Deno.test("with KUBECONFIG set, each missing permission is named, then the kubeconfig is chosen", async () => {
  const kc = cp.kubeconfigs.admin;
  const noRead = await detect(["--allow-env"], { KUBECONFIG: kc }, {
    sources: ["KubeConfig"],
  });
  assert.match(
    noRead.stdout,
    new RegExp(
      `- KubeConfig: no permission to read the kubeconfig ${kc} \\(fix: --allow-read=${kc}\\)`,
    ),
  );
  const noNet = await detect(["--allow-env", "--allow-read"], {
    KUBECONFIG: kc,
  }, { sources: ["KubeConfig"] });
  assert.match(
    noNet.stdout,
    new RegExp(
      `- KubeConfig: no permission to connect to 127\\.0\\.0\\.1:${apiPort} \\(the server of context kube-test\\) \\(fix: --allow-net=127\\.0\\.0\\.1:${apiPort}\\)`,
    ),
  );
  const chosen = await detect(
    ["--allow-env", "--allow-read", `--allow-net=127.0.0.1:${apiPort}`],
    { KUBECONFIG: `/nonexistent/first:${kc}` },
  );
  assert.equal(
    chosen.stdout,
    "chose KubeConfigRestClient default\n",
    chosen.stderr,
  );
});

Deno.test("without any kubeconfig or proxy, the reasons say what is missing", async () => {
  const r = await detect(
    ["--allow-env", "--allow-read", "--allow-net=localhost:8001"],
    { KUBECONFIG: "/nonexistent/kubeconfig" },
    {
      sources: ["InCluster", "KubeConfig", "KubectlProxy"],
      kubectlProxyUrl: "http://localhost:9",
    },
  );
  assert.match(
    r.stdout,
    /- InCluster: not in a pod \(KUBERNETES_SERVICE_HOST is unset\)\n/,
  );
  assert.match(
    r.stdout,
    /- KubeConfig: no kubeconfig: \/nonexistent\/kubeconfig does not exist \(fix: set KUBECONFIG or create ~\/\.kube\/config\)\n/,
  );
  assert.match(
    r.stdout,
    /- KubectlProxy: no permission to connect to localhost:9 \(kubectl proxy\) \(fix: --allow-net=localhost:9\)/,
  );
});

Deno.test({
  name: "with the in-cluster env and files it chooses InCluster",
  ignore: cp.external || !cp.users.limited,
  fn: () =>
    withTempDir(async (dir) => {
      using admin = await KubeConfigRestClient.readKubeConfig(
        cp.kubeconfigs.admin,
      );
      const tr = await admin.performRequest({
        method: "POST",
        path:
          `/api/v1/namespaces/${cp.limitedNamespace}/serviceaccounts/default/token`,
        bodyJson: {
          apiVersion: "authentication.k8s.io/v1",
          kind: "TokenRequest",
          spec: {},
        },
        expectJson: true,
      }) as { status: { token: string } };
      await Deno.writeTextFile(`${dir}/token`, tr.status.token);
      await Deno.writeTextFile(`${dir}/ca.crt`, cp.caPem);
      await Deno.writeTextFile(`${dir}/namespace`, cp.limitedNamespace);
      const env = {
        KUBERNETES_SERVICE_HOST: "127.0.0.1",
        KUBERNETES_SERVICE_PORT: apiPort,
        KUBECONFIG: cp.kubeconfigs.admin,
      };
      const flags = [
        "--allow-env=KUBERNETES_SERVICE_HOST,KUBERNETES_SERVICE_PORT,KUBECONFIG,HOME",
        `--allow-net=127.0.0.1:${apiPort}`,
      ];

      const noRead = await detect(flags, env, {
        secretsPath: dir,
        sources: ["InCluster"],
      });
      assert.match(
        noRead.stdout,
        new RegExp(
          `- InCluster: no permission to read the service-account directory ${dir} \\(fix: --allow-read=${dir}\\)`,
        ),
      );
      const chosen = await detect([...flags, `--allow-read=${dir}`], env, {
        secretsPath: dir,
      });
      assert.equal(
        chosen.stdout,
        `chose InClusterRestClient ${cp.limitedNamespace}\n`,
        chosen.stderr,
      );
    }),
});

Deno.test("a custom source order, and verbose mode saying which source won and why others did not", async () => {
  const r = await detect(
    ["--allow-env", "--allow-read", `--allow-run=${cp.binaries.kubectl}`],
    { KUBECONFIG: cp.kubeconfigs.admin },
    {
      sources: ["KubectlProxy", "KubectlRaw"],
      kubectl: cp.binaries.kubectl,
      log: true,
    },
  );
  assert.equal(r.stdout, "chose KubectlRawRestClient default\n", r.stderr);
  assert.match(
    r.stderr,
    /^autoDetectClient: KubectlProxy: no permission to connect to localhost:8001 \(kubectl proxy\) \(fix: --allow-net=localhost:8001\)\nautoDetectClient: using KubectlRaw\n/,
  );
});

Deno.test("an answer that is not APIVersions, or an API error, rejects a candidate", async () => {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (req) =>
      new URL(req.url).pathname === "/api"
        ? Response.json({
          kind: "Status",
          code: 401,
          reason: "Unauthorized",
          message: "nope",
        }, { status: 401 })
        : new Response("?", { status: 404 }),
  );
  try {
    const { autoDetectClient, AutoDetectError } = await import(
      "../../../mod.ts"
    );
    const err = await autoDetectClient({
      sources: ["KubectlProxy"],
      kubectlProxyUrl: `http://127.0.0.1:${server.addr.port}`,
    }).then(() => undefined, (e) => e);
    assert.ok(err instanceof AutoDetectError);
    assert.equal(err.attempts.length, 1);
    assert.ok(err.attempts[0].cause instanceof KubernetesApiError);
    assert.equal(err.errors[0], err.attempts[0].cause);
    assert.match(
      err.message,
      /KubectlProxy: http:\/\/127\.0\.0\.1:\d+ did not answer: GET \/api: HTTP 401 Unauthorized: nope$/,
    );
  } finally {
    await server.shutdown();
  }
});

Deno.test("probeTimeoutMs covers a hanging exec plugin, which is killed", async () => {
  await withTempDir(async (dir) => {
    const plugin = await writeScript(
      dir,
      "plugin.sh",
      `echo $$ > "${dir}/pid"\nexec sleep 30`,
    );
    await writeKubeconfig(
      dir,
      "config",
      kubeconfigFor(cp.server, {}, {
        exec: {
          apiVersion: "client.authentication.k8s.io/v1",
          command: plugin,
          interactiveMode: "Never",
        },
      }, { contextName: "hung" }),
    );
    const r = await detect(
      [
        "--allow-env",
        `--allow-read=${dir}`,
        `--allow-net=${new URL(cp.server).host}`,
        `--allow-run=${plugin}`,
      ],
      { KUBECONFIG: `${dir}/config` },
      { sources: ["KubeConfig"], probeTimeoutMs: 1000 },
    );
    assert.match(
      r.stdout,
      /- KubeConfig: getting credentials for context hung took more than 1000 ms \(the exec plugin was stopped\)\n/,
      r.stderr,
    );
    const elapsed = Number(r.stderr.match(/elapsed (\d+) ms/)?.[1]);
    assert.ok(elapsed < 3000, `took ${elapsed} ms with a 1000 ms budget`);
    const pid = (await Deno.readTextFile(`${dir}/pid`)).trim();
    assert.ok(!alive(Number(pid)), "the plugin is no longer running");
  });
});
