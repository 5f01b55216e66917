// How the kubectl transport reads kubectl's -v=6 log, in every form kubectl
// has printed it, and how a stream starts when the log says nothing we know:
// the lines are built from client-go's own format strings (quoted below with
// the release each belongs to), and stand-in kubectls print them as the
// real ones do, so no test depends on which kubectl the machine has.
// Needs no cluster and no kubectl.

import assert from "node:assert/strict";
import {
  KubectlError,
  KubectlRawRestClient,
  KubernetesApiError,
} from "../../../mod.ts";
import {
  kubectlFailure,
  lastRoundTripIn,
  parseStderr,
} from "../../../transports/_kubectl_diagnostics.ts";
import { planKubectl } from "../../../transports/_kubectl_args.ts";
import { withTempDir, writeScript } from "../../_helpers.ts";

const KLOG_HEAD = "I1203 16:45:26.727428   22465";

/** Go's fmt for the %s and %d verbs client-go's format strings use. */
function sprintf(format: string, ...args: (string | number)[]): string {
  let i = 0;
  return format.replace(/%[sd]/g, () => String(args[i++]));
}

// client-go transport/round_trippers.go, debuggingRoundTripper.RoundTrip at
// DebugURLTiming (-v=6), kubectl 1.2 to 1.32:
//   klog.Infof("%s %s %s in %d milliseconds", reqInfo.RequestVerb, reqInfo.RequestURL, reqInfo.ResponseStatus, ...)
// and, before it, pkg/client/debugging_client.go (kubernetes#10032, kubectl 1.0-1.1): the same format.
const TEXT_FORMAT = "%s %s %s in %d milliseconds";
// kubectl 1.33 and later (kubernetes#129330): logger.Info("Response", "verb", …, "url", …, "status", …, "milliseconds", …)
// as klog's text format writes key/value pairs (strings quoted, numbers bare),
// e.g. kubectl 1.36.4: `round_trippers.go:632] "Response" verb="GET" url="https://127.0.0.1:9/api" status="" milliseconds=0`.
const structured = (verb: string, url: string, status: string, ms: number) =>
  `"Response" verb="${verb}" url="${url}" status="${status}" milliseconds=${ms}`;

const line = (location: string, message: string) =>
  `${KLOG_HEAD} ${location}] ${message}`;

Deno.test("the round trip's status is read in every form kubectl has logged it", () => {
  const url = "https://127.0.0.1:6443/api/v1/namespaces/a/configmaps?watch=1";
  const cases: [string, number | undefined][] = [
    [
      line(
        "debugging_client.go:120",
        sprintf(TEXT_FORMAT, "GET", url, "200 OK", 22),
      ),
      200,
    ],
    [
      line(
        "round_trippers.go:445",
        sprintf(TEXT_FORMAT, "GET", url, "404 Not Found", 1),
      ),
      404,
    ],
    [
      line(
        "round_trippers.go:560",
        sprintf(TEXT_FORMAT, "PATCH", url, "409 Conflict", 3),
      ),
      409,
    ],
    // No answer (connection refused): the status is empty.
    [
      line("round_trippers.go:560", sprintf(TEXT_FORMAT, "GET", url, "", 0)),
      undefined,
    ],
    [line("round_trippers.go:632", structured("GET", url, "200 OK", 8)), 200],
    [
      line(
        "round_trippers.go:632",
        structured("PATCH", url, "409 Conflict", 8),
      ),
      409,
    ],
    [line("round_trippers.go:632", structured("GET", url, "", 0)), undefined],
  ];
  for (const [text, status] of cases) {
    const rt = lastRoundTripIn(`${text}\n`);
    assert.deepEqual(rt, { status }, text);
    assert.equal(parseStderr(text).lastHttpStatus, status, text);
    assert.equal(parseStderr(text).unreadableRoundTrip, undefined, text);
  }
  // Other klog lines (1.33+ logs feature gates at -v=6) are not round trips.
  assert.equal(
    lastRoundTripIn(
      line(
        "envvar.go:195",
        '"Feature gate default state" feature="WatchListClient" enabled=true',
      ),
    ),
    undefined,
  );
  // A round-trip line in a form we do not know is reported, with its location.
  assert.deepEqual(
    lastRoundTripIn(line("round_trippers.go:700", '"RoundTrip" code=200')),
    { unreadable: "round_trippers.go:700" },
  );
});

Deno.test("a server-side apply conflict logged by kubectl 1.33+ is the server's typed 409", () => {
  const err = kubectlFailure(
    parseStderr(
      line(
        "round_trippers.go:632",
        structured(
          "PATCH",
          "https://h/api/v1/namespaces/a/configmaps/c?fieldManager=b",
          "409 Conflict",
          4,
        ),
      ) +
        '\nerror: Apply failed with 1 conflict: conflict with "a" using v1: .data.owner\nPlease review the fields above--they currently have other managers.\n',
    ),
    1,
    { method: "PATCH", path: "/api/v1/namespaces/a/configmaps/c" },
  );
  assert.ok(err instanceof KubernetesApiError, String(err));
  assert.ok(err.isConflict());
  assert.match(err.message, /Apply failed with 1 conflict/);
});

Deno.test("kubectl 1.20's fatal line is its message; the goroutine stacks after it are not", () => {
  const diag = parseStderr(
    [
      line(
        "round_trippers.go:445",
        "GET https://127.0.0.1:9/api  in 0 milliseconds",
      ),
      line(
        "helpers.go:234",
        "Connection error: Get https://127.0.0.1:9/api: dial tcp 127.0.0.1:9: connect: connection refused",
      ),
      "F1203 16:45:26.848607   22487 helpers.go:115] The connection to the server 127.0.0.1:9 was refused - did you specify the right host or port?",
      "goroutine 1 [running]:",
      "k8s.io/kubernetes/vendor/k8s.io/klog/v2.stacks(0x1)",
      "\t/build/klog.go:1026 +0x89",
    ].join("\n"),
  );
  assert.equal(
    diag.message,
    "The connection to the server 127.0.0.1:9 was refused - did you specify the right host or port?",
  );
  const err = kubectlFailure(diag, 255, { method: "GET", path: "/api" });
  assert.ok(
    err instanceof KubectlError && !(err instanceof KubernetesApiError),
  );
});

/** A stand-in kubectl: `version` answers as `gitVersion`, anything else runs `body`. */
const standIn = (dir: string, body: string, gitVersion = "v1.99.0") =>
  writeScript(
    dir,
    "kubectl",
    `if [ "$1" = version ]; then
  echo x >> "${dir}/version-calls"
  echo '{"clientVersion":{"gitVersion":"${gitVersion}"}}'
  exit 0
fi
${body}`,
  );

const watchRequest = {
  method: "GET",
  path: "/api/v1/namespaces/a/configmaps",
  querystring: new URLSearchParams({ watch: "1" }),
  expectStream: true,
  expectJson: true,
} as const;
const EVENT = '{"type":"ADDED","object":{"metadata":{"name":"a"}}}';

async function timed<T>(p: Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const value = await p;
  return [value, performance.now() - started];
}

Deno.test("a quiet watch through kubectl 1.33+ starts when its structured status line arrives, not at its first event", async () => {
  await withTempDir(async (dir) => {
    // Like a real watch: the status line as headers arrive, the first event 3 s later.
    const kubectl = await standIn(
      dir,
      `echo '${
        line(
          "round_trippers.go:632",
          structured(
            "GET",
            "https://h/api/v1/namespaces/a/configmaps?watch=1",
            "200 OK",
            3,
          ),
        )
      }' >&2
sleep 3
echo '${EVENT}'`,
    );
    const client = new KubectlRawRestClient(undefined, { kubectl });
    const [stream, ms] = await timed(client.performRequest(watchRequest));
    assert.ok(ms < 2000, `the watch started after ${ms.toFixed(0)} ms`);
    const reader = stream.getReader();
    assert.deepEqual((await reader.read()).value, JSON.parse(EVENT));
    await reader.cancel();
  });
});

Deno.test("with no status line it knows, a stream starts at kubectl's first byte of body", async () => {
  await withTempDir(async (dir) => {
    const kubectl = await standIn(
      dir,
      `echo '${line("loader.go:402", "Config loaded from file:  /x")}' >&2
echo '${EVENT}'
exec sleep 3`,
    );
    const client = new KubectlRawRestClient(undefined, { kubectl });
    const [stream, ms] = await timed(client.performRequest(watchRequest));
    assert.ok(ms < 2000, `the stream started after ${ms.toFixed(0)} ms`);
    const reader = stream.getReader();
    assert.deepEqual((await reader.read()).value, JSON.parse(EVENT));
    await reader.cancel();
  });
});

Deno.test("an unreadable status line with no body fails typed and fast, naming kubectl's version, read once per binary", async () => {
  await withTempDir(async (dir) => {
    const kubectl = await standIn(
      dir,
      `echo '${line("round_trippers.go:700", '"RoundTrip" code=200')}' >&2
exec sleep 4`,
    );
    const client = new KubectlRawRestClient(undefined, { kubectl });
    for (let i = 0; i < 2; i++) {
      const started = performance.now();
      const err = await client.performRequest(watchRequest).then(
        () => undefined,
        (e) => e,
      );
      const ms = performance.now() - started;
      assert.ok(err instanceof KubectlError, String(err));
      assert.equal(err.kind, "bad-response");
      assert.match(
        err.message,
        /^GET \/api\/v1\/namespaces\/a\/configmaps\?watch=1: kubectl v1\.99\.0 logged the response status at round_trippers\.go:700 in a form this library does not read/,
      );
      assert.ok(ms < 3000, `failed after ${ms.toFixed(0)} ms`);
    }
    const calls = await Deno.readTextFile(`${dir}/version-calls`);
    assert.equal(calls, "x\n", "kubectl version ran once");
  });
});

Deno.test("a failed request whose status line is unreadable names kubectl's version in its error", async () => {
  await withTempDir(async (dir) => {
    const kubectl = await standIn(
      dir,
      `echo '${line("round_trippers.go:700", '"RoundTrip" code=500')}' >&2
echo 'error: the server is unhappy' >&2
exit 1`,
      "v1.98.1",
    );
    const client = new KubectlRawRestClient(undefined, { kubectl });
    const err = await client.performRequest({ method: "GET", path: "/api" })
      .then(() => undefined, (e) => e);
    assert.ok(err instanceof KubectlError, String(err));
    assert.equal(
      err.message,
      "GET /api: kubectl exited with code 1: the server is unhappy (kubectl v1.98.1 logged the response status at round_trippers.go:700 in a form this library does not read)",
    );
  });
});

Deno.test("patches ask for managedFields only of a kubectl that has the flag (1.21+)", () => {
  const patch = {
    method: "PATCH",
    path: "/api/v1/namespaces/a/configmaps/b",
    contentType: "application/apply-patch+yaml",
  } as const;
  assert.ok(planKubectl(patch).args.includes("--show-managed-fields"));
  assert.ok(
    planKubectl(patch, { showManagedFields: true }).args.includes(
      "--show-managed-fields",
    ),
  );
  // kubectl 1.20 rejects the flag, and prints managedFields anyway.
  const old = planKubectl({
    ...patch,
    contentType: "application/merge-patch+json",
  }, { showManagedFields: false });
  assert.ok(!old.args.includes("--show-managed-fields"), old.args.join(" "));
  assert.deepEqual(old.args.slice(-3), ["--", "configmaps", "b"]);
});

Deno.test("kubectl 1.20's Status line (no printf verb) is read like later ones'", () => {
  for (
    const prefix of [
      "server response object: [{",
      "server response object: %s[{",
    ]
  ) {
    const diag = parseStderr(
      [
        line("helpers.go:216", prefix),
        '  "status": "Failure",',
        '  "reason": "NotFound",',
        '  "details": { "name": "nope", "kind": "configmaps" },',
        '  "code": 404',
        "}]",
        'Error from server (NotFound): configmaps "nope" not found',
      ].join("\n"),
    );
    assert.equal(diag.status?.details?.name, "nope", prefix);
    assert.equal(diag.status?.code, 404, prefix);
  }
});

Deno.test("a subresource patch through a kubectl without --subresource (before 1.24) is refused naming that kubectl", () => {
  const status = {
    method: "PATCH",
    path: "/apis/apps/v1/namespaces/a/deployments/web/status",
    contentType: "application/merge-patch+json",
  } as const;
  assert.ok(planKubectl(status).args.includes("--subresource=status"));
  assert.throws(
    () =>
      planKubectl(status, { kubectl: "kubectl v1.20.2", subresource: false }),
    (err: Error) =>
      err instanceof KubectlError && err.kind === "invalid-request" &&
      err.message ===
        "PATCH /apis/apps/v1/namespaces/a/deployments/web/status: kubectl v1.20.2 cannot patch the status subresource: kubectl patch --subresource exists from 1.24 on",
  );
});
