// What is particular to the kubectl transport: how requests become kubectl
// arguments (and cannot inject any), kubectl failures that are not API
// answers, the exec tunnel emulation, and the lazily read namespace. The
// tests against the real apiserver run once per kubectl release
// (test/_kubectls.ts: the machine's, Debian's 1.20 and sid's current one),
// each name saying which; the request table itself is
// test/integration/transports/transport_parity_test.ts, run the same way.

import assert from "node:assert/strict";
import {
  execCommand,
  type KubeConfigRestClient,
  KubectlError,
  KubectlRawRestClient,
  KubernetesApiError,
  listWatch,
  Reflector,
  type RequestOptions,
} from "../../../mod.ts";
import { openExec } from "../../../lib/tunnels/mod.ts";
import { kubectlsUnderTest } from "../../_kubectls.ts";
import { planExec, planKubectl } from "../../../transports/_kubectl_args.ts";
import {
  kubectlFailure,
  parseStderr,
} from "../../../transports/_kubectl_diagnostics.ts";
import { controlPlane } from "../../harness.ts";
import {
  kubeconfigFor,
  until,
  withTempDir,
  writeKubeconfig,
  writeScript,
} from "../../_helpers.ts";

const cp = await controlPlane();
const kubectls = kubectlsUnderTest(cp.binaries.kubectl);

const plan = (opts: Partial<RequestOptions>) =>
  planKubectl({ method: "GET", path: "/", ...opts } as RequestOptions);

Deno.test("requests map to kubectl verbs with the path as one --raw= value", () => {
  assert.deepEqual(
    plan({
      path: "/api/v1/pods?limit=1",
      querystring: new URLSearchParams({ labelSelector: "a=b,c!=d" }),
    }).args,
    ["get", "--raw=/api/v1/pods?limit=1&labelSelector=a%3Db%2Cc%21%3Dd"],
  );
  assert.deepEqual(plan({ method: "POST", path: "/api/v1/namespaces" }), {
    args: ["create", "--raw=/api/v1/namespaces", "-f", "-"],
    stdin: true,
  });
  assert.deepEqual(plan({ method: "PUT", path: "/api/v1/namespaces/x" }).args, [
    "replace",
    "--raw=/api/v1/namespaces/x",
    "-f",
    "-",
  ]);
  assert.deepEqual(plan({ method: "DELETE", path: "/api/v1/namespaces/x" }), {
    args: ["delete", "--raw=/api/v1/namespaces/x"],
    stdin: false,
  });
  assert.deepEqual(
    plan({ method: "DELETE", path: "/api/v1/namespaces/x", bodyJson: {} }).args
      .slice(-2),
    ["-f", "-"],
  );
});

Deno.test("patches map to kubectl patch and apply, with their query parameters as flags", () => {
  assert.deepEqual(
    plan({
      method: "PATCH",
      path: "/apis/apps/v1/namespaces/prod/deployments/web/scale",
      contentType: "application/merge-patch+json",
      querystring: new URLSearchParams({ fieldManager: "me", dryRun: "All" }),
    }).args,
    [
      "patch",
      "--type=merge",
      "--patch-file=/dev/stdin",
      "-o",
      "json",
      "--show-managed-fields",
      "--field-manager=me",
      "--dry-run=server",
      "--subresource=scale",
      "--namespace=prod",
      "--",
      "deployments.v1.apps",
      "web",
    ],
  );
  assert.deepEqual(
    plan({
      method: "PATCH",
      path: "/api/v1/nodes/n1",
      contentType: "application/json-patch+json",
    }).args.slice(-3),
    ["--", "nodes", "n1"],
  );
  assert.deepEqual(
    plan({
      method: "PATCH",
      path: "/api/v1/namespaces/a/configmaps/b?fieldManager=ci&force=true",
      contentType: "application/apply-patch+yaml",
    }).args,
    [
      "apply",
      "--server-side",
      "-f",
      "-",
      "-o",
      "json",
      "--show-managed-fields",
      "--field-manager=ci",
      "--force-conflicts",
      "--namespace=a",
    ],
  );
});

Deno.test("what kubectl cannot express, or could mistake for a flag, is refused naming the request", () => {
  const refused: [Partial<RequestOptions>, string][] = [
    [
      { path: "--kubeconfig=/etc/evil" },
      "GET --kubeconfig=/etc/evil: the path must start with /",
    ],
    [
      { path: "/api/v1/pods -o yaml" },
      "GET /api/v1/pods -o yaml: the path must start with /",
    ],
    [
      { path: "/api/v1/pods\n--token=x" },
      "the path must start with / and contain no spaces",
    ],
    [
      { path: "/api/v1/pods/ünïcode" },
      "contain no spaces, control or non-ASCII characters",
    ],
    [
      { method: "HEAD", path: "/api" },
      "HEAD /api: kubectl cannot send HEAD requests",
    ],
    [
      {
        method: "PATCH",
        path: "/api/v1/namespaces/a/configmaps",
        contentType: "application/merge-patch+json",
      },
      "PATCH /api/v1/namespaces/a/configmaps: kubectl patch needs the path of one object",
    ],
    [
      {
        method: "PATCH",
        path: "/api/v1/namespaces/a/pods/p/ephemeralcontainers",
        contentType: "application/merge-patch+json",
      },
      "kubectl cannot patch the ephemeralcontainers subresource (only status and scale)",
    ],
    [
      {
        method: "PATCH",
        path: "/api/v1/namespaces/a/configmaps/--all",
        contentType: "application/merge-patch+json",
      },
      "kubectl patch needs the path of one object",
    ],
    [
      {
        method: "PATCH",
        path: "/api/v1/namespaces/a/configmaps/b?pretty=true",
        contentType: "application/merge-patch+json",
      },
      "PATCH /api/v1/namespaces/a/configmaps/b?pretty=true: kubectl has no flag for the query parameter pretty=true",
    ],
    [
      {
        method: "PATCH",
        path: "/api/v1/namespaces/a/configmaps/b",
        contentType: "text/plain",
      },
      'unsupported patch content type "text/plain"',
    ],
  ];
  for (const [opts, message] of refused) {
    assert.throws(() => plan(opts), (err: Error) => {
      assert.ok(err instanceof KubectlError, String(err));
      assert.ok(
        err.message.includes(message),
        `${err.message} should contain ${message}`,
      );
      return true;
    });
  }
  assert.throws(
    () => new KubectlRawRestClient("ctx\n--kubeconfig=/x"),
    TypeError,
  );
});

Deno.test("exec paths map to kubectl exec; TTYs are refused", () => {
  const exec = (q: string) =>
    planExec({
      method: "POST",
      path: `/api/v1/namespaces/ns/pods/web-0/exec?${q}`,
      expectTunnel: [],
    });
  assert.deepEqual(
    exec("command=sh&command=-c&command=echo hi&container=main&stdin=true"),
    {
      args: [
        "exec",
        "--namespace=ns",
        "--container=main",
        "--stdin",
        "web-0",
        "--",
        "sh",
        "-c",
        "echo hi",
      ],
      stdin: true,
      stdout: true,
      stderr: true,
    },
  );
  assert.throws(
    () => exec("command=sh&tty=true"),
    /a TTY cannot be carried through kubectl exec/,
  );
  assert.throws(() => exec("container=main"), /no command given/);
  assert.throws(
    () =>
      planExec({
        method: "POST",
        path: "/api/v1/namespaces/ns/pods/web-0/portforward",
        expectTunnel: [],
      }),
    /can only emulate tunnels for pod exec/,
  );
});

Deno.test("kubectl's diagnostics become typed errors; failures without an answer become KubectlErrors", () => {
  const req = { method: "GET", path: "/x" };
  const noStatusJson = kubectlFailure(
    parseStderr(
      "I1120 10:00:00.000000    1 round_trippers.go:560] GET https://h/x 403 Forbidden in 1 milliseconds\n" +
        'Error from server (Forbidden): pods is forbidden: User "u" cannot list\n',
    ),
    1,
    req,
  );
  assert.ok(
    noStatusJson instanceof KubernetesApiError && noStatusJson.isForbidden(),
  );
  assert.equal(
    noStatusJson.status.message,
    'pods is forbidden: User "u" cannot list',
  );

  const reasonOnly = kubectlFailure(
    parseStderr("Error from server (Conflict): the object has been modified\n"),
    1,
    req,
  );
  assert.ok(reasonOnly instanceof KubernetesApiError);
  assert.equal(reasonOnly.httpCode, 409, "the code derived from the reason");

  const invalid = kubectlFailure(
    parseStderr(
      'The Deployment "web" is invalid: [spec.replicas: Invalid value: -1: must be greater than or equal to 0, spec.template.spec.containers: Required value]\n',
    ),
    1,
    req,
  );
  assert.ok(invalid instanceof KubernetesApiError && invalid.isInvalid());
  assert.deepEqual(invalid.details?.causes?.map((c) => [c.field, c.reason]), [
    ["spec.replicas", "FieldValueInvalid"],
    ["spec.template.spec.containers", "FieldValueRequired"],
  ]);
  assert.equal(invalid.details?.name, "web");

  const unreachable = kubectlFailure(
    parseStderr(
      "E1120 10:00:00.000000    1 memcache.go:265] couldn't get current server API group list\n" +
        "The connection to the server 127.0.0.1:1 was refused - did you specify the right host or port?\n",
    ),
    1,
    req,
  );
  assert.ok(
    unreachable instanceof KubectlError &&
      !(unreachable instanceof KubernetesApiError),
  );
  assert.equal(
    unreachable.message,
    "GET /x: kubectl exited with code 1: The connection to the server 127.0.0.1:1 was refused - did you specify the right host or port?",
  );
  assert.equal(unreachable.exitCode, 1);
});

Deno.test("an unreachable server is a KubectlError, not an API error, and never just 'exit code 1'", async () => {
  await withTempDir(async (dir) => {
    const kc = await writeKubeconfig(
      dir,
      "config",
      kubeconfigFor("https://127.0.0.1:9", {}, { token: "t" }),
    );
    const client = new KubectlRawRestClient(undefined, {
      kubeconfig: kc,
      kubectl: cp.binaries.kubectl,
    });
    const err = await client.performRequest({ method: "GET", path: "/api" })
      .then(() => undefined, (e) => e);
    assert.ok(err instanceof KubectlError, String(err));
    assert.match(
      err.message,
      /^GET \/api: kubectl exited with code 1: .*127\.0\.0\.1:9.*refused/s,
    );
  });
});

Deno.test("a missing kubectl binary says so", async () => {
  const client = new KubectlRawRestClient(undefined, {
    kubectl: "/nonexistent/kubectl",
  });
  await assert.rejects(
    () => client.performRequest({ method: "GET", path: "/api" }),
    (err: Error) =>
      err instanceof KubectlError &&
      /\/nonexistent\/kubectl is not installed or not on PATH/.test(
        err.message,
      ),
  );
});

Deno.test("defaultNamespace comes from the context, read once", async () => {
  const limited = await KubectlRawRestClient.create(undefined, {
    kubeconfig: cp.kubeconfigs.limited ?? cp.kubeconfigs.admin,
  });
  assert.equal(
    limited.defaultNamespace,
    cp.kubeconfigs.limited ? cp.limitedNamespace : "default",
  );
  const admin = await KubectlRawRestClient.create(undefined, {
    kubeconfig: cp.kubeconfigs.admin,
  });
  assert.equal(admin.defaultNamespace, "default");
  admin.defaultNamespace = "elsewhere";
  assert.equal(admin.defaultNamespace, "elsewhere");
  assert.equal(await admin.loadDefaultNamespace(), "elsewhere");
});

Deno.test("the namespace is read asynchronously: new does no I/O and a slow kubectl never freezes the event loop", async () => {
  await withTempDir(async (dir) => {
    const slow = await writeScript(
      dir,
      "kubectl",
      `sleep 1; echo '{"contexts":[{"context":{"namespace":"slow"}}]}'`,
    );
    const started = performance.now();
    const client = new KubectlRawRestClient(undefined, { kubectl: slow });
    assert.equal(client.defaultNamespace, undefined, "nothing read yet");
    assert.ok(performance.now() - started < 200, "the getter ran kubectl");
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 50);
    try {
      const loading = [
        client.loadDefaultNamespace(),
        client.loadDefaultNamespace(),
      ];
      assert.deepEqual(await Promise.all(loading), ["slow", "slow"]);
    } finally {
      clearInterval(ticker);
    }
    assert.equal(client.defaultNamespace, "slow");
    assert.ok(ticks >= 10, `the event loop ran ${ticks} times in 1 s`);
  });
});

Deno.test("verbose mode shows the command and kubectl's stderr; quiet mode keeps stderr for errors only", async () => {
  const lines: string[] = [];
  const client = new KubectlRawRestClient(undefined, {
    kubeconfig: cp.kubeconfigs.admin,
    log: (l) => lines.push(l),
  });
  await client.performRequest({
    method: "GET",
    path: "/api/v1/namespaces/default/configmaps/nope",
  }).catch(() => {});
  assert.match(
    lines[0],
    /get --raw=\/api\/v1\/namespaces\/default\/configmaps\/nope$/,
  );
  assert.ok(lines.some((l) => l.startsWith("Error from server (NotFound)")));
});

/**
 * Whether kubectl prints an exec upgrade's refusal as `error: unable to
 * upgrade connection: <message>`, without the Status: seen with 1.36.4
 * (WebSocket first, then SPDY) against our 1.20 apiserver; 1.20 and 1.32
 * print `Error from server (BadRequest): …`.
 */
function refusalWithoutStatus(k: { version: string }): boolean {
  const m = k.version.match(/^v1\.(\d+)\./);
  return m !== null && Number(m[1]) >= 36;
}

for (const k of kubectls) {
  Deno.test({
    name:
      `${k.label}: exec tunnel against the real apiserver: a pod without a node answers on the status channel`,
    ignore: cp.external,
    fn: async () => {
      const admin = new KubectlRawRestClient(undefined, {
        kubeconfig: cp.kubeconfigs.admin,
        kubectl: k.path,
      });
      const pod = `exec-${crypto.randomUUID().slice(0, 6)}`;
      await admin.performRequest({
        method: "POST",
        path: "/api/v1/namespaces/default/pods",
        bodyJson: {
          apiVersion: "v1",
          kind: "Pod",
          metadata: { name: pod },
          spec: {
            automountServiceAccountToken: false,
            // No scheduler by that name: the pod stays without a node even when the harness runs one.
            schedulerName: "kube-test-nobody",
            containers: [{ name: "c", image: "busybox" }],
          },
        },
      });
      try {
        for (
          const [name, status] of [[pod, { reason: "BadRequest", code: 400 }], [
            "no-such-pod",
            { reason: "NotFound", code: 404 },
          ]] as const
        ) {
          const tunnel = await admin.performRequest({
            method: "POST",
            path: `/api/v1/namespaces/default/pods/${name}/exec`,
            querystring: new URLSearchParams({ command: "ls", stdout: "true" }),
            expectTunnel: ["v4.channel.k8s.io"],
          });
          const stdout = await tunnel.getChannel({
            streamIndex: 1,
            readable: true,
            writable: false,
          });
          const st = await tunnel.getChannel({
            streamIndex: 3,
            readable: true,
            writable: false,
          });
          await tunnel.ready();
          const [out, statusText] = await Promise.all([
            new Response(stdout.readable).text(),
            new Response(st.readable).text(),
          ]);
          assert.equal(out, "");
          const parsed = JSON.parse(statusText);
          assert.equal(parsed.status, "Failure");
          if (status.reason === "BadRequest" && refusalWithoutStatus(k)) {
            // This kubectl prints the upgrade's refusal without its Status:
            // the message only, no reason or code made up.
            assert.deepEqual(parsed, {
              status: "Failure",
              message: `pod ${pod} does not have a host assigned`,
            });
          } else {
            assert.equal(parsed.reason, status.reason, statusText);
            assert.equal(parsed.code, status.code);
          }
          await tunnel.stop();
        }
      } finally {
        await admin.performRequest({
          method: "DELETE",
          path: `/api/v1/namespaces/default/pods/${pod}`,
        });
      }
    },
  });
}

Deno.test("exec tunnel data path: stdin, stdout, stderr and the exit code, through the exec helpers", async () => {
  // No kubelet runs here, so a stand-in kubectl plays the remote command the
  // way `kubectl exec` behaves: the command's stdout and stderr, then
  // "command terminated with exit code N" and that exit code.
  await withTempDir(async (dir) => {
    const fake = await writeScript(
      dir,
      "kubectl",
      `shift_to_command() { while [ "$1" != "--" ]; do shift; done; shift; echo "$*"; }
echo "ran: $(shift_to_command "$@")"
cat | tr a-z A-Z
echo "a warning" >&2
echo "command terminated with exit code 3" >&2
exit 3`,
    );
    const client = new KubectlRawRestClient(undefined, { kubectl: fake });
    const result = await execCommand(client, {
      namespace: "ns",
      pod: "web",
      command: ["sh", "-c", "tr"],
      stdin: "hello\n",
    });
    assert.equal(
      new TextDecoder().decode(result.stdout),
      "ran: sh -c tr\nHELLO\n",
    );
    assert.equal(
      new TextDecoder().decode(result.stderr),
      "a warning\n",
      "kubectl's own line is kept back",
    );
    assert.equal(result.exitCode, 3);
    assert.equal(result.status.reason, "NonZeroExitCode");
    await assert.rejects(
      () =>
        openExec(client, {
          namespace: "ns",
          pod: "web",
          command: ["sh"],
          tty: true,
        }),
      /a TTY cannot be carried through kubectl exec/,
    );
  });
});

Deno.test("a kubectl that dies mid-stream errors the stream", async () => {
  await withTempDir(async (dir) => {
    const fake = await writeScript(
      dir,
      "kubectl",
      `echo "I1120 10:00:00.000000    1 round_trippers.go:560] GET https://h/api/v1/pods?watch=1 200 OK in 1 milliseconds" >&2
echo '{"type":"ADDED","object":{"metadata":{"name":"a"}}}'
sleep 0.1
echo "error: an error on the server (\\"unexpected EOF\\") has prevented the request from succeeding" >&2
exit 1`,
    );
    const client = new KubectlRawRestClient(undefined, { kubectl: fake });
    const stream = await client.performRequest({
      method: "GET",
      path: "/api/v1/pods",
      querystring: new URLSearchParams({ watch: "1" }),
      expectStream: true,
      expectJson: true,
    });
    const seen: unknown[] = [];
    const err = await (async () => {
      for await (const ev of stream) seen.push(ev);
    })().then(() => undefined, (e) => e);
    assert.equal(seen.length, 1);
    assert.ok(err instanceof KubectlError, String(err));
    assert.match(err.message, /unexpected EOF/);
  });
});

type CM = { metadata: { name: string; resourceVersion: string } };
type Status = { code?: number; reason?: string; message?: string };

/** Runs `fn` in a fresh namespace with the cluster's admin client; deletes the namespace after. */
async function withNamespace(
  prefix: string,
  fn: (admin: KubeConfigRestClient, ns: string) => Promise<void>,
): Promise<void> {
  using admin = await cp.adminClient();
  const ns = await cp.createNamespace(prefix);
  try {
    await fn(admin, ns);
  } finally {
    await cp.deleteNamespace(ns);
  }
}

for (const k of kubectls) {
  Deno.test(`${k.label}: a watch with no events yet is handed back at once, then delivers what happens`, async () => {
    await withNamespace("quiet", async (admin, ns) => {
      const client = new KubectlRawRestClient(undefined, {
        kubeconfig: cp.kubeconfigs.admin,
        kubectl: k.path,
      });
      const path = `/api/v1/namespaces/${ns}/configmaps`;
      const list = await client.performRequest({
        method: "GET",
        path,
        expectJson: true,
      }) as { metadata: { resourceVersion: string } };
      const started = performance.now();
      const stream = await client.performRequest({
        method: "GET",
        path,
        querystring: new URLSearchParams({
          watch: "1",
          resourceVersion: list.metadata.resourceVersion,
          timeoutSeconds: "30",
        }),
        expectStream: true,
        expectJson: true,
      });
      const ms = performance.now() - started;
      // Before kubectl 1.33's log format was read, 1.33+ returned it only when kubectl exited.
      assert.ok(ms < 5_000, `the watch came back after ${ms.toFixed(0)} ms`);
      await admin.performRequest({
        method: "POST",
        path,
        bodyJson: {
          apiVersion: "v1",
          kind: "ConfigMap",
          metadata: { name: "late" },
        },
      });
      const reader = stream.getReader();
      const first = await reader.read();
      assert.equal(
        (first.value as { type: string; object: CM }).object.metadata.name,
        "late",
      );
      await reader.cancel();
    });
  });

  Deno.test(`${k.label}: a Reflector over the kubectl transport syncs and follows changes`, async () => {
    await withNamespace("kreflect", async (admin, ns) => {
      const path = `/api/v1/namespaces/${ns}/configmaps`;
      const create = (name: string) =>
        admin.performRequest({
          method: "POST",
          path,
          bodyJson: { apiVersion: "v1", kind: "ConfigMap", metadata: { name } },
        });
      await create("a");
      await create("b");
      const client = new KubectlRawRestClient(undefined, {
        kubeconfig: cp.kubeconfigs.admin,
        kubectl: k.path,
      });
      const { lister, watcher } = listWatch<CM, Status>(client, path);
      const r = new Reflector<CM, Status>(lister, watcher);
      const ctl = new AbortController();
      const running = r.run(ctl.signal);
      try {
        await until(() => r.isSynced(), 15_000, "SYNCED");
        await create("c");
        await until(
          () => [...r.listCached()].length === 3,
          15_000,
          "the third ConfigMap in the cache",
        );
      } finally {
        ctl.abort();
        await running;
      }
      assert.deepEqual(
        [...r.listCached()].map((o) => o.metadata.name).sort(),
        ["a", "b", "c"],
      );
    });
  });
}
