// A Reflector says why it is not syncing: every failure it backs off from
// reaches `onError` as a `ReflectorError` naming the stage (kube-rs's
// InitialListFailed, WatchStartFailed, WatchEventError, WatchFailed) with
// the failure as `cause` — 5xx, TLS failures and unanswered requests
// included — and `listCached()` is an array. Unit tier: a fake clock and
// scripted list/watch functions (the shapes generated code passes), no
// cluster. Each test runs with the default cache and with `compact: true`
// (./_both_modes.ts).

import assert from "node:assert/strict";
import {
  KubernetesApiError,
  KubernetesClientError,
  Reflector,
  type Status,
  TransportError,
  type WatchEvent,
} from "../../../mod.ts";
import {
  ReflectorError,
  type ReflectorErrorReason,
} from "../../../lib/watch/mod.ts";
import { until } from "../../_helpers.ts";
import { FakeClock } from "../../_fake_clock.ts";
import { bothModes, mode, withRawVariants } from "./_both_modes.ts";

type Obj = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; resourceVersion?: string };
};

const api503 = new KubernetesApiError(503, { message: "overloaded" }, {
  method: "GET",
  path: "/api/v1/configmaps",
});
const tls = new TransportError(
  "GET /api/v1/configmaps: invalid peer certificate: UnknownIssuer",
  { reason: "tls" },
);
const reset = new TransportError("GET /api/v1/configmaps: connection reset", {
  reason: "connection-reset",
});

function cm(name: string, rv: string): Obj {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name, namespace: "n", resourceVersion: rv },
  };
}

/** A list answering once with `items`, then never. */
function lister(
  first: () => Promise<{ metadata: { resourceVersion: string }; items: Obj[] }>,
) {
  let calls = 0;
  return () => calls++ === 0 ? first() : new Promise<never>(() => {});
}

const listed = () =>
  Promise.resolve({
    metadata: { resourceVersion: "5" },
    items: [cm("a", "4"), cm("b", "5")],
  });

/** Runs a Reflector until `onError` has been told once; returns what it was told. */
async function firstError(
  list: () => Promise<{ metadata: { resourceVersion: string }; items: Obj[] }>,
  watch: () => Promise<ReadableStream<WatchEvent<Obj, Status>>>,
  advance?: (clock: FakeClock) => void,
): Promise<ReflectorError> {
  const clock = new FakeClock();
  const errors: ReflectorError[] = [];
  let watches = 0;
  const listFn = lister(list);
  const watchFn = () =>
    watches++ === 0 ? watch() : new Promise<never>(() => {});
  withRawVariants(listFn, watchFn);
  const reflector = new Reflector<Obj, Status>(
    listFn,
    watchFn,
    {
      compact: mode.compact,
      clock,
      initialList: "list",
      requestTimeoutMs: 10_000,
      onError: (err) => errors.push(err),
    },
  );
  const running = reflector.run();
  try {
    if (advance) {
      await until(
        () => watches === 1 && clock.sleeping(10_000),
        5_000,
        "the watch request's deadline",
        0,
      );
      advance(clock);
    }
    await until(() => errors.length > 0, 5_000, "a reported failure", 0);
  } finally {
    reflector.stop();
    await running;
  }
  assert.equal(errors.length, 1);
  return errors[0];
}

function assertStage(
  err: ReflectorError,
  stage: ReflectorErrorReason,
  cause: unknown,
): void {
  assert.ok(err instanceof ReflectorError);
  assert.ok(err instanceof KubernetesClientError);
  assert.equal(err.reason, stage);
  assert.equal(err.cause, cause);
  assert.match(err.message, /^Reflector: /);
}

bothModes(
  "a 5xx to the list reaches onError as InitialListFailed",
  async () => {
    const err = await firstError(
      () => Promise.reject(api503),
      () => new Promise(() => {}),
    );
    assertStage(err, "InitialListFailed", api503);
    assert.match(
      err.message,
      /the list failed: GET \/api\/v1\/configmaps: HTTP 503/,
    );
  },
);

bothModes(
  "a TLS failure on the list reaches onError as InitialListFailed",
  async () => {
    const err = await firstError(
      () => Promise.reject(tls),
      () => new Promise(() => {}),
    );
    assertStage(err, "InitialListFailed", tls);
  },
);

bothModes(
  "a 5xx or a TLS failure to the watch request reaches onError as WatchStartFailed",
  async () => {
    assertStage(
      await firstError(listed, () => Promise.reject(api503)),
      "WatchStartFailed",
      api503,
    );
    assertStage(
      await firstError(listed, () => Promise.reject(tls)),
      "WatchStartFailed",
      tls,
    );
  },
);

bothModes(
  "a watch request with no answer within requestTimeoutMs reaches onError as WatchStartFailed, a timeout",
  async () => {
    const err = await firstError(
      listed,
      () => new Promise(() => {}),
      (clock) => clock.advance(10_000),
    );
    assert.equal(err.reason, "WatchStartFailed");
    assert.ok(err.cause instanceof TransportError, String(err.cause));
    assert.equal(err.cause.reason, "timeout");
  },
);

bothModes(
  "a watch cut after it started reaches onError as WatchFailed",
  async () => {
    const err = await firstError(listed, () =>
      Promise.resolve(
        new ReadableStream<WatchEvent<Obj, Status>>({
          start(c) {
            c.enqueue({ type: "MODIFIED", object: cm("a", "6") });
            c.error(reset);
          },
        }),
      ));
    assertStage(err, "WatchFailed", reset);
  },
);

bothModes(
  "an ERROR event other than a 410 reaches onError as WatchEventError",
  async () => {
    const err = await firstError(listed, () =>
      Promise.resolve(
        new ReadableStream<WatchEvent<Obj, Status>>({
          start(c) {
            c.enqueue({
              type: "ERROR",
              object: {
                kind: "Status",
                apiVersion: "v1",
                status: "Failure",
                code: 500,
                reason: "InternalError",
                message: "etcd is down",
              } as Status,
            });
          },
        }),
      ));
    assert.equal(err.reason, "WatchEventError");
    assert.ok(err.cause instanceof KubernetesApiError);
    assert.equal(err.cause.code, 500);
  },
);

bothModes("listCached() is an array users can map", async () => {
  const clock = new FakeClock();
  const listFn = lister(listed);
  const watchFn = () => new Promise<never>(() => {});
  withRawVariants(listFn, watchFn);
  const reflector = new Reflector<Obj, Status>(
    listFn,
    watchFn,
    { clock, initialList: "list", compact: mode.compact },
  );
  const running = reflector.run();
  try {
    await until(() => reflector.isSynced(), 5_000, "the first sync", 0);
    const cached = reflector.listCached();
    assert.ok(Array.isArray(cached));
    assert.deepEqual(cached.map((o) => o.metadata.name).sort(), ["a", "b"]);
    assert.deepEqual([...reflector.listCached()].length, 2); // still iterable
  } finally {
    reflector.stop();
    await running;
  }
});
