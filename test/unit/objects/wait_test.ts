// waitFor's list-then-watch without a cluster, against a scripted
// RestClient, for what a real server does only by chance: a watch that
// answers 410 (as an ERROR event, or as the HTTP status) makes waitFor list
// again and carry on; a watch the server ends cleanly is resumed from the
// last resourceVersion seen; nothing between the list and the watch is
// missed because the watch starts at the list's version.

import assert from "node:assert/strict";
import {
  type JSONValue,
  type RequestOptions,
  type RestClient,
  WaitError,
  waitFor,
} from "../../../mod.ts";
import { apiErrorFromBody } from "../../../lib/errors/mod.ts";
import { waitForNone } from "../../../lib/objects/mod.ts";
import { rejection } from "../../_helpers.ts";

type Step =
  | { list: { rv: string; value?: string } }
  | { watch: (JSONValue | "end")[] }
  | { watchStatus: number };

/** Serves discovery for ConfigMaps, then the scripted lists and watches in order. */
function scripted(steps: Step[]): RestClient & { calls: string[] } {
  const calls: string[] = [];
  const client = {
    calls,
    performRequest(opts: RequestOptions): Promise<unknown> {
      const q = opts.querystring ?? new URLSearchParams();
      if (opts.path === "/api") {
        return Promise.resolve({ kind: "APIVersions", versions: ["v1"] });
      }
      if (opts.path === "/apis") {
        return Promise.resolve({ kind: "APIGroupList", groups: [] });
      }
      if (opts.path === "/api/v1") {
        return Promise.resolve({
          kind: "APIResourceList",
          resources: [{
            name: "configmaps",
            kind: "ConfigMap",
            namespaced: true,
            verbs: ["list", "watch"],
          }],
        });
      }
      const watching = q.get("watch") === "true";
      calls.push(
        `${watching ? "watch" : "list"}@${q.get("resourceVersion") ?? ""}`,
      );
      const step = steps.shift();
      if (!step) return new Promise(() => {}); // nothing more: hang until aborted
      if ("list" in step && !watching) {
        return Promise.resolve({
          metadata: { resourceVersion: step.list.rv },
          items: step.list.value === undefined
            ? []
            : [cm(step.list.value, step.list.rv)],
        });
      }
      if ("watchStatus" in step && watching) {
        return Promise.reject(
          apiErrorFromBody(step.watchStatus, "", {
            method: "GET",
            path: opts.path,
          }),
        );
      }
      if ("watch" in step && watching) {
        const events = step.watch;
        return Promise.resolve(
          new ReadableStream<JSONValue>({
            pull(c): Promise<void> | void {
              const ev = events.shift();
              if (ev === undefined) return new Promise(() => {});
              if (ev === "end") c.close();
              else c.enqueue(ev);
            },
          }),
        );
      }
      return Promise.reject(
        new Error(
          `unexpected ${watching ? "watch" : "list"}: script says ${
            JSON.stringify(step)
          }`,
        ),
      );
    },
  };
  return client as unknown as RestClient & { calls: string[] };
}

function cm(value: string, rv: string) {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "c", namespace: "n", resourceVersion: rv },
    data: { v: value },
  };
}

const ref = { apiVersion: "v1", kind: "ConfigMap", name: "c", namespace: "n" };
const isDone = (o: { data?: { v?: string } } | undefined) =>
  o?.data?.v === "done";

Deno.test("waitFor watches from the list's resourceVersion and lists again after a 410 ERROR event", async () => {
  const client = scripted([
    { list: { rv: "10", value: "a" } },
    {
      watch: [{ type: "MODIFIED", object: cm("b", "11") }, {
        type: "ERROR",
        object: {
          kind: "Status",
          code: 410,
          reason: "Expired",
          message: "too old",
        },
      }],
    },
    { list: { rv: "20", value: "c" } },
    { watch: [{ type: "MODIFIED", object: cm("done", "21") }] },
  ]);
  const got = await waitFor(client, ref, isDone, { timeoutMs: 5000 });
  assert.equal((got as { data: { v: string } }).data.v, "done");
  assert.deepEqual(client.calls, ["list@", "watch@10", "list@", "watch@20"]);
});

Deno.test("waitFor lists again when opening the watch answers HTTP 410", async () => {
  const client = scripted([
    { list: { rv: "10", value: "a" } },
    { watchStatus: 410 },
    { list: { rv: "30", value: "done" } },
  ]);
  await waitFor(client, ref, isDone, { timeoutMs: 5000 });
  assert.deepEqual(client.calls, ["list@", "watch@10", "list@"]);
});

Deno.test("waitFor resumes a watch the server ended from the last resourceVersion it saw, bookmarks included", async () => {
  const client = scripted([
    { list: { rv: "10" } },
    {
      watch: [{ type: "ADDED", object: cm("a", "12") }, {
        type: "BOOKMARK",
        object: { metadata: { resourceVersion: "15" } },
      }, "end"],
    },
    { watch: [{ type: "DELETED", object: cm("a", "16") }] },
  ]);
  const got = await waitFor(
    client,
    ref,
    (o) => o === undefined && client.calls.length > 2,
    { timeoutMs: 5000 },
  );
  assert.equal(got, undefined);
  assert.deepEqual(client.calls, ["list@", "watch@10", "watch@15"]);
});

Deno.test("waitFor gives up on any other watch error, naming it", async () => {
  const client = scripted([{ list: { rv: "10" } }, { watchStatus: 403 }]);
  const err = await waitFor(client, ref, isDone, { timeoutMs: 5000 }).catch((
    e,
  ) => e);
  assert.equal(err?.name, "KubernetesApiError");
  assert.equal(err.httpCode, 403);
});

Deno.test("waitFor ends at its deadline with a Timeout WaitError that says what it last saw, and leaves no timer", async () => {
  const client = scripted([{ list: { rv: "10", value: "a" } }, { watch: [] }]);
  const err = await rejection(
    waitFor(client, ref, {
      description: "v=done",
      test: isDone,
    }, { timeoutMs: 300 }),
    WaitError,
  );
  assert.equal(err?.name, "WaitError");
  assert.equal(err.reason, "Timeout");
  assert.equal(
    err.message,
    "ConfigMap n/c (v1): Timeout: v=done not reached within 300 ms; last seen: no status yet",
  );
});

Deno.test("exists() holds for any object and not for an absent one; a condition evaluated once throws the reason", async () => {
  const { exists, podRunning } = await import("../../../lib/objects/wait.ts");
  const ref = { apiVersion: "v1", kind: "Pod", name: "p", namespace: "n" };
  assert.equal(exists().test(undefined, ref), false);
  assert.equal(exists().test({ apiVersion: "v1", kind: "Pod" }, ref), true);
  const stuck = {
    apiVersion: "v1",
    kind: "Pod",
    status: {
      phase: "Pending",
      containerStatuses: [{
        name: "main",
        state: { waiting: { reason: "ImagePullBackOff", message: "no" } },
      }],
    },
  };
  assert.throws(
    () => podRunning().test(stuck, ref),
    (e: unknown) =>
      e instanceof WaitError && e.reason === "ImagePullBackOff" &&
      e.container === "main",
  );
});

Deno.test("statefulSetRolledOut and daemonSetRolledOut follow kubectl's rollout status rules", async () => {
  const { statefulSetRolledOut, daemonSetRolledOut, deploymentRolledOut } =
    await import("../../../lib/objects/wait.ts");
  const ref = { apiVersion: "apps/v1", kind: "StatefulSet", name: "s" };
  const sts = (spec: object, status: object) => ({
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: { generation: 2 },
    spec: { replicas: 3, ...spec },
    status: { observedGeneration: 2, readyReplicas: 3, ...status },
  });
  const at = { currentRevision: "a", updateRevision: "a" };
  assert.equal(statefulSetRolledOut().test(sts({}, at), ref), true);
  assert.equal(
    statefulSetRolledOut().test(sts({}, { ...at, updateRevision: "b" }), ref),
    false,
  );
  assert.equal(
    statefulSetRolledOut().test(sts({}, { ...at, observedGeneration: 1 }), ref),
    false,
  );
  // A partition of 2: only the replicas from ordinal 2 up must be updated.
  const partitioned = {
    updateStrategy: { type: "RollingUpdate", rollingUpdate: { partition: 2 } },
  };
  assert.equal(
    statefulSetRolledOut().test(
      sts(partitioned, {
        currentRevision: "a",
        updateRevision: "b",
        updatedReplicas: 1,
      }),
      ref,
    ),
    true,
  );
  assert.throws(
    () =>
      statefulSetRolledOut().test(
        sts({ updateStrategy: { type: "OnDelete" } }, at),
        ref,
      ),
    (e: unknown) => e instanceof WaitError && e.reason === "RolloutUnsupported",
  );
  const ds = (status: object) => ({
    apiVersion: "apps/v1",
    kind: "DaemonSet",
    metadata: { generation: 1 },
    spec: {},
    status: { observedGeneration: 1, desiredNumberScheduled: 2, ...status },
  });
  assert.equal(
    daemonSetRolledOut().test(
      ds({ updatedNumberScheduled: 2, numberAvailable: 2 }),
      ref,
    ),
    true,
  );
  assert.equal(
    daemonSetRolledOut().test(
      ds({ updatedNumberScheduled: 2, numberAvailable: 1 }),
      ref,
    ),
    false,
  );
  // A deadline verdict of a generation the controller has not observed
  // yet is not this spec's: kubectl checks it only once observed.
  const stale = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { generation: 3 },
    spec: { replicas: 1 },
    status: {
      observedGeneration: 2,
      conditions: [{
        type: "Progressing",
        status: "False",
        reason: "ProgressDeadlineExceeded",
      }],
    },
  };
  assert.equal(deploymentRolledOut().test(stale, ref), false);
  assert.throws(
    () =>
      deploymentRolledOut().test({
        ...stale,
        status: { ...stale.status, observedGeneration: 3 },
      }, ref),
    (e: unknown) =>
      e instanceof WaitError && e.reason === "ProgressDeadlineExceeded",
  );
});

Deno.test("deploymentRolledOut({ before }) ignores the verdict the replaced rollout left, not a new one", async () => {
  const { deploymentRolledOut } = await import("../../../lib/objects/wait.ts");
  const ref = { apiVersion: "apps/v1", kind: "Deployment", name: "d" };
  const verdict = (at: string) => ({
    type: "Progressing",
    status: "False",
    reason: "ProgressDeadlineExceeded",
    lastUpdateTime: at,
  });
  const dep = (gen: number, at: string) => ({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { generation: gen },
    spec: { replicas: 1 },
    status: {
      observedGeneration: gen,
      replicas: 2,
      updatedReplicas: 1,
      availableReplicas: 1,
      conditions: [verdict(at)],
    },
  });
  const before = dep(2, "2026-01-01T00:00:05Z");
  const cond = deploymentRolledOut({ before });
  assert.equal(cond.test(dep(3, "2026-01-01T00:00:05Z"), ref), false);
  assert.throws(
    () => cond.test(dep(3, "2026-01-01T00:01:00Z"), ref),
    (e: unknown) =>
      e instanceof WaitError && e.reason === "ProgressDeadlineExceeded",
  );
});

Deno.test("waitForNone sends its selector, lists again after a 410 and ends when the new list holds none", async () => {
  const client = scripted([
    { list: { rv: "10", value: "a" } },
    {
      watch: [{ type: "MODIFIED", object: cm("b", "11") }, {
        type: "ERROR",
        object: { kind: "Status", code: 410, reason: "Expired", message: "" },
      }],
    },
    { list: { rv: "20" } },
  ]);
  const selectors: string[] = [];
  const send = client.performRequest.bind(client);
  client.performRequest = ((opts: RequestOptions) => {
    const q = opts.querystring;
    if (q?.has("labelSelector")) selectors.push(q.get("labelSelector")!);
    return send(opts);
  }) as RestClient["performRequest"];
  await waitForNone(client, {
    apiVersion: "v1",
    kind: "ConfigMap",
    namespace: "n",
  }, {
    labelSelector: "app=web",
    timeoutMs: 5000,
  });
  assert.deepEqual(client.calls, ["list@", "watch@10", "list@"]);
  assert.deepEqual(selectors, ["app=web", "app=web", "app=web"]);
});

Deno.test("waitForNone ends at its deadline naming what is left, and gives up at once on a 403", async () => {
  const where = { apiVersion: "v1", kind: "ConfigMap", namespace: "n" };
  const err = await rejection(
    waitForNone(
      scripted([{ list: { rv: "10", value: "a" } }, { watch: [] }]),
      where,
      { labelSelector: "app=web", timeoutMs: 300 },
    ),
    WaitError,
  );
  assert.equal(
    err.message,
    'ConfigMap n/* (v1): Timeout: no ConfigMap matching "app=web" not reached within 300 ms; still there: n/c',
  );
  assert.deepEqual(err.target, { ...where, name: "*" });
  const t = performance.now();
  const refused = await rejection(
    waitForNone(
      scripted([{ list: { rv: "10", value: "a" } }, { watchStatus: 403 }]),
      where,
      { timeoutMs: 5000 },
    ),
  );
  assert.equal((refused as { httpCode?: number }).httpCode, 403);
  assert.ok(performance.now() - t < 2000);
});
