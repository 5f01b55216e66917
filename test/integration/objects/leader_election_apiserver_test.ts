// Leader election on a real Lease of the real apiserver, three candidates
// each time, with short durations (lease 3 s, renew deadline 2 s, retry
// 0.5 s) so client-go's guarantees can be timed:
// - one candidate leads, and the Lease says so (holder, duration,
//   transitions, times the apiserver accepted as MicroTime);
// - the leader's process is killed (SIGKILL: no release): another takes
//   over within the lease duration after the last renewal;
// - the leader's requests stall (the apiserver unreachable for it): it
//   steps down within its renew deadline, before another takes over, and
//   two never lead at once;
// - the leader stops: it releases the Lease and a successor leads at once,
//   without waiting out the lease duration.
// What is checked does not depend on the server's version: Leases are
// coordination.k8s.io/v1 from 1.14.

import assert from "node:assert/strict";
import type {
  JSONObject,
  KubeConfigRestClient,
  RestClient,
} from "../../../mod.ts";
import { PathSegmentError } from "../../../lib/errors/mod.ts";
import { LeaderElector } from "../../../lib/objects/leader_election.ts";
import { controlPlane } from "../../harness.ts";
import { until } from "../../_helpers.ts";

const cp = await controlPlane();

const FAST = {
  leaseDurationMs: 3000,
  renewDeadlineMs: 2000,
  retryPeriodMs: 500,
};

/** What each candidate reported, in order, with the time. */
interface Event {
  t: number;
  who: string;
  what: "LEADING" | "STOPPED";
}

/** A client whose requests can be made to hang until their signal aborts. */
function stallable(client: RestClient) {
  let paused = false;
  const wrapped = {
    performRequest(opts: { abortSignal?: AbortSignal }) {
      if (!paused) {
        return (client.performRequest as (o: unknown) => Promise<unknown>)(
          opts,
        );
      }
      return new Promise((_, reject) => {
        const s = opts.abortSignal;
        if (s?.aborted) return reject(s.reason);
        s?.addEventListener("abort", () => reject(s.reason), { once: true });
      });
    },
  } as unknown as RestClient;
  return { client: wrapped, pause: () => (paused = true) };
}

/** Asserts no two candidates lead at once: each LEADING follows the previous leader's STOPPED. */
function assertOneAtATime(events: Event[]): void {
  let leader: string | undefined;
  for (const e of events) {
    if (e.what === "LEADING") {
      assert.equal(leader, undefined, `${e.who} led while ${leader} did`);
      leader = e.who;
    } else if (e.who === leader) leader = undefined;
  }
}

async function readLease(
  client: RestClient,
  ns: string,
  name: string,
): Promise<JSONObject> {
  return await client.performRequest({
    method: "GET",
    path: `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases/${name}`,
    expectJson: true,
  }) as JSONObject;
}

Deno.test("of three candidates one leads, a stalled leader steps down before another takes over, and a stopped leader releases at once", async () => {
  const ns = await cp.createNamespace("lease");
  const events: Event[] = [];
  const clients: KubeConfigRestClient[] = [];
  const runs: Promise<void>[] = [];
  const stops: AbortController[] = [];
  const stallers: ReturnType<typeof stallable>[] = [];
  try {
    for (const who of ["a", "b", "c"]) {
      const real = await cp.adminClient();
      clients.push(real);
      const s = stallable(real);
      stallers.push(s);
      const stop = new AbortController();
      stops.push(stop);
      runs.push(
        new LeaderElector(s.client, {
          namespace: ns,
          name: "election",
          identity: who,
          ...FAST,
          onStartedLeading: () =>
            void events.push({ t: Date.now(), who, what: "LEADING" }),
          onStoppedLeading: () =>
            void events.push({ t: Date.now(), who, what: "STOPPED" }),
        }).run(stop.signal),
      );
    }
    await until(() => events.length > 0, 10_000, "a first leader");
    const first = events[0].who;
    const admin = clients[0];
    const lease = await readLease(admin, ns, "election");
    const spec = lease.spec as JSONObject;
    assert.equal(spec.holderIdentity, first);
    assert.equal(spec.leaseDurationSeconds, 3);
    assert.equal(spec.leaseTransitions, 0);
    assert.ok(!Number.isNaN(Date.parse(String(spec.renewTime))));

    // The leader loses the apiserver.
    const paused = Date.now();
    stallers[["a", "b", "c"].indexOf(first)].pause();
    await until(
      () => events.some((e) => e.what === "LEADING" && e.who !== first),
      10_000,
      "a successor",
    );
    const stopped = events.find((e) => e.who === first && e.what === "STOPPED");
    const second = events.find((e) => e.what === "LEADING" && e.who !== first)!;
    assert.ok(stopped, "the stalled leader stepped down");
    assert.ok(
      stopped.t - paused <= FAST.renewDeadlineMs + FAST.retryPeriodMs + 1000,
      `stepped down ${stopped.t - paused} ms after the stall`,
    );
    assert.ok(
      stopped.t < second.t,
      `stepped down at +${stopped.t - paused} ms, successor at +${
        second.t - paused
      } ms`,
    );
    console.log(
      `  stall: leader stepped down after ${
        stopped.t - paused
      } ms, successor led after ${second.t - paused} ms`,
    );
    await runs[["a", "b", "c"].indexOf(first)];

    // The successor stops: it releases, and the last candidate leads at once.
    const secondIndex = ["a", "b", "c"].indexOf(second.who);
    const stoppedAt = Date.now();
    stops[secondIndex].abort();
    await runs[secondIndex];
    await until(
      () =>
        events.some((e) =>
          e.what === "LEADING" && e.who !== first && e.who !== second.who
        ),
      10_000,
      "a third leader",
    );
    const third = events.findLast((e) => e.what === "LEADING")!;
    assert.ok(
      third.t - stoppedAt < FAST.leaseDurationMs,
      `after a release the next leader took ${
        third.t - stoppedAt
      } ms, not the lease duration`,
    );
    console.log(`  release: next leader after ${third.t - stoppedAt} ms`);
    const after = (await readLease(admin, ns, "election")).spec as JSONObject;
    assert.equal(after.holderIdentity, third.who);
    assert.equal(after.leaseTransitions, 2);
    assertOneAtATime(events);
  } finally {
    for (const s of stops) s.abort();
    await Promise.allSettled(runs);
    for (const c of clients) c.close();
    await cp.deleteNamespace(ns);
  }
});

Deno.test("when the leader's process is killed, another candidate takes over within the lease duration", async () => {
  const ns = await cp.createNamespace("lease-kill");
  const fixture = new URL("../../fixtures/leader_candidate.ts", import.meta.url)
    .pathname;
  const events: Event[] = [];
  const children = new Map<string, Deno.ChildProcess>();
  const readers: Promise<void>[] = [];
  try {
    for (const who of ["a", "b", "c"]) {
      const child = new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", fixture, cp.kubeconfigs.admin, ns, "election", who],
        stdin: "null",
        stdout: "piped",
        stderr: "inherit",
      }).spawn();
      children.set(who, child);
      readers.push((async () => {
        const lines = child.stdout.pipeThrough(new TextDecoderStream());
        let buf = "";
        for await (const chunk of lines) {
          buf += chunk;
          let i;
          while ((i = buf.indexOf("\n")) >= 0) {
            const [what, id] = buf.slice(0, i).split(" ");
            buf = buf.slice(i + 1);
            if (what === "LEADING" || what === "STOPPED") {
              events.push({ t: Date.now(), who: id, what });
            }
          }
        }
      })());
    }
    await until(() => events.length > 0, 20_000, "a first leader");
    const first = events[0].who;
    const killed = Date.now();
    children.get(first)!.kill("SIGKILL");
    await children.get(first)!.status;
    await until(
      () => events.some((e) => e.what === "LEADING" && e.who !== first),
      15_000,
      "a successor",
    );
    const second = events.find((e) => e.what === "LEADING" && e.who !== first)!;
    const took = second.t - killed;
    console.log(`  kill: successor led ${took} ms after the SIGKILL`);
    assert.ok(
      took <= FAST.leaseDurationMs + 2 * FAST.retryPeriodMs + 1000,
      `took ${took} ms`,
    );
    // The killed leader stopped leading when it died.
    assertOneAtATime([
      ...events.filter((e) => e.t < killed),
      { t: killed, who: first, what: "STOPPED" },
      ...events.filter((e) => e.t >= killed),
    ]);
    // The rest stop cleanly: the leader releases and says so.
    for (const [who, child] of children) {
      if (who !== first) child.kill("SIGTERM");
    }
    for (const [who, child] of children) {
      if (who !== first) await child.status;
    }
    await Promise.all(readers);
    assert.ok(
      events.some((e) => e.who === second.who && e.what === "STOPPED"),
      "the successor stepped down on SIGTERM",
    );
  } finally {
    for (const child of children.values()) {
      try {
        child.kill("SIGKILL");
      } catch { /* already gone */ }
    }
    await Promise.allSettled([...children.values()].map((c) => c.status));
    await Promise.allSettled(readers);
    await cp.deleteNamespace(ns);
  }
});

Deno.test("a Lease name that is not a path segment, or durations client-go refuses, fail at construction", async () => {
  const client = await cp.adminClient();
  try {
    assert.throws(
      () =>
        new LeaderElector(client, {
          namespace: "default",
          name: "..",
          identity: "x",
        }),
      PathSegmentError,
    );
    for (
      const bad of [
        { leaseDurationMs: 2000, renewDeadlineMs: 2000 },
        { renewDeadlineMs: 1000, retryPeriodMs: 1000 },
        { retryPeriodMs: 0 },
        { identity: "" },
      ]
    ) {
      assert.throws(
        () =>
          new LeaderElector(client, {
            namespace: "default",
            name: "ok",
            identity: "x",
            ...bad,
          }),
        RangeError,
        JSON.stringify(bad),
      );
    }
  } finally {
    client.close();
  }
});
