// KubeConfigRestClient against the real apiserver (and, for what a real one
// cannot do, small local servers that speak real HTTP).

import assert from "node:assert/strict";
import {
  KubeConfig,
  KubeConfigError,
  KubeConfigRestClient,
  KubernetesApiError,
  StreamDecodeError,
  TransportError,
} from "../../../mod.ts";
import { controlPlane } from "../../harness.ts";
import {
  adminUserFields,
  closeAll,
  kubeconfigFor,
  withTempDir,
  writeKubeconfig,
} from "../../_helpers.ts";
import { withRetrySleep } from "../../../transports/fetch/_retry_sleep.ts";

const cp = await controlPlane();
const harnessOnly = cp.external || !cp.users.limited;

async function adminClient(): Promise<KubeConfigRestClient> {
  return await KubeConfigRestClient.readKubeConfig(cp.kubeconfigs.admin);
}

async function makeNamespace(
  client: KubeConfigRestClient,
  prefix: string,
): Promise<string> {
  const name = `${prefix}-${crypto.randomUUID().slice(0, 8)}`;
  await client.performRequest({
    method: "POST",
    path: "/api/v1/namespaces",
    bodyJson: { apiVersion: "v1", kind: "Namespace", metadata: { name } },
    expectJson: true,
  });
  return name;
}

function cm(
  name: string,
  data: Record<string, string> = {},
  labels: Record<string, string> = {},
) {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name, labels },
    data,
  };
}

Deno.test("CRUD through every overload: JSON, bytes, raw and streamed bodies, querystring merging", async () => {
  using client = await adminClient();
  const ns = await makeNamespace(client, "crud");
  const base = `/api/v1/namespaces/${ns}/configmaps`;

  const created = await client.performRequest({
    method: "POST",
    path: base,
    bodyJson: cm("one", { a: "1" }, { app: "x" }),
    expectJson: true,
  }) as { metadata: { name: string; resourceVersion: string } };
  assert.equal(created.metadata.name, "one");

  const raw = await client.performRequest({
    method: "POST",
    path: base,
    contentType: "application/json",
    bodyRaw: new TextEncoder().encode(
      JSON.stringify(cm("two", {}, { app: "y" })),
    ),
  });
  assert.ok(raw instanceof Uint8Array);
  assert.equal(JSON.parse(new TextDecoder().decode(raw)).metadata.name, "two");

  const streamed = await client.performRequest({
    method: "POST",
    path: base,
    contentType: "application/json",
    bodyStream: ReadableStream.from([
      new TextEncoder().encode(
        JSON.stringify(cm("three", {}, { app: "x" })).slice(0, 10),
      ),
      new TextEncoder().encode(
        JSON.stringify(cm("three", {}, { app: "x" })).slice(10),
      ),
    ]),
    expectJson: true,
  }) as { metadata: { name: string } };
  assert.equal(streamed.metadata.name, "three");

  const selected = await client.performRequest({
    method: "GET",
    path: `${base}?limit=10`,
    querystring: new URLSearchParams({ labelSelector: "app=x" }),
    expectJson: true,
  }) as { items: { metadata: { name: string } }[] };
  assert.deepEqual(selected.items.map((i) => i.metadata.name).sort(), [
    "one",
    "three",
  ]);

  const patched = await client.performRequest({
    method: "PATCH",
    path: `${base}/one`,
    contentType: "application/merge-patch+json",
    bodyJson: { data: { b: "2" } },
    expectJson: true,
  }) as { data: Record<string, string> };
  assert.deepEqual(patched.data, { a: "1", b: "2" });

  const deleted = await client.performRequest({
    method: "DELETE",
    path: `${base}/one`,
    expectJson: true,
  }) as { kind: string };
  assert.ok(["Status", "ConfigMap"].includes(deleted.kind));
  await client.performRequest({
    method: "DELETE",
    path: `/api/v1/namespaces/${ns}`,
    expectJson: true,
  });
});

Deno.test("every failure is a KubernetesApiError: 404 403 409 422 410, for JSON, bytes and streams", async () => {
  using client = await adminClient();
  const ns = await makeNamespace(client, "errs");
  const base = `/api/v1/namespaces/${ns}/configmaps`;
  const fail = (p: Promise<unknown>) =>
    p.then(() => assert.fail("expected a failure"), (e) => {
      assert.ok(e instanceof KubernetesApiError, String(e));
      return e as KubernetesApiError;
    });

  const notFound = await fail(
    client.performRequest({
      method: "GET",
      path: `${base}/nope`,
      expectJson: true,
    }),
  );
  assert.ok(notFound.isNotFound());
  assert.deepEqual(notFound.request, { method: "GET", path: `${base}/nope` });
  const notFoundBytes = await fail(
    client.performRequest({ method: "GET", path: `${base}/nope` }),
  );
  assert.ok(notFoundBytes.isNotFound());

  await client.performRequest({
    method: "POST",
    path: base,
    bodyJson: cm("dup"),
    expectJson: true,
  });
  const conflict = await fail(
    client.performRequest({ method: "POST", path: base, bodyJson: cm("dup") }),
  );
  assert.ok(conflict.isAlreadyExists() && conflict.httpCode === 409);

  const invalid = await fail(
    client.performRequest({
      method: "POST",
      path: base,
      bodyJson: cm("Bad_Name"),
    }),
  );
  assert.ok(invalid.isInvalid());
  assert.equal(invalid.details?.causes?.[0]?.field, "metadata.name");

  if (cp.etcdUrl) {
    // A continue token older than an etcd compaction: 410 Expired.
    await client.performRequest({
      method: "POST",
      path: base,
      bodyJson: cm("page-2"),
    });
    const first = await client.performRequest({
      method: "GET",
      path: base,
      querystring: new URLSearchParams({ limit: "1" }),
      expectJson: true,
    }) as { metadata: { continue: string } };
    await client.performRequest({
      method: "POST",
      path: base,
      bodyJson: cm("page-3"),
    });
    await cp.compactEtcd();
    const gone = await fail(client.performRequest({
      method: "GET",
      path: base,
      querystring: new URLSearchParams({
        limit: "1",
        continue: first.metadata.continue,
      }),
      expectJson: true,
    }));
    assert.ok(
      gone.isGone() && gone.httpCode === 410 && gone.reason === "Expired",
      gone.message,
    );
  }

  if (cp.users.limited) {
    using limited = await KubeConfigRestClient.readKubeConfig(
      cp.kubeconfigs.limited,
    );
    const forbidden = await fail(
      limited.performRequest({ method: "GET", path: base, expectJson: true }),
    );
    assert.ok(forbidden.isForbidden());
    const forbiddenWatch = await fail(limited.performRequest({
      method: "GET",
      path: base,
      querystring: new URLSearchParams({ watch: "1" }),
      expectStream: true,
      expectJson: true,
    }));
    assert.ok(
      forbiddenWatch.isForbidden(),
      "a stream request fails before streaming",
    );
    const forbiddenLog = await fail(limited.performRequest({
      method: "GET",
      path: `${base}/dup`,
      expectStream: true,
    }));
    assert.ok(forbiddenLog.isForbidden());
  }
  await client.performRequest({
    method: "DELETE",
    path: `/api/v1/namespaces/${ns}`,
  });
});

// Watch decoding and abort (before the request and mid-stream) are in the
// table shared with the kubectl transport: test/integration/transports/transport_parity_test.ts.

Deno.test({
  name:
    "impersonation: as the limited user is forbidden, as a master group is allowed",
  ignore: harnessOnly,
  fn: () =>
    withTempDir(async (dir) => {
      const path = "/api/v1/namespaces/default/configmaps";
      const asLimited = await writeKubeconfig(
        dir,
        "as-limited",
        kubeconfigFor(cp.server, { "certificate-authority": cp.caFile }, {
          ...adminUserFields(cp),
          as: "kube-test-limited",
        }),
      );
      using limited = await KubeConfigRestClient.readKubeConfig(asLimited);
      const err = await limited.performRequest({
        method: "GET",
        path,
        expectJson: true,
      }).then(
        () => undefined,
        (e) => e,
      );
      assert.ok(err instanceof KubernetesApiError && err.isForbidden());
      assert.match(err.message, /User "kube-test-limited" cannot list/);

      const asGroup = await writeKubeconfig(
        dir,
        "as-group",
        kubeconfigFor(cp.server, { "certificate-authority": cp.caFile }, {
          ...adminUserFields(cp),
          as: "someone-else",
          "as-groups": ["system:masters", "devs"],
          "as-user-extra": { "reason": ["testing"] },
        }),
      );
      using master = await KubeConfigRestClient.readKubeConfig(asGroup);
      const list = await master.performRequest({
        method: "GET",
        path,
        expectJson: true,
      }) as { kind: string };
      assert.equal(list.kind, "ConfigMapList");
    }),
});

Deno.test({
  name: "a relative-path kubeconfig works from another working directory",
  ignore: harnessOnly,
  fn: async () => {
    const script = `
      import { KubeConfigRestClient } from "${new URL(
      "../../../mod.ts",
      import.meta.url,
    )}";
      using c = await KubeConfigRestClient.readKubeConfig(Deno.args[0]);
      const r = await c.performRequest({ method: "GET", path: "/api", expectJson: true });
      console.log(r.kind);
    `;
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "eval",
        `--config=${new URL("../../../deno.json", import.meta.url).pathname}`,
        script,
        "../kubeconfigs/relative/admin.yaml",
      ],
      cwd: `${cp.dir}/pki`,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, stderr);
    assert.equal(new TextDecoder().decode(out.stdout).trim(), "APIVersions");
  },
});

Deno.test({
  name:
    "a merged KUBECONFIG: the first file defining a name wins, missing files are skipped",
  ignore: harnessOnly,
  fn: () =>
    withTempDir(async (dir) => {
      const first = await writeKubeconfig(dir, "first", {
        apiVersion: "v1",
        kind: "Config",
        "current-context": "main",
        contexts: [{
          name: "main",
          context: { cluster: "real", user: "admin", namespace: "from-first" },
        }],
      });
      const second = await writeKubeconfig(dir, "second", {
        apiVersion: "v1",
        kind: "Config",
        "current-context": "ignored",
        clusters: [{
          name: "real",
          cluster: { server: cp.server, "certificate-authority": cp.caFile },
        }],
        users: [{ name: "admin", user: adminUserFields(cp) }],
        contexts: [{
          name: "main",
          context: { cluster: "nowhere", user: "admin" },
        }],
      });
      const third = await writeKubeconfig(dir, "third", {
        apiVersion: "v1",
        kind: "Config",
        clusters: [{
          name: "real",
          cluster: { server: "https://127.0.0.1:1" },
        }],
      });
      const old = Deno.env.get("KUBECONFIG");
      Deno.env.set(
        "KUBECONFIG",
        [first, `${dir}/missing`, second, "", third].join(":"),
      );
      try {
        const config = await KubeConfig.getDefaultConfig();
        assert.deepEqual(config.files, [first, second, third]);
        assert.equal(config.data["current-context"], "main");
        assert.equal(config.sourceOf("context", "main"), first);
        assert.equal(config.sourceOf("cluster", "real"), second);
        using client = await KubeConfigRestClient.forKubeConfig(config);
        assert.equal(client.defaultNamespace, "from-first");
        await assertServesApi(client);

        const err = (() => {
          try {
            config.fetchContext("ignored");
          } catch (e) {
            return e;
          }
          return undefined;
        })();
        assert.ok(err instanceof KubeConfigError);
        assert.equal(
          err.message,
          `KubeConfig ${first}:${second}:${third}: context "ignored" (requested) is not defined`,
        );
      } finally {
        if (old === undefined) Deno.env.delete("KUBECONFIG");
        else Deno.env.set("KUBECONFIG", old);
      }
    }),
});

/** The client reaches the apiserver: GET /api answers APIVersions. */
async function assertServesApi(client: KubeConfigRestClient): Promise<void> {
  const api = await client.performRequest({
    method: "GET",
    path: "/api",
    expectJson: true,
  }) as { kind: string };
  assert.equal(api.kind, "APIVersions");
}

/** A TCP pass-through on another loopback address, so the server's certificate does not name it. */
function tcpForward(
  hostname: string,
  target: URL,
): { port: number; close(): void } {
  const listener = Deno.listen({ hostname, port: 0 });
  const conns = new Set<Deno.Conn>();
  (async () => {
    try {
      for await (const conn of listener) {
        const up = await Deno.connect({
          hostname: target.hostname,
          port: Number(target.port),
        });
        conns.add(conn).add(up);
        Promise.allSettled([
          conn.readable.pipeTo(up.writable),
          up.readable.pipeTo(conn.writable),
        ])
          .finally(() => {
            conns.delete(conn);
            conns.delete(up);
          });
      }
    } catch {
      // closed
    }
  })();
  return {
    port: (listener.addr as Deno.NetAddr).port,
    close() {
      listener.close();
      closeAll(conns);
    },
  };
}

Deno.test({
  name:
    "tls-server-name: a server reachable only under that name verifies, with client certificates",
  ignore: harnessOnly,
  fn: () =>
    withTempDir(async (dir) => {
      const fwd = tcpForward("127.0.0.2", new URL(cp.server));
      try {
        const server = `https://127.0.0.2:${fwd.port}`;
        const without = await writeKubeconfig(
          dir,
          "without",
          kubeconfigFor(
            server,
            { "certificate-authority": cp.caFile },
            adminUserFields(cp),
          ),
        );
        using plain = await KubeConfigRestClient.readKubeConfig(without);
        await assert.rejects(
          () =>
            plain.performRequest({
              method: "GET",
              path: "/api",
              expectJson: true,
            }),
          /certificate|NotValidForName|not valid for/i,
        );

        const withName = await writeKubeconfig(
          dir,
          "with",
          kubeconfigFor(server, {
            "certificate-authority": cp.caFile,
            "tls-server-name": "kubernetes.default.svc",
          }, adminUserFields(cp)),
        );
        using named = await KubeConfigRestClient.readKubeConfig(withName);
        await assertServesApi(named);
        // Client-certificate auth went through the forwarder too: this needs admin rights.
        const nss = await named.performRequest({
          method: "GET",
          path: "/api/v1/namespaces",
          expectJson: true,
        }) as {
          kind: string;
        };
        assert.equal(nss.kind, "NamespaceList");
      } finally {
        fwd.close();
      }
    }),
});

Deno.test({
  name: "proxy-url: requests tunnel through an HTTP CONNECT proxy",
  ignore: harnessOnly,
  fn: () =>
    withTempDir(async (dir) => {
      // A real CONNECT proxy that counts tunnels, on loopback.
      let tunnels = 0;
      const target = new URL(cp.server);
      const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
      const open = new Set<Deno.Conn>();
      (async () => {
        try {
          for await (const conn of listener) {
            open.add(conn);
            const buf = new Uint8Array(4096);
            const n = await conn.read(buf);
            const head = new TextDecoder().decode(buf.subarray(0, n ?? 0));
            assert.match(
              head,
              new RegExp(`^CONNECT 127\\.0\\.0\\.1:${target.port} HTTP/1\\.1`),
            );
            tunnels++;
            const up = await Deno.connect({
              hostname: "127.0.0.1",
              port: Number(target.port),
            });
            open.add(up);
            await conn.write(
              new TextEncoder().encode("HTTP/1.1 200 OK\r\n\r\n"),
            );
            Promise.allSettled([
              conn.readable.pipeTo(up.writable),
              up.readable.pipeTo(conn.writable),
            ]);
          }
        } catch { /* closed */ }
      })();
      try {
        const file = await writeKubeconfig(
          dir,
          "proxied",
          kubeconfigFor(cp.server, {
            "certificate-authority": cp.caFile,
            "proxy-url": `http://127.0.0.1:${
              (listener.addr as Deno.NetAddr).port
            }`,
          }, adminUserFields(cp)),
        );
        using client = await KubeConfigRestClient.readKubeConfig(file);
        await assertServesApi(client);
        assert.equal(tunnels, 1);
      } finally {
        listener.close();
        closeAll(open);
      }
    }),
});

Deno.test({
  name:
    "insecure-skip-tls-verify is never silent: a warning, and the flag named when verification fails",
  ignore: harnessOnly,
  fn: () =>
    withTempDir(async (dir) => {
      const file = await writeKubeconfig(
        dir,
        "insecure",
        kubeconfigFor(
          cp.server,
          { "insecure-skip-tls-verify": true },
          adminUserFields(cp),
        ),
      );
      const warnings: string[] = [];
      const warn = console.warn;
      console.warn = (msg: string) => warnings.push(msg);
      try {
        using client = await KubeConfigRestClient.readKubeConfig(file);
        assert.equal(warnings.length, 1);
        assert.match(
          warnings[0],
          /--unsafely-ignore-certificate-errors=127\.0\.0\.1/,
        );
        await assert.rejects(
          () => client.performRequest({ method: "GET", path: "/api" }),
          /run Deno with --unsafely-ignore-certificate-errors=127\.0\.0\.1\)$/,
        );
      } finally {
        console.warn = warn;
      }
      const both = await writeKubeconfig(
        dir,
        "both",
        kubeconfigFor(cp.server, {
          "insecure-skip-tls-verify": true,
          "certificate-authority": cp.caFile,
        }, {}),
      );
      await assert.rejects(
        () => KubeConfigRestClient.readKubeConfig(both),
        /clusters\["c"\]\.cluster\.insecure-skip-tls-verify: insecure-skip-tls-verify cannot be combined with a certificate authority$/,
      );
    }),
});

/** A plain-HTTP server that records each request and answers from a script. */
async function withScriptedServer(
  answer: (req: Request, n: number) => Response | Promise<Response>,
  fn: (
    server: string,
    seen: { method: string; url: string; headers: Headers; body: string }[],
  ) => Promise<void>,
) {
  const seen: {
    method: string;
    url: string;
    headers: Headers;
    body: string;
  }[] = [];
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    onListen: () => {},
  }, async (req) => {
    seen.push({
      method: req.method,
      url: req.url,
      headers: req.headers,
      body: await req.text(),
    });
    return await answer(req, seen.length);
  });
  try {
    await fn(`http://127.0.0.1:${server.addr.port}`, seen);
  } finally {
    await server.shutdown();
  }
}

Deno.test("headers: impersonation, basic auth, defaults for Accept and Content-Type, disable-compression", async () => {
  await withScriptedServer(
    () => Response.json({ kind: "Status" }),
    async (server, seen) => {
      const config = KubeConfig.parse(
        JSON.stringify(kubeconfigFor(server, { "disable-compression": true }, {
          username: "ops",
          password: "pä55",
          as: "jane",
          "as-uid": "1234",
          "as-groups": ["a", "b"],
          "as-user-extra": { "scopes/x": ["one", "two"] },
        })),
        "/virtual/config",
      );
      using client = await KubeConfigRestClient.forKubeConfig(config);
      await client.performRequest({
        method: "POST",
        path: "/x",
        bodyJson: { a: 1 },
        expectJson: true,
      });
      await client.performRequest({
        method: "GET",
        path: "/y?a=1",
        querystring: new URLSearchParams({ b: "2" }),
      });
      const [post, get] = seen;
      assert.equal(
        post.headers.get("authorization"),
        `Basic ${btoa("ops:p\u00c3\u00a455")}`,
      );
      assert.equal(post.headers.get("impersonate-user"), "jane");
      assert.equal(post.headers.get("impersonate-uid"), "1234");
      assert.equal(post.headers.get("impersonate-group"), "a, b");
      assert.equal(
        post.headers.get("impersonate-extra-scopes%2Fx"),
        "one, two",
      );
      assert.equal(post.headers.get("accept"), "application/json");
      assert.equal(post.headers.get("content-type"), "application/json");
      assert.equal(post.headers.get("accept-encoding"), "identity");
      assert.match(
        post.headers.get("user-agent") ?? "",
        /^deno-kubernetes-transport\//,
      );
      assert.equal(post.body, '{"a":1}');
      assert.equal(
        new URL(get.url).pathname + new URL(get.url).search,
        "/y?a=1&b=2",
      );
      assert.equal(get.headers.get("content-type"), null);
    },
  );
});

Deno.test("429 with Retry-After is retried for any method, 503 for idempotent requests only, as configured", async () => {
  const throttled = (n: number) =>
    n <= 2
      ? Response.json({
        kind: "Status",
        code: 429,
        reason: "TooManyRequests",
        message: "slow down",
      }, {
        status: 429,
        headers: { "retry-after": String(n) },
      })
      : Response.json({ kind: "ConfigMap" });
  await withScriptedServer((_r, n) => throttled(n), async (server, seen) => {
    const waits: number[] = [];
    using client = await KubeConfigRestClient.forKubeConfig(
      KubeConfig.getSimpleUrlConfig({ baseUrl: server }),
      undefined,
      withRetrySleep({}, (ms) => Promise.resolve(void waits.push(ms))),
    );
    const got = await client.performRequest({
      method: "GET",
      path: "/a",
      expectJson: true,
    }) as { kind: string };
    assert.equal(got.kind, "ConfigMap");
    assert.deepEqual(waits, [1000, 2000]);
    assert.equal(seen.length, 3);
  });
  // A 429 is rejected before the request runs (APF): any method goes again.
  await withScriptedServer((_r, n) => throttled(n), async (_server, seen) => {
    using client = await KubeConfigRestClient.forKubeConfig(
      KubeConfig.getSimpleUrlConfig({ baseUrl: _server }),
      undefined,
      withRetrySleep({}, () => Promise.resolve()),
    );
    const got = await client.performRequest({
      method: "POST",
      path: "/a",
      bodyJson: { a: 1 },
      expectJson: true,
    }) as { kind: string };
    assert.equal(got.kind, "ConfigMap");
    assert.equal(seen.length, 3, "a POST answered 429 is sent again");
    assert.deepEqual(seen.map((r) => r.body), [
      '{"a":1}',
      '{"a":1}',
      '{"a":1}',
    ]);
  });
  // A 503 may come after the work was done: a POST is not sent again.
  await withScriptedServer(
    () =>
      new Response("busy", { status: 503, headers: { "retry-after": "1" } }),
    async (server, seen) => {
      using client = await KubeConfigRestClient.forKubeConfig(
        KubeConfig.getSimpleUrlConfig({ baseUrl: server }),
        undefined,
        withRetrySleep({}, () => Promise.resolve()),
      );
      const err = await client.performRequest({
        method: "POST",
        path: "/a",
        bodyJson: {},
      }).then(() => undefined, (e) => e);
      assert.ok(err instanceof KubernetesApiError && err.isServerError());
      assert.equal(err.retryAfterSeconds, 1);
      assert.equal(seen.length, 1, "a POST answered 503 is not retried");
    },
  );
  await withScriptedServer((_r, n) => throttled(n), async (server, seen) => {
    using client = await KubeConfigRestClient.forKubeConfig(
      KubeConfig.getSimpleUrlConfig({ baseUrl: server }),
      undefined,
      { retry: false },
    );
    await assert.rejects(
      () => client.performRequest({ method: "GET", path: "/a" }),
      KubernetesApiError,
    );
    assert.equal(seen.length, 1, "retry: false");
  });
  await withScriptedServer(
    () => new Response("overloaded", { status: 503 }),
    async (server, seen) => {
      using client = await KubeConfigRestClient.forKubeConfig(
        KubeConfig.getSimpleUrlConfig({ baseUrl: server }),
      );
      const err = await client.performRequest({ method: "GET", path: "/a" })
        .then(() => undefined, (e) => e);
      assert.ok(err instanceof KubernetesApiError && err.isServerError());
      assert.equal(err.status.message, "overloaded");
      assert.equal(seen.length, 1, "503 without Retry-After is not retried");
    },
  );
  await withScriptedServer(
    (_r, n) =>
      n === 1
        ? new Response("", { status: 503, headers: { "retry-after": "600" } })
        : new Response("ok"),
    async (server) => {
      const waits: number[] = [];
      using client = await KubeConfigRestClient.forKubeConfig(
        KubeConfig.getSimpleUrlConfig({ baseUrl: server }),
        undefined,
        withRetrySleep(
          { retry: { maxDelaySeconds: 5 } },
          (ms) => Promise.resolve(void waits.push(ms)),
        ),
      );
      await client.performRequest({ method: "DELETE", path: "/a" });
      assert.deepEqual(waits, [5000], "a long Retry-After is capped");
    },
  );
});

Deno.test("verbose logging: method, path, status and duration, never credentials", async () => {
  await withScriptedServer(
    (_r, n) =>
      n === 1 ? Response.json({}) : new Response("no", { status: 404 }),
    async (server) => {
      const lines: string[] = [];
      const config = KubeConfig.parse(
        JSON.stringify(
          kubeconfigFor(server, {}, { token: "super-secret-token" }),
        ),
        "/virtual/config",
      );
      using client = await KubeConfigRestClient.forKubeConfig(
        config,
        undefined,
        { log: (l) => lines.push(l) },
      );
      await client.performRequest({
        method: "GET",
        path: "/api",
        expectJson: true,
      });
      await client.performRequest({ method: "GET", path: "/missing" }).catch(
        () => {},
      );
      assert.equal(lines.length, 2);
      assert.match(lines[0], /^GET \/api 200 \d+ms$/);
      assert.match(lines[1], /^GET \/missing 404 \d+ms$/);
      assert.ok(!lines.join("\n").includes("super-secret"));
    },
  );
});

Deno.test("a stream that breaks mid-way errors; it never ends as if complete", async () => {
  // Raw HTTP/1.1: a chunked watch response that stops without its final chunk.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const serve = (async () => {
    const conn = await listener.accept();
    const buf = new Uint8Array(4096);
    await conn.read(buf);
    const line = '{"type":"ADDED","object":{"metadata":{"name":"a"}}}\n';
    await conn.write(new TextEncoder().encode(
      "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n" +
        `${line.length.toString(16)}\r\n${line}\r\n` +
        '40\r\n{"type":"MODIFIED",',
    ));
    await new Promise((r) => setTimeout(r, 50));
    conn.close();
  })();
  try {
    using client = await KubeConfigRestClient.forKubeConfig(
      KubeConfig.getSimpleUrlConfig({
        baseUrl: `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`,
      }),
    );
    const stream = await client.performRequest({
      method: "GET",
      path: "/api/v1/configmaps?watch=1",
      expectStream: true,
      expectJson: true,
    });
    const seen: unknown[] = [];
    await assert.rejects(async () => {
      for await (const ev of stream) seen.push(ev);
    });
    assert.equal(seen.length, 1);
  } finally {
    await serve;
    listener.close();
  }
});

Deno.test("a malformed watch line errors the stream with a StreamDecodeError quoting only a prefix", async () => {
  const secretLine =
    `{"type":"ADDED","object":{"kind":"Secret","data":{"password":"${
      "c2VjcmV0".repeat(20)
    }"}`;
  await withScriptedServer(
    () => new Response(`{"type":"ADDED","object":{}}\n${secretLine}\n`),
    async (server) => {
      using client = await KubeConfigRestClient.forKubeConfig(
        KubeConfig.getSimpleUrlConfig({ baseUrl: server }),
      );
      const stream = await client.performRequest({
        method: "GET",
        path: "/w",
        expectStream: true,
        expectJson: true,
      });
      const seen: unknown[] = [];
      const err = await (async () => {
        for await (const ev of stream) seen.push(ev);
      })().then(() => undefined, (e) => e);
      assert.ok(err instanceof StreamDecodeError);
      assert.equal(err.line, 2);
      assert.equal(seen.length, 1);
      assert.ok(err.message.length < 200, "a prefix, not the line");
      assert.ok(!err.message.includes("c2VjcmV0c2VjcmV0"));
    },
  );
});

Deno.test("a closed client refuses requests, and close is idempotent", async () => {
  const client = await adminClient();
  client.close();
  client.close();
  await assert.rejects(
    () => client.performRequest({ method: "GET", path: "/api" }),
    (err: Error) =>
      err instanceof TransportError && err.isClosed() && !err.isRetriable() &&
      err.message === "GET /api: this KubeConfigRestClient is closed",
  );
});
