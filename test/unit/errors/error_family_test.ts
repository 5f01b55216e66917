// Every error class of the library shares one base: a user catches anything
// the library threw with `instanceof KubernetesClientError` — the two that
// extend another built-in (`PathSegmentError` a `TypeError`,
// `AutoDetectError` an `AggregateError`) included — while `instanceof` on a
// subclass keeps its ordinary meaning; every class carries a `reason`, and
// every class is exported from the errors subpath. Unit tier: no cluster.

import assert from "node:assert/strict";
import * as errors from "../../../lib/errors/mod.ts";
import {
  ApplyError,
  AutoDetectError,
  CredentialError,
  DiscoveryError,
  KubeConfigError,
  KubectlError,
  KubernetesApiError,
  KubernetesClientError,
  LogError,
  ManifestError,
  PathSegmentError,
  ReflectorError,
  StreamDecodeError,
  TestingError,
  TransportError,
  TunnelError,
  UnknownKindError,
  WaitError,
} from "../../../lib/errors/mod.ts";
import * as root from "../../../mod.ts";

const ref = { apiVersion: "v1", kind: "Pod", name: "web", namespace: "ns" };
const notFound = new KubernetesApiError(404, {}, {
  method: "GET",
  path: "/api/v1/namespaces/ns/pods/web",
});

/** One instance of every error class, with the reason it should carry. */
function samples(): [Error, string][] {
  return [
    [notFound, "NotFound"],
    [
      new TransportError("GET /api: refused", { reason: "connection-refused" }),
      "connection-refused",
    ],
    [new KubectlError("GET /api: boom", 1, undefined, "kubectl"), "kubectl"],
    [new KubeConfigError("bad", { file: "/k" }), "InvalidKubeConfig"],
    [new CredentialError("no token"), "CredentialUnavailable"],
    [
      new StreamDecodeError("malformed JSON", 1, "{", new SyntaxError("x")),
      "MalformedJson",
    ],
    [
      new StreamDecodeError("expected a JSON object", 2, "1"),
      "UnexpectedShape",
    ],
    [new PathSegmentError("name", "..", ["may not be '..'"]), "InvalidSegment"],
    [new PathSegmentError("name", "", ["may not be empty"]), "EmptySegment"],
    [new UnknownKindError("x.io/v1", "Y", "no group"), "GroupNotServed"],
    [
      new UnknownKindError("x.io/v2", "Y", "v1 only", ["v1"]),
      "VersionNotServed",
    ],
    [new UnknownKindError("x.io/v1", "Y", "has Z", ["v1"]), "KindNotServed"],
    [
      new DiscoveryError("/apis", "expected an APIGroupList object"),
      "MalformedDiscovery",
    ],
    [new ManifestError("missing kind", { document: 0 }), "InvalidObject"],
    [new ApplyError(ref, "rejected", undefined, notFound), "ServerRejected"],
    [new ApplyError(ref, "no kind"), "InvalidObject"],
    [new WaitError("Timeout", ref, "not ready"), "Timeout"],
    [
      new TunnelError(
        "PodNotRunning",
        { namespace: "ns", pod: "web" },
        "Pending",
      ),
      "PodNotRunning",
    ],
    [
      new LogError(
        "ContainerRequired",
        { namespace: "ns", pod: "web" },
        "pick",
      ),
      "ContainerRequired",
    ],
    [
      new AutoDetectError([{ source: "KubeConfig", reason: "no file" }]),
      "NoSourceWorked",
    ],
    [new TestingError("BinariesMissing", "no etcd"), "BinariesMissing"],
    [new ReflectorError("WatchStartFailed", notFound), "WatchStartFailed"],
  ];
}

Deno.test("one instanceof KubernetesClientError catches every error class of the library", () => {
  for (const [err, reason] of samples()) {
    assert.ok(err instanceof KubernetesClientError, `${err.name}`);
    assert.ok(err instanceof Error, `${err.name}`);
    assert.equal((err as KubernetesClientError).reason, reason, err.name);
  }
});

Deno.test("PathSegmentError stays a TypeError and AutoDetectError an AggregateError", () => {
  const seg = new PathSegmentError("name", ".", ["may not be '.'"]);
  assert.ok(seg instanceof TypeError);
  assert.ok(seg instanceof KubernetesClientError);
  const auto = new AutoDetectError([{
    source: "KubectlRaw",
    reason: "no kubectl",
  }]);
  assert.ok(auto instanceof AggregateError);
  assert.ok(auto instanceof KubernetesClientError);
  assert.equal(auto.errors.length, 1);
});

Deno.test("instanceof a subclass keeps its ordinary meaning", () => {
  const seg = new PathSegmentError("name", ".", ["may not be '.'"]);
  assert.equal(seg instanceof KubernetesApiError, false);
  assert.equal(notFound instanceof TransportError, false);
  assert.equal(new KubectlError("GET /: x") instanceof TransportError, true);
  assert.equal(new CredentialError("x") instanceof KubeConfigError, true);
  assert.equal(new KubeConfigError("x") instanceof CredentialError, false);
  assert.equal(new AutoDetectError([]) instanceof PathSegmentError, false);
  // TypeScript narrows through a subclass as before: `.httpCode` needs the narrowing.
  const e: unknown = notFound;
  if (e instanceof KubernetesApiError) assert.equal(e.httpCode, 404);
  else assert.fail("not narrowed");
});

Deno.test("errors that are not the library's are not KubernetesClientErrors", () => {
  for (
    const v of [
      new Error("x"),
      new TypeError("x"),
      new AggregateError([]),
      { reason: "NotFound" },
      null,
      undefined,
      "text",
    ]
  ) {
    assert.equal(v instanceof KubernetesClientError, false, String(v));
  }
});

Deno.test("TransportError's reason is its kind, and kind stays as a deprecated alias", () => {
  const err = new TransportError("GET /: t", { kind: "timeout" });
  assert.equal(err.reason, "timeout");
  assert.equal(err.kind, "timeout");
  assert.ok(err.isTimeout());
});

Deno.test("every error class is exported from the errors subpath, and the root exports the base and the ones users catch", () => {
  const names = samples().map(([e]) => e.constructor.name);
  for (const name of new Set([...names, "KubernetesClientError"])) {
    assert.equal(
      typeof (errors as Record<string, unknown>)[name],
      "function",
      name,
    );
  }
  for (
    const name of [
      "KubernetesClientError",
      "KubernetesApiError",
      "TransportError",
      "KubeConfigError",
      "CredentialError",
      "AutoDetectError",
    ]
  ) {
    assert.equal(
      typeof (root as Record<string, unknown>)[name],
      "function",
      name,
    );
  }
});
