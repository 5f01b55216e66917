// Whom the fetch transport trusts: only the kubeconfig's certificate-authority,
// as kubectl, on requests and tunnels. A rogue server on loopback holds a
// certificate for 127.0.0.1 from a CA that Deno itself trusts (added with
// DENO_CERT in a child process) but the kubeconfig does not name: it must be
// refused with a typed TLS error before any credential reaches it, and no
// secret may appear in what the child prints. The real apiserver (HTTP/2)
// and an HTTP/1.1-only server with the right CA are accepted, with client
// certificates and tls-server-name, without the trust warning; the warning
// stays where the risk does (`requestTrust: "ca-and-roots"`). The private
// Unix socket that carries requests lives in a 0700 directory that is gone
// when the program ends, even without close(); insecure-skip-tls-verify
// still works with Deno's flag; an abort or close() ends a request that hangs
// in or after the TLS handshake at once.

import assert from "node:assert/strict";
import { KubeConfigRestClient, TransportError } from "../../../mod.ts";
import { controlPlane } from "../../harness.ts";
import {
  adminUserFields,
  kubeconfigFor,
  withTempDir,
  writeKubeconfig,
} from "../../_helpers.ts";
import { createCa, issueCert } from "../../../lib/testing/_pki.ts";

const cp = await controlPlane();
const MARKER = "trust-marker-S3CRET-token";
const probe =
  new URL("../../fixtures/trust_probe.ts", import.meta.url).pathname;
const config = new URL("../../../deno.json", import.meta.url).pathname;
const WARNING = /trusts the kubeconfig's certificate-authority in addition/;

interface Outcome {
  kind?: string;
  name?: string;
  httpCode?: number;
  message?: string;
  request?: { method: string; path: string };
  opened?: boolean;
}
interface ProbeResult {
  request: Outcome;
  tunnel: Outcome;
  tempEntries: { name: string; mode: number | null; inside: string[] }[];
  stdout: string;
  stderr: string;
}

async function runProbe(
  kubeconfig: string,
  options: Record<string, unknown> = {},
  env: Record<string, string> = {},
  flags = ["-A"],
): Promise<ProbeResult> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      ...flags,
      "--quiet",
      `--config=${config}`,
      probe,
      kubeconfig,
      JSON.stringify(options),
    ],
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  const out = await child.output();
  clearTimeout(timer);
  const stdout = new TextDecoder().decode(out.stdout);
  const stderr = new TextDecoder().decode(out.stderr);
  assert.ok(out.success, `the probe failed: ${stderr}`);
  return { ...JSON.parse(stdout), stdout, stderr };
}

/** A kubeconfig for the admin user against `server`, trusting the harness CA. */
function adminKubeconfig(
  dir: string,
  name: string,
  server = cp.server,
): Promise<string> {
  return writeKubeconfig(
    dir,
    name,
    kubeconfigFor(
      server,
      { "certificate-authority": cp.caFile },
      adminUserFields(cp),
    ),
  );
}

/** A CA the kubeconfig does not name, and a server certificate for 127.0.0.1 from it. */
async function rogueServer(dir: string) {
  await Deno.mkdir(`${dir}/rogue`);
  const ca = await createCa(`${dir}/rogue`, "ca", "rogue-ca");
  const cert = await issueCert(`${dir}/rogue`, ca, {
    name: "server",
    commonName: "rogue",
    dnsNames: ["localhost", "kubernetes"],
    ipAddresses: ["127.0.0.1"],
    usage: "server",
  });
  const seen: { url: string; authorization: string | null }[] = [];
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    cert: cert.certPem,
    key: cert.keyPem,
    onListen: () => {},
  }, (req) => {
    seen.push({
      url: req.url,
      authorization: req.headers.get("authorization"),
    });
    return Response.json({ kind: "NamespaceList", items: [] });
  });
  return {
    caFile: ca.certFile,
    url: `https://127.0.0.1:${server.addr.port}`,
    seen,
    close: () => server.shutdown(),
  };
}

function assertRefused(o: Outcome, method: string, path: string, all: string) {
  assert.equal(o.name, "TransportError", JSON.stringify(o));
  assert.equal(o.kind, "tls", JSON.stringify(o));
  assert.deepEqual(o.request, { method, path });
  assert.ok(o.message!.startsWith(`${method} ${path}`), o.message);
  assert.match(
    o.message!,
    /does not chain to the configured certificate-authority, the only CA trusted\)$/,
  );
  assert.ok(!all.includes(MARKER), "the token never appears in any output");
}

Deno.test("requests and tunnels refuse a server whose CA Deno trusts but the kubeconfig does not, before sending a credential", async () => {
  await withTempDir(async (dir) => {
    const rogue = await rogueServer(dir);
    try {
      const kc = await writeKubeconfig(
        dir,
        "kubeconfig",
        kubeconfigFor(rogue.url, { "certificate-authority": cp.caFile }, {
          token: MARKER,
        }),
      );
      const env = { DENO_CERT: rogue.caFile };
      const strict = await runProbe(kc, {}, env);
      const all = strict.stdout + strict.stderr;
      assertRefused(strict.request, "GET", "/api/v1/namespaces", all);
      assertRefused(
        strict.tunnel,
        "GET",
        "/api/v1/namespaces/default/pods/no-such-pod/exec",
        all,
      );
      assert.deepEqual(rogue.seen, [], "nothing reached the rogue server");
      assert.doesNotMatch(strict.stderr, WARNING);

      // The control: Deno's own TLS does trust the rogue CA, so requests on
      // it are accepted (and warned about); tunnels still refuse.
      const roots = await runProbe(kc, { requestTrust: "ca-and-roots" }, env);
      assert.deepEqual(roots.request, { kind: "NamespaceList" });
      assert.match(roots.stderr, WARNING);
      assert.match(roots.stderr, /with requestTrust: "ca-and-roots"/);
      assertRefused(
        roots.tunnel,
        "GET",
        "/api/v1/namespaces/default/pods/no-such-pod/exec",
        roots.stdout,
      );
      assert.equal(rogue.seen.length, 1);
    } finally {
      await rogue.close();
    }
  });
});

/** An HTTP/1.1-only server (no HTTP/2 in its ALPN) with the apiserver's certificate. */
function http1OnlyServer() {
  const listener = Deno.listenTls({
    hostname: "127.0.0.1",
    port: 0,
    cert: Deno.readTextFileSync(`${cp.dir}/pki/apiserver.crt`),
    key: Deno.readTextFileSync(`${cp.dir}/pki/apiserver.key`),
    alpnProtocols: ["http/1.1"],
  });
  const heads: string[] = [];
  const open = new Set<Deno.Conn>();
  const serve = async (conn: Deno.TlsConn) => {
    open.add(conn);
    try {
      let buf = "";
      const chunk = new Uint8Array(16 * 1024);
      for (;;) {
        const n = await conn.read(chunk);
        if (n === null) return;
        buf += new TextDecoder().decode(chunk.subarray(0, n));
        let end;
        while ((end = buf.indexOf("\r\n\r\n")) !== -1) {
          const head = buf.slice(0, end);
          buf = buf.slice(end + 4);
          heads.push(head);
          const list = /^GET \S*\/api\/v1\/namespaces HTTP\/1\.1/.test(head);
          const body = JSON.stringify(
            list ? { kind: "NamespaceList", items: [] } : {
              kind: "Status",
              status: "Failure",
              reason: "NotFound",
              code: 404,
              message: "not here",
            },
          );
          await conn.write(
            new TextEncoder().encode(
              `HTTP/1.1 ${
                list ? "200 OK" : "404 Not Found"
              }\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`,
            ),
          );
        }
      }
    } catch {
      // the client went away
    } finally {
      open.delete(conn);
      conn.close();
    }
  };
  (async () => {
    try {
      for await (const conn of listener) serve(conn);
    } catch {
      // closed
    }
  })();
  return {
    url: `https://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`,
    heads,
    close() {
      listener.close();
      for (const c of open) c.close();
    },
  };
}

Deno.test({
  name:
    "the configured CA alone is enough: the apiserver (HTTP/2, client certificate) and an HTTP/1.1-only server are reached, with no trust warning",
  ignore: cp.external,
  fn: () =>
    withTempDir(async (dir) => {
      const kc = await adminKubeconfig(dir, "kubeconfig");
      const real = await runProbe(kc);
      assert.deepEqual(real.request, { kind: "NamespaceList" });
      // The handshake reached the apiserver, which looked for the pod.
      assert.equal(real.tunnel.httpCode, 404, JSON.stringify(real.tunnel));
      assert.doesNotMatch(real.stderr, WARNING);

      const h1 = http1OnlyServer();
      try {
        const h1kc = await writeKubeconfig(
          dir,
          "h1",
          kubeconfigFor(h1.url, { "certificate-authority": cp.caFile }, {
            token: "t",
          }),
        );
        const got = await runProbe(h1kc);
        assert.deepEqual(got.request, { kind: "NamespaceList" });
        assert.equal(got.tunnel.httpCode, 404, JSON.stringify(got.tunnel));
        assert.doesNotMatch(got.stderr, WARNING);
        assert.equal(h1.heads.length, 2);
        assert.match(h1.heads[0], /\r\nauthorization: Bearer t\r\n/);
        assert.match(h1.heads[1], /\r\nupgrade: websocket\r\n/i);
      } finally {
        h1.close();
      }
    }),
});

Deno.test({
  name:
    "tls-server-name is the name checked on requests and tunnels, with a client certificate on both",
  ignore: cp.external || !("certFile" in cp.users.admin),
  fn: () =>
    withTempDir(async (dir) => {
      const named = (name: string) =>
        writeKubeconfig(
          dir,
          name,
          kubeconfigFor(cp.server, {
            "certificate-authority": cp.caFile,
            "tls-server-name": name,
          }, adminUserFields(cp)),
        );
      const right = await runProbe(await named("kubernetes.default.svc"));
      assert.deepEqual(right.request, { kind: "NamespaceList" });
      assert.equal(right.tunnel.httpCode, 404, JSON.stringify(right.tunnel));

      const wrong = await runProbe(await named("not-the-apiserver.example"));
      for (const o of [wrong.request, wrong.tunnel]) {
        assert.equal(o.kind, "tls", JSON.stringify(o));
        assert.match(o.message!, /not-the-apiserver\.example/);
      }
    }),
});

Deno.test("requests go through a socket in a private 0700 temp directory that is gone when the program ends, even without close()", async () => {
  await withTempDir(async (dir) => {
    const kc = await adminKubeconfig(dir, "kubeconfig");
    const tmp = `${dir}/tmp`;
    await Deno.mkdir(tmp);
    for (const forgetClose of [false, true]) {
      const got = await runProbe(kc, { forgetClose }, { TMPDIR: tmp });
      assert.deepEqual(got.request, { kind: "NamespaceList" });
      assert.equal(got.tempEntries.length, 1, JSON.stringify(got.tempEntries));
      const [entry] = got.tempEntries;
      assert.match(entry.name, /^kube-tls-/);
      assert.equal(entry.mode! & 0o777, 0o700);
      assert.deepEqual(entry.inside, ["api.sock"]);
      assert.deepEqual(
        [...Deno.readDirSync(tmp)],
        [],
        `forgetClose ${forgetClose}`,
      );
    }
  });
});

Deno.test("without Deno permission for the private socket, requests fall back to Deno's TLS and say what to grant, unless ca-only is demanded", async () => {
  await withTempDir(async (dir) => {
    const kc = await adminKubeconfig(dir, "kubeconfig");
    const tmp = `${dir}/tmp`;
    await Deno.mkdir(tmp);
    const server = new URL(cp.server).host;
    const cases: [string[], string][] = [
      [["--allow-read", "--allow-net", "--allow-env"], `--allow-write=${tmp}`],
      [
        [
          "--allow-read",
          `--allow-write=${tmp}`,
          `--allow-net=${server}`,
          "--allow-env",
        ],
        "--allow-net",
      ],
    ];
    for (const [flags, missing] of cases) {
      const why =
        `no Deno permission for the private Unix socket (it needs ${missing})`;
      const fallback = await runProbe(kc, {}, { TMPDIR: tmp }, flags);
      assert.deepEqual(fallback.request, { kind: "NamespaceList" });
      assert.ok(
        fallback.stderr.includes(
          `Warning: with ${why}, requests use Deno's TLS`,
        ),
        fallback.stderr,
      );
      // Tunnels need no socket of their own: still only the configured CA.
      assert.equal(fallback.tunnel.httpCode, 404);

      const demanded = await runProbe(
        kc,
        { requestTrust: "ca-only" },
        { TMPDIR: tmp },
        flags,
      );
      assert.equal(demanded.request.name, "TransportError");
      assert.equal(demanded.request.kind, "invalid-request");
      assert.equal(
        demanded.request.message,
        `GET /api/v1/namespaces: requestTrust "ca-only" cannot be met: ${why}`,
      );
      assert.doesNotMatch(demanded.stderr, WARNING);
      assert.deepEqual([...Deno.readDirSync(tmp)], [], "nothing left behind");
    }
  });
});

Deno.test("insecure-skip-tls-verify still works with Deno's flag, and says so", async () => {
  await withTempDir(async (dir) => {
    const rogue = await rogueServer(dir);
    try {
      const kc = await writeKubeconfig(
        dir,
        "kubeconfig",
        kubeconfigFor(rogue.url, { "insecure-skip-tls-verify": true }, {
          token: MARKER,
        }),
      );
      const got = await runProbe(kc, {}, {}, [
        "-A",
        "--unsafely-ignore-certificate-errors=127.0.0.1",
      ]);
      assert.deepEqual(got.request, { kind: "NamespaceList" });
      assert.match(
        got.stderr,
        /insecure-skip-tls-verify asks to skip TLS verification/,
      );
      assert.equal(rogue.seen.length, 2, "the request and the tunnel");
    } finally {
      await rogue.close();
    }
  });
});

/** A TCP relay whose connections can be cut, and whose later connections go elsewhere. */
function relay(first: URL, later: URL) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const open = new Set<Deno.Conn>();
  let count = 0;
  (async () => {
    try {
      for await (const conn of listener) {
        const to = count++ === 0 ? first : later;
        const up = await Deno.connect({
          hostname: to.hostname,
          port: Number(to.port),
        });
        open.add(conn);
        open.add(up);
        Promise.allSettled([
          conn.readable.pipeTo(up.writable),
          up.readable.pipeTo(conn.writable),
        ]).finally(() => {
          open.delete(conn);
          open.delete(up);
        });
      }
    } catch {
      // closed
    }
  })();
  const cut = () => {
    for (const c of open) {
      try {
        c.close();
      } catch {
        // already closed
      }
    }
    open.clear();
  };
  return {
    url: `https://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`,
    cut,
    close() {
      listener.close();
      cut();
    },
  };
}

Deno.test({
  name:
    "a later connection to a server with an untrusted certificate is refused too, typed, naming the request",
  ignore: cp.external,
  fn: () =>
    withTempDir(async (dir) => {
      const rogue = await rogueServer(dir);
      const hop = relay(new URL(cp.server), new URL(rogue.url));
      try {
        const kc = await adminKubeconfig(dir, "kubeconfig", hop.url);
        using client = await KubeConfigRestClient.readKubeConfig(kc);
        const list = await client.performRequest({
          method: "GET",
          path: "/api/v1/namespaces",
          expectJson: true,
        }) as { kind: string };
        assert.equal(list.kind, "NamespaceList");
        hop.cut();
        await new Promise((r) => setTimeout(r, 100));
        const err = await client.performRequest({
          method: "GET",
          path: "/api/v1/namespaces/default",
        }).then(() => undefined, (e) => e);
        assert.ok(err instanceof TransportError, String(err));
        assert.equal(err.kind, "tls");
        assert.deepEqual(err.request, {
          method: "GET",
          path: "/api/v1/namespaces/default",
        });
        assert.match(
          err.message,
          /^GET \/api\/v1\/namespaces\/default: .*the only CA trusted\)$/,
        );
        assert.deepEqual(rogue.seen, []);
      } finally {
        hop.close();
        await rogue.close();
      }
    }),
});

/** The request's outcome, or "still pending" after `ms`: a hang fails the test instead of stalling it. */
async function settledWithin(
  promise: Promise<unknown>,
  ms: number,
): Promise<unknown> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise((r) =>
    timer = setTimeout(() => r("still pending"), ms)
  );
  try {
    return await Promise.race([promise.then(() => "answered", (e) => e), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Accepts connections and never answers, either before TLS or after the handshake. */
function silentServer(tls: boolean) {
  const listener = tls
    ? Deno.listenTls({
      hostname: "127.0.0.1",
      port: 0,
      cert: Deno.readTextFileSync(`${cp.dir}/pki/apiserver.crt`),
      key: Deno.readTextFileSync(`${cp.dir}/pki/apiserver.key`),
      alpnProtocols: ["h2", "http/1.1"],
    })
    : Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  (async () => {
    try {
      for await (const conn of listener) {
        held.push(conn);
        if (tls) (conn as Deno.TlsConn).handshake().catch(() => {});
      }
    } catch {
      // closed
    }
  })();
  return {
    url: `https://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`,
    close() {
      listener.close();
      for (const c of held) c.close();
    },
  };
}

for (const tls of [false, true]) {
  Deno.test({
    name: `an abort or close() while ${
      tls
        ? "the server never answers after the TLS handshake"
        : "the TLS handshake hangs"
    } returns at once and leaves nothing open`,
    ignore: cp.external,
    fn: () =>
      withTempDir(async (dir) => {
        const silent = silentServer(tls);
        try {
          const kc = await writeKubeconfig(
            dir,
            "kubeconfig",
            kubeconfigFor(silent.url, { "certificate-authority": cp.caFile }, {
              token: MARKER,
            }),
          );
          const client = await KubeConfigRestClient.readKubeConfig(kc);
          const aborted = await settledWithin(
            client.performRequest({
              method: "GET",
              path: "/api",
              abortSignal: AbortSignal.timeout(200),
            }),
            3000,
          );
          assert.ok(aborted instanceof DOMException, String(aborted));
          assert.equal(aborted.name, "TimeoutError");
          const pending = client.performRequest({
            method: "GET",
            path: "/api",
          });
          await new Promise((r) => setTimeout(r, 200));
          client.close();
          const closed = await settledWithin(pending, 3000);
          assert.ok(closed instanceof TransportError, String(closed));
          assert.equal(closed.kind, "closed");
          assert.deepEqual(closed.request, { method: "GET", path: "/api" });
        } finally {
          silent.close();
        }
      }),
  });
}
