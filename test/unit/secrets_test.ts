// Secrets never reach what we print. Every credential field of a kubeconfig
// carries a distinctive marker, and every failure we can drive — YAML the
// parser rejects, header values Deno would reject, token files and exec
// plugins that misbehave, servers that refuse, kubectl that fails, streams
// that are not JSON, autoDetectClient finding nothing — is checked: the
// marker is absent from the error's message, stack, cause chain,
// `JSON.stringify`, `Deno.inspect`, from the log lines (`log`,
// `KUBE_TRANSPORT_VERBOSE`) and from a subprocess's whole output. Runs
// without the test harness: servers here are local fakes.

import assert from "node:assert/strict";
import {
  autoDetectClient,
  CredentialError,
  InClusterRestClient,
  JsonLinesDecoder,
  KubeConfig,
  KubeConfigError,
  KubeConfigRestClient,
  KubectlProxyRestClient,
  KubectlRawRestClient,
  KubernetesApiError,
  type RestClient,
  StreamDecodeError,
} from "../../mod.ts";
import { credentialsFor } from "../../lib/auth/credentials.ts";
import {
  kubeconfigFor,
  rejection,
  withTempDir,
  writeScript,
} from "../_helpers.ts";

/** Every marker starts with this, so a partial quote is caught too. */
const TAG = "Zq7";
/** One marker per place a secret can be put. */
const M = {
  token: `${TAG}tokenMARKxK29vB4nQ0w`,
  tokenFile: `${TAG}tokenFileMARKxK29vB4n`,
  username: `${TAG}userMARKxK29vB4nQ0w8`,
  password: `${TAG}passMARKxK29vB4nQ0w8`,
  as: `${TAG}asMARKxK29vB4nQ0w8Lp`,
  url: `${TAG}urlMARKxK29vB4nQ0w8L`,
  exec: `${TAG}execMARKxK29vB4nQ0w8`,
  stderr: `${TAG}stderrMARKxK29vB4nQ0`,
  env: `${TAG}envMARKxK29vB4nQ0w8L`,
  key: `${TAG}keyMARKxK29vB4nQ0w8L`,
  stream: `${TAG}streamMARKxK29vB4nQ0`,
};

/** Every text a user, a log collector or a crash reporter could see of an error. */
function surfaces(err: unknown): string[] {
  const out = [String(err), Deno.inspect(err, { depth: 20 })];
  try {
    out.push(JSON.stringify(err) ?? "");
  } catch {
    // circular: Deno.inspect covers it
  }
  const seen = new Set<unknown>();
  const walk = (e: unknown) => {
    if (e === undefined || e === null || seen.has(e)) return;
    seen.add(e);
    if (e instanceof Error) {
      out.push(e.message, e.stack ?? "");
      out.push(JSON.stringify(e, Object.getOwnPropertyNames(e)) ?? "");
      walk(e.cause);
      if (e instanceof AggregateError) e.errors.forEach(walk);
      const attempts = (e as { attempts?: { cause?: unknown }[] }).attempts;
      attempts?.forEach((a) => walk(a.cause));
    } else {
      out.push(String(e));
    }
  };
  walk(err);
  return out;
}

function assertClean(what: string, texts: string[]): void {
  for (const text of texts) {
    assert.ok(
      !text.includes(TAG),
      `${what} shows a secret:\n${text.slice(0, 2000)}`,
    );
  }
}

function assertErrorClean(what: string, err: unknown): void {
  assertClean(what, surfaces(err));
}

/** A kubeconfig with one cluster and one user; the server is a fake unless given. */
function kubeconfig(
  user: Record<string, unknown>,
  server = "http://127.0.0.1:1",
  cluster: Record<string, unknown> = {},
): string {
  return JSON.stringify(
    kubeconfigFor(server, cluster, user, { contextName: "dev" }),
  );
}

/** A fake API server answering 401 with a Status, or what `handler` says. */
function fakeServer(
  handler: (req: Request) => Response | Promise<Response> = () =>
    Response.json({
      kind: "Status",
      apiVersion: "v1",
      status: "Failure",
      reason: "Unauthorized",
      message: "Unauthorized",
      code: 401,
    }, { status: 401 }),
): Deno.HttpServer<Deno.NetAddr> & { url: string } {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    handler,
  );
  return Object.assign(server, {
    url: `http://127.0.0.1:${server.addr.port}`,
  });
}

// --- YAML the parser rejects -------------------------------------------

const yamlUser = (field: string, value: string) =>
  `kind: Config\ncurrent-context: dev\nusers:\n- name: u\n  user:\n    ${field}: ${value}\n`;

Deno.test("YAML errors never quote a credential, whatever the parser objects to", () => {
  const fields = [
    "token",
    "password",
    "username",
    "as",
    "client-key-data",
    "tokenFile",
  ];
  const values = (m: string) => [
    `!${m}^x`, // a tag js-yaml quotes
    `!<tag:${m}> x`, // a verbatim tag
    `!${m}!x y`, // an undeclared tag handle
    `*${m}`, // an alias
    `"${m}\\q"`, // a bad escape
    `"${m}`, // an unterminated quote
    `'${m}`,
    `[${m}`,
    `{${m}: x`,
    `${m}\n   bad: [${m}`, // bad indentation
    `&${m} x\n    other: *${m}x`,
    `%${m}`,
    `${m}\n    ${m}: 1\n    ${m}: 2`, // a duplicated key named like the secret
  ];
  let failures = 0;
  for (const field of fields) {
    for (const value of values(M.password)) {
      try {
        KubeConfig.parse(yamlUser(field, value), "/kubeconfig");
      } catch (err) {
        failures++;
        assert.ok(err instanceof KubeConfigError, `${field}: ${err}`);
        assertErrorClean(`${field}: ${JSON.stringify(value)}`, err);
      }
    }
  }
  assert.ok(failures >= fields.length * 10, `only ${failures} failed`);
});

// --- header values ------------------------------------------------------

Deno.test("credentials with line breaks fail at load naming the field, never the value", () => {
  const bad = (m: string) => `${m}\r\nX-Injected: ${m}`;
  const users: [string, Record<string, unknown>][] = [
    ["token", { token: bad(M.token) }],
    ["as", { token: "t", as: bad(M.as) }],
    ["as-uid", { token: "t", "as-uid": bad(M.as) }],
    ["as-groups[0]", { token: "t", "as-groups": [bad(M.as)] }],
    ["as-user-extra.team[0]", {
      token: "t",
      "as-user-extra": { team: [bad(M.as)] },
    }],
    ["auth-provider.config.access-token", {
      "auth-provider": {
        name: "gcp",
        config: { "access-token": bad(M.token) },
      },
    }],
  ];
  for (const [field, user] of users) {
    const err = (() => {
      try {
        KubeConfig.parse(kubeconfig(user), "/kubeconfig");
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    assert.ok(err instanceof KubeConfigError, field);
    assert.equal(err.field, `users["u"].user.${field}`);
    assertErrorClean(field, err);
  }
});

Deno.test("a tokenFile holding a line break is a CredentialError naming the field", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/token`, `${M.tokenFile}\nsecond line`);
    await Deno.writeTextFile(
      `${dir}/config`,
      kubeconfig({ tokenFile: "token" }),
    );
    const err = await rejection(() =>
      KubeConfigRestClient.readKubeConfig(`${dir}/config`)
    );
    assert.ok(err instanceof CredentialError, String(err));
    assert.equal(err.field, 'users["u"].user.tokenFile');
    assert.equal(
      err.message,
      `KubeConfig ${dir}/config: users["u"].user.tokenFile: ${dir}/token holds a line break, which cannot be sent in an HTTP header`,
    );
    assertErrorClean("tokenFile", err);
  });
});

Deno.test("a token in a config built in memory is checked before use too", async () => {
  const config = new KubeConfig(
    JSON.parse(kubeconfig({ token: `${M.token}\n` })),
  );
  const err = await rejection(() => config.fetchContext().getAuthHeader());
  assert.ok(err instanceof CredentialError, String(err));
  assert.equal(err.field, 'users["u"].user.token');
  assertErrorClean("in-memory token", err);
});

Deno.test("a 200,000-character basic-auth password builds its header and fails typed", async () => {
  await using server = fakeServer();
  const password = M.password + "p".repeat(200_000);
  const config = KubeConfig.parse(
    kubeconfig({ username: M.username, password }, server.url),
    "/kubeconfig",
  );
  const header = await config.fetchContext().getAuthHeader();
  assert.ok(header?.startsWith("Basic "));
  assert.equal(
    new TextDecoder().decode(
      Uint8Array.from(atob(header!.slice(6)), (c) => c.charCodeAt(0)),
    ),
    `${M.username}:${password}`,
  );
  const lines: string[] = [];
  using client = await KubeConfigRestClient.forKubeConfig(config, undefined, {
    log: (l) => lines.push(l),
  });
  const err = await rejection(() =>
    client.performRequest({ method: "GET", path: "/api", expectJson: true })
  );
  // A fake server refuses the 267 kB header (400); a real one may say 431.
  assert.ok(err instanceof KubernetesApiError, String(err));
  assertErrorClean("basic auth 401", err);
  assertClean("log", lines);
});

// --- exec plugins --------------------------------------------------------

async function execKubeconfig(
  dir: string,
  script: string,
  extra: Record<string, unknown> = {},
): Promise<string> {
  const plugin = await writeScript(
    dir,
    `plugin-${crypto.randomUUID()}.sh`,
    script,
  );
  const file = `${dir}/config-${crypto.randomUUID()}`;
  await Deno.writeTextFile(
    file,
    kubeconfig({
      exec: {
        apiVersion: "client.authentication.k8s.io/v1",
        command: plugin,
        interactiveMode: "Never",
        env: [{ name: "PLUGIN_SECRET", value: M.env }],
        args: [`--secret=${M.env}`],
        ...extra,
      },
    }),
  );
  return file;
}

const cred = (status: Record<string, unknown>) =>
  JSON.stringify({
    apiVersion: "client.authentication.k8s.io/v1",
    kind: "ExecCredential",
    status,
  });

Deno.test("exec plugin failures never carry what the plugin printed", async () => {
  await withTempDir(async (dir) => {
    const scripts: [string, string][] = [
      [
        "stderr and exit 1",
        `echo "error: token ${M.stderr} rejected" >&2; echo "${M.stderr}" >&2; exit 1`,
      ],
      ["stdout that is not JSON", `echo "token=${M.exec}"`],
      ["JSON that is not an ExecCredential", `echo '{"token": "${M.exec}"'`],
      [
        "a token with a line break",
        `printf '%s' '${cred({ token: `${M.exec}\nX: y` })}'`,
      ],
      [
        "a token beyond Latin-1",
        `printf '%s' '${cred({ token: `${M.exec}\u0100` })}'`,
      ],
      [
        "a key that is not PEM",
        `printf '%s' '${
          cred({
            clientCertificateData:
              `-----BEGIN CERTIFICATE-----\n${M.key}\n-----END CERTIFICATE-----\n`,
            clientKeyData:
              `-----BEGIN PRIVATE KEY-----\n${M.key}\n-----END PRIVATE KEY-----\n`,
          })
        }'`,
      ],
      [
        "a wrong apiVersion holding a secret",
        `printf '%s' '{"kind":"ExecCredential","apiVersion":"${M.exec}","status":{"token":"x"}}'`,
      ],
      [
        "an invalid expirationTimestamp",
        `printf '%s' '${cred({ token: "x", expirationTimestamp: M.exec })}'`,
      ],
    ];
    for (const [name, script] of scripts) {
      const file = await execKubeconfig(dir, script);
      const relayed: string[] = [];
      const err = await rejection(() =>
        KubeConfigRestClient.readKubeConfig(file, undefined, {
          credentials: { execStderr: (text) => relayed.push(text) },
        })
      );
      assert.ok(err instanceof CredentialError, `${name}: ${err}`);
      assert.equal(err.field, 'users["u"].user.exec', name);
      assertErrorClean(name, err);
      if (name === "stderr and exit 1") {
        assert.match(err.message, /exited with code 1$/);
        assert.ok(
          relayed.join("").includes(M.stderr),
          "the explicit opt-in receives the plugin's stderr",
        );
      }
    }
  });
});

Deno.test("a hung exec plugin is killed when every caller gives up", async () => {
  await withTempDir(async (dir) => {
    const file = await execKubeconfig(
      dir,
      `echo $$ > "${dir}/pid"; echo "${M.stderr}" >&2; exec sleep 30`,
    );
    const ctx = (await KubeConfig.readFromPath(file)).fetchContext(undefined, {
      execStderr: "discard",
    });
    const started = performance.now();
    const a = credentialsFor(ctx).get(AbortSignal.timeout(300));
    const b = credentialsFor(ctx).get(AbortSignal.timeout(400));
    const [ea, eb] = await Promise.all([
      rejection(() => a),
      rejection(() => b),
    ]);
    const elapsed = performance.now() - started;
    for (const err of [ea, eb]) {
      assert.ok(
        err instanceof DOMException && err.name === "TimeoutError",
        String(err),
      );
    }
    assert.ok(elapsed < 2000, `took ${Math.round(elapsed)} ms`);
    const pid = Number((await Deno.readTextFile(`${dir}/pid`)).trim());
    let alive = true;
    for (let i = 0; i < 50 && alive; i++) {
      alive = (await new Deno.Command("kill", { args: ["-0", String(pid)] })
        .output()).success;
      if (alive) await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(!alive, "the plugin was killed");
  });
});

// --- URLs ---------------------------------------------------------------

Deno.test("a server URL's userinfo is never printed, by requests, logs or autoDetectClient", async () => {
  await withTempDir(async (dir) => {
    const file = `${dir}/config`;
    // Nothing listens on port 1: the request is refused.
    await Deno.writeTextFile(
      file,
      kubeconfig(
        { token: M.token },
        `http://admin:${M.url}@x@127.0.0.1:1`,
      ),
    );
    const lines: string[] = [];
    using client = await KubeConfigRestClient.readKubeConfig(file, undefined, {
      log: (l) => lines.push(l),
    });
    const err = await rejection(() =>
      client.performRequest({ method: "GET", path: "/api" })
    );
    assertErrorClean("refused request", err);
    assertClean("log", lines);

    const bad = `${dir}/bad`;
    await Deno.writeTextFile(
      bad,
      kubeconfig({ token: M.token }, `https://u:AAA@${M.url}@[bad`),
    );
    const loadErr = await rejection(() => KubeConfig.readFromPath(bad));
    assert.ok(loadErr instanceof KubeConfigError);
    assertErrorClean("invalid server URL", loadErr);

    const autoLines: string[] = [];
    Deno.env.set("KUBECONFIG", file);
    try {
      const autoErr = await rejection(() =>
        autoDetectClient({
          sources: ["KubeConfig", "KubectlProxy"],
          kubectlProxyUrl: `http://proxy:${M.url}@127.0.0.1:1`,
          probeTimeoutMs: 2000,
          log: (l) => autoLines.push(l),
        })
      );
      assert.equal((autoErr as Error).name, "AutoDetectError");
      assertErrorClean("autoDetectClient", autoErr);
      assertClean("autoDetectClient log", autoLines);
      assert.ok(autoLines.length >= 2);
    } finally {
      Deno.env.delete("KUBECONFIG");
    }
  });
});

// --- kubectl ------------------------------------------------------------

Deno.test("kubectl's stderr is relayed without anything token-shaped", async () => {
  await withTempDir(async (dir) => {
    const kubectl = await writeScript(
      dir,
      "kubectl",
      `cat >&2 <<'EOF'
plugin says: token=${M.exec}
${M.stderr}
Authorization: Bearer ${M.token}
eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIke00uZXhlY30ifQ.${M.token}
error: getting credentials: exec: executable plugin failed with exit code 1 (password: ${M.password})
EOF
exit 1`,
    );
    const lines: string[] = [];
    const client = new KubectlRawRestClient(undefined, {
      kubectl,
      log: (l) => lines.push(l),
    });
    client.defaultNamespace = "default"; // no `kubectl config view` run
    for (const expectStream of [false, true]) {
      const err = await rejection(() =>
        client.performRequest({ method: "GET", path: "/api", expectStream })
      );
      assert.equal((err as Error).name, "KubectlError", String(err));
      assert.match(
        (err as Error).message,
        /executable plugin failed with exit code 1/,
        "kubectl's own words are kept",
      );
      assertErrorClean(`kubectl (stream: ${expectStream})`, err);
    }
    assertClean("kubectl log", lines);
    assert.ok(lines.length > 0);
  });
});

// --- streams ------------------------------------------------------------

Deno.test("a malformed stream line keeps the parser's class, not its message", async () => {
  // An unquoted value: V8's message quotes the text around it.
  const line = `{"kind":"Secret","data":{"a":"${
    "x".repeat(60)
  }","token":${M.stream}}}\n`;
  const stream = ReadableStream.from([new TextEncoder().encode(line)])
    .pipeThrough(new JsonLinesDecoder());
  const err = await rejection(async () => {
    for await (const _ of stream) { /* drain */ }
  });
  assert.ok(err instanceof StreamDecodeError);
  assert.ok(err.cause instanceof SyntaxError, "the parser's class is kept");
  assertErrorClean("stream decode", err);
});

// --- a whole process ----------------------------------------------------

Deno.test("with KUBE_TRANSPORT_VERBOSE, a failing process prints no secret", async () => {
  await withTempDir(async (dir) => {
    await using server = fakeServer();
    await Deno.writeTextFile(`${dir}/token`, M.tokenFile);
    const configs: Record<string, string> = {
      token: kubeconfig(
        { token: M.token, as: "someone" },
        `http://u:${M.url}@127.0.0.1:${server.addr.port}`,
      ),
      tokenFile: kubeconfig({ tokenFile: `${dir}/token` }, server.url),
      basic: kubeconfig(
        { username: M.username, password: M.password },
        server.url,
      ),
      exec: "",
    };
    const execFile = await execKubeconfig(
      dir,
      `printf '%s' '${cred({ token: M.exec })}'`,
    );
    const script = `${dir}/main.ts`;
    await Deno.writeTextFile(
      script,
      `import { autoDetectClient, KubeConfigRestClient } from ${
        JSON.stringify(new URL("../../mod.ts", import.meta.url).href)
      };
for (const file of Deno.args) {
  try {
    const client = await KubeConfigRestClient.readKubeConfig(file);
    await client.performRequest({ method: "GET", path: "/api/v1/secrets", expectJson: true })
      .catch((err) => console.log("failed:", err));
    client.close();
  } catch (err) {
    console.log("failed to build:", err);
  }
  Deno.env.set("KUBECONFIG", file);
  await autoDetectClient({ sources: ["KubeConfig"], probeTimeoutMs: 2000 })
    .then((c) => (c as { close?(): void }).close?.(), (err) => console.log(err));
}
`,
    );
    const files: string[] = [];
    for (const [name, text] of Object.entries(configs)) {
      if (!text) continue;
      files.push(`${dir}/${name}.yaml`);
      await Deno.writeTextFile(`${dir}/${name}.yaml`, text);
    }
    files.push(execFile);
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        `--config=${new URL("../../deno.json", import.meta.url).pathname}`,
        script,
        ...files,
      ],
      env: { KUBE_TRANSPORT_VERBOSE: "1", NO_COLOR: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stdout = new TextDecoder().decode(out.stdout);
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, stderr);
    assert.match(stdout, /failed:/, "the requests failed (401)");
    assert.match(stderr, /\[kubernetes\] GET \/api\/v1\/secrets 401/);
    assertClean("subprocess output", [stdout, stderr]);
  });
});

Deno.test("a malformed watch line after a Secret's data quotes nothing, on every transport", async () => {
  // The line the attacker found: a Secret's value, then text that is not
  // JSON, so V8's message quotes the value.
  const line =
    `{"type":"ADDED","object":{"kind":"Secret","data":{"token":${M.stream}}}}\n`;
  await using server = fakeServer(() =>
    new Response(
      `{"type":"ADDED","object":{"kind":"Secret","metadata":{"name":"ok"}}}\n${line}`,
      { headers: { "content-type": "application/json" } },
    )
  );
  const config = (extra: Record<string, unknown> = {}) =>
    KubeConfig.parse(
      JSON.stringify(kubeconfigFor(server.url, {}, { token: "t", ...extra })),
      "/virtual/stream-config",
    );
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/token`, "t");
    await Deno.writeTextFile(`${dir}/namespace`, "default");
    // Never used (the fake server speaks plain HTTP), but it must be one.
    const made = await new Deno.Command("openssl", {
      args: [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-subj",
        "/CN=unused",
        "-days",
        "1",
        "-keyout",
        `${dir}/ca.key`,
        "-out",
        `${dir}/ca.crt`,
      ],
      stdout: "null",
      stderr: "null",
    }).output();
    assert.ok(made.success, "openssl made a CA certificate");
    const kubeconfigFile = `${dir}/config`;
    await Deno.writeTextFile(
      kubeconfigFile,
      JSON.stringify(kubeconfigFor(server.url, {}, { token: "t" })),
    );
    const kubectl = await findKubectl();
    const clients: [string, () => Promise<RestClient & AsyncDisposable>][] = [
      // Watches go over a connection of our own (transports/_http1_stream.ts).
      [
        "fetch transport, streamed GET",
        async () =>
          asyncDisposable(await KubeConfigRestClient.forKubeConfig(config())),
      ],
      // With an HttpClient of the caller's, they go through fetch.
      ["fetch transport, through fetch", () => {
        const httpClient = Deno.createHttpClient({});
        const client = new KubeConfigRestClient(
          config().fetchContext(),
          httpClient,
        );
        return Promise.resolve(
          {
            performRequest: client.performRequest.bind(client),
            [Symbol.asyncDispose]: () => {
              client.close();
              httpClient.close();
              return Promise.resolve();
            },
          } as RestClient & AsyncDisposable,
        );
      }],
      ["in-cluster", async () =>
        asyncDisposable(
          await InClusterRestClient.create({
            secretsPath: dir,
            baseUrl: server.url,
          }),
        )],
      ...(kubectl
        ? [
          ["kubectl --raw", () => {
            const client = new KubectlRawRestClient(undefined, {
              kubectl,
              kubeconfig: kubeconfigFile,
            });
            client.defaultNamespace = "default";
            return Promise.resolve(asyncDisposable(client));
          }] as [string, () => Promise<RestClient & AsyncDisposable>],
          ["kubectl proxy", async () =>
            await KubectlProxyRestClient.start({
              kubectl,
              kubeconfig: kubeconfigFile,
            })] as [string, () => Promise<RestClient & AsyncDisposable>],
        ]
        : []),
    ];
    if (!kubectl) {
      console.log(
        "  skipped for kubectl --raw and kubectl proxy: no kubectl on PATH",
      );
    }
    for (const [name, open] of clients) {
      await using client = await open();
      const stream = await client.performRequest({
        method: "GET",
        path: "/api/v1/secrets",
        querystring: new URLSearchParams({ watch: "true" }),
        expectStream: true,
        expectJson: true,
      });
      const seen: unknown[] = [];
      const err = await rejection(async () => {
        for await (const ev of stream) seen.push(ev);
      });
      assert.equal(seen.length, 1, `${name}: the good line is delivered`);
      assert.ok(err instanceof StreamDecodeError, `${name}: ${err}`);
      assert.equal(err.line, 2, name);
      assert.ok(err.cause instanceof SyntaxError, `${name}: class kept`);
      assert.match(err.message, /a ADDED event/, name);
      assertErrorClean(`stream decode (${name})`, err);
    }
  });
});

/** A client's `close()`, for `await using`. */
function asyncDisposable<T extends RestClient & { close?(): void }>(
  client: T,
): T & AsyncDisposable {
  return Object.assign(client, {
    [Symbol.asyncDispose]: () => Promise.resolve(client.close?.()),
  });
}

/** kubectl from PATH, if there is one. */
async function findKubectl(): Promise<string | undefined> {
  try {
    const out = await new Deno.Command("kubectl", {
      args: ["version", "--client"],
      stdout: "null",
      stderr: "null",
    }).output();
    return out.success ? "kubectl" : undefined;
  } catch {
    return undefined;
  }
}
