/**
 * Leader election on a `coordination.k8s.io/v1` Lease, with client-go's
 * semantics (`tools/leaderelection`): of all candidates running with the
 * same Lease, at most one leads at a time, and another takes over within
 * the lease duration when the leader dies.
 *
 * - **Acquiring**: every `retryPeriodMs` (with up to 20 % jitter, as
 *   client-go's `JitterFactor` 1.2) a candidate reads the Lease. It takes it
 *   when it does not exist, when it names no holder, or when the holder has
 *   not renewed it for `leaseDurationMs` *as this candidate observed it*
 *   (the time the candidate last saw the Lease change, on its own clock: no
 *   clock skew between machines matters). Every write is an update with the
 *   read `resourceVersion`, so of two candidates racing, one gets a 409.
 * - **Leading**: the leader renews every `retryPeriodMs`. When it cannot
 *   renew within `renewDeadlineMs` (the apiserver unreachable, requests
 *   stalled), it steps down: `onStoppedLeading` runs and the signal given to
 *   `onStartedLeading` aborts. Since the renew deadline is shorter than the
 *   lease duration, a leader that lost contact stops before anyone else can
 *   take over.
 * - **Stopping**: aborting `run()`'s signal steps down and, with
 *   `releaseOnStop` (the default), releases the Lease (holder cleared, a
 *   one-second duration), so a successor takes over at once instead of
 *   after the lease duration.
 *
 * As with client-go's `Run`, {@link LeaderElector.run} campaigns once: it
 * resolves after leadership ended (lost or stopped). Run it again, or exit
 * the process, as client-go's `RunOrDie` users do.
 *
 * Permissions: whatever the transport needs; RBAC `get`, `create` and
 * `update` on `leases` in the namespace.
 *
 * @example Run the work only while leading
 * ```ts
 * import { LeaderElector } from "@denokube/transport/objects";
 * import type { RestClient } from "@denokube/transport/contract";
 *
 * async function operator(client: RestClient, signal: AbortSignal): Promise<void> {
 *   const elector = new LeaderElector(client, {
 *     namespace: "kube-system",
 *     name: "my-operator",
 *     identity: Deno.hostname(),
 *     onStartedLeading: async (leading) => {
 *       while (!leading.aborted) {
 *         // reconcile…
 *         await new Promise((r) => setTimeout(r, 1000));
 *       }
 *     },
 *     onNewLeader: (who) => console.log(`leader is now ${who}`),
 *   });
 *   await elector.run(signal); // resolves once leadership is lost or stopped
 * }
 * ```
 *
 * @module
 */

import type { JSONObject, RestClient } from "../contract.ts";
import { KubernetesApiError } from "../errors/mod.ts";
import { apiPath } from "../_wire/api_path.ts";
import { abortable, delay } from "../_internal/delay.ts";

/** Options for a {@link LeaderElector}; the durations are client-go's defaults. */
export interface LeaderElectionOptions {
  /** The Lease's namespace. */
  namespace: string;
  /** The Lease's name: every candidate of one election uses the same. */
  name: string;
  /** This candidate's identity, unique among the candidates (a pod name, a hostname plus a random suffix). */
  identity: string;
  /**
   * How long a Lease holds after its last renewal, as the other candidates
   * observe it: how long a dead leader's successor waits.
   * @default {15000} (client-go's `LeaseDuration`)
   */
  leaseDurationMs?: number;
  /**
   * How long the leader keeps trying to renew before it steps down. Must
   * be shorter than `leaseDurationMs` (so it stops before a successor
   * starts) and longer than 1.2 × `retryPeriodMs`.
   * @default {10000} (client-go's `RenewDeadline`)
   */
  renewDeadlineMs?: number;
  /**
   * How often candidates try to acquire, and the leader to renew.
   * @default {2000} (client-go's `RetryPeriod`)
   */
  retryPeriodMs?: number;
  /**
   * Whether stopping (aborting `run()`'s signal) releases the Lease, so a
   * successor need not wait out the lease duration.
   * @default {true} (client-go's `ReleaseOnCancel` is opt-in; a clean stop that releases is what operators want)
   */
  releaseOnStop?: boolean;
  /**
   * Called once this candidate leads. `leading` aborts when leadership
   * ends; the work should stop then. A rejection is reported through
   * `onError` and does not end leadership.
   */
  onStartedLeading?: (leading: AbortSignal) => void | Promise<void>;
  /** Called once leadership ended (after `onStartedLeading`'s signal aborted), whether lost or stopped. */
  onStoppedLeading?: () => void;
  /** Called when a different holder is observed (this candidate included), with its identity. */
  onNewLeader?: (identity: string) => void;
  /**
   * Told of every failed attempt to read or write the Lease (they are
   * retried every `retryPeriodMs`) and of a rejected `onStartedLeading`.
   * @default {none: failures are retried silently}
   */
  onError?: (err: unknown) => void;
}

/** What a Lease's spec says about its holder (client-go's `LeaderElectionRecord`). */
export interface LeaderElectionRecord {
  /** Who holds the Lease; empty when released. */
  holderIdentity: string;
  /** How long the holder's claim lasts after `renewTime`, in seconds. */
  leaseDurationSeconds: number;
  /** When the holder took the Lease. */
  acquireTime: string;
  /** When the holder last renewed it. */
  renewTime: string;
  /** How many times the Lease changed hands. */
  leaseTransitions: number;
}

/** client-go's `JitterFactor`: acquire attempts wait up to 20 % longer. */
const JITTER_FACTOR = 1.2;

/**
 * One candidate of a leader election on a Lease (see the module doc).
 */
export class LeaderElector {
  readonly #client: RestClient;
  readonly #o: Required<
    Omit<
      LeaderElectionOptions,
      "onStartedLeading" | "onStoppedLeading" | "onNewLeader" | "onError"
    >
  >;
  readonly #callbacks: LeaderElectionOptions;
  readonly #path: string;
  /** The Lease as last read or written (its resourceVersion guards updates). */
  #lease: JSONObject | undefined;
  /** The record last observed, and when (on our clock). */
  #observed: LeaderElectionRecord | undefined;
  #observedRaw = "";
  #observedAt = 0;
  #reportedLeader: string | undefined;
  #running = false;

  /**
   * Checks the options; nothing runs until {@link LeaderElector.run}.
   *
   * @param client Any transport.
   * @param options The Lease, this candidate's identity, durations, callbacks.
   * @throws {RangeError} When the durations break client-go's rules (lease > renew deadline > 1.2 × retry period > 0) or the identity is empty.
   * @throws {PathSegmentError} When the namespace or name cannot be a path segment.
   */
  constructor(client: RestClient, options: LeaderElectionOptions) {
    const o = {
      namespace: options.namespace,
      name: options.name,
      identity: options.identity,
      leaseDurationMs: options.leaseDurationMs ?? 15_000,
      renewDeadlineMs: options.renewDeadlineMs ?? 10_000,
      retryPeriodMs: options.retryPeriodMs ?? 2_000,
      releaseOnStop: options.releaseOnStop ?? true,
    };
    if (!o.identity) {
      throw new RangeError("leader election: identity must not be empty");
    }
    if (!(o.retryPeriodMs > 0)) {
      throw new RangeError(
        `leader election: retryPeriodMs must be positive, found ${o.retryPeriodMs}`,
      );
    }
    if (!(o.leaseDurationMs > o.renewDeadlineMs)) {
      throw new RangeError(
        `leader election: leaseDurationMs (${o.leaseDurationMs}) must be greater than renewDeadlineMs (${o.renewDeadlineMs})`,
      );
    }
    if (!(o.renewDeadlineMs > JITTER_FACTOR * o.retryPeriodMs)) {
      throw new RangeError(
        `leader election: renewDeadlineMs (${o.renewDeadlineMs}) must be greater than ${JITTER_FACTOR} × retryPeriodMs (${o.retryPeriodMs})`,
      );
    }
    if (o.leaseDurationMs < 1000) {
      throw new RangeError(
        `leader election: leaseDurationMs must be at least 1000 (a Lease counts whole seconds), found ${o.leaseDurationMs}`,
      );
    }
    this.#client = client;
    this.#o = o;
    this.#callbacks = options;
    this.#path = apiPath({
      group: "coordination.k8s.io",
      version: "v1",
      resource: "leases",
      namespaced: true,
      namespace: o.namespace,
      name: o.name,
      context: "Lease (coordination.k8s.io/v1)",
    });
  }

  /** Whether this candidate holds the Lease, as last observed. */
  isLeader(): boolean {
    return this.#observed?.holderIdentity === this.#o.identity;
  }

  /** The holder last observed (empty when released; `undefined` before the first read). */
  leader(): string | undefined {
    return this.#observed?.holderIdentity;
  }

  /**
   * Campaigns until this candidate leads, leads until it cannot renew or
   * `signal` aborts, then steps down (releasing the Lease if so
   * configured).
   *
   * @param signal Stops the campaign or the leadership.
   * @returns When leadership ended, or the campaign was stopped before it began.
   * @throws {Error} When called while already running.
   */
  async run(signal?: AbortSignal): Promise<void> {
    if (this.#running) throw new Error("LeaderElector.run is already running");
    this.#running = true;
    const stop = signal ?? new AbortController().signal;
    try {
      if (!await this.#acquire(stop)) return;
      const leading = new AbortController();
      let work: Promise<void> = Promise.resolve();
      try {
        work = this.#startLeading(leading.signal);
        await this.#renew(stop);
      } finally {
        leading.abort();
        await work;
        if (stop.aborted && this.#o.releaseOnStop) await this.#release();
        this.#callbacks.onStoppedLeading?.();
      }
    } finally {
      this.#running = false;
    }
  }

  #startLeading(leading: AbortSignal): Promise<void> {
    const cb = this.#callbacks.onStartedLeading;
    if (!cb) return Promise.resolve();
    return (async () => {
      try {
        await cb(leading);
      } catch (err) {
        this.#callbacks.onError?.(err);
      }
    })();
  }

  /** Tries every retry period (jittered) until the Lease is ours; false when stopped first. */
  async #acquire(stop: AbortSignal): Promise<boolean> {
    while (!stop.aborted) {
      const got = await this.#tryAcquireOrRenew(stop, stop);
      this.#reportTransition();
      if (got) return true;
      const wait = this.#o.retryPeriodMs *
        (1 + Math.random() * (JITTER_FACTOR - 1));
      try {
        await delay(wait, stop);
      } catch {
        return false;
      }
    }
    return false;
  }

  /** Renews every retry period; returns when a renewal missed its deadline, or on stop. */
  async #renew(stop: AbortSignal): Promise<void> {
    while (!stop.aborted) {
      const deadline = AbortSignal.timeout(this.#o.renewDeadlineMs);
      const attempt = AbortSignal.any([stop, deadline]);
      let renewed = false;
      while (!attempt.aborted) {
        if (await this.#tryAcquireOrRenew(attempt, stop)) {
          renewed = true;
          break;
        }
        try {
          await delay(this.#o.retryPeriodMs, attempt);
        } catch {
          break;
        }
      }
      this.#reportTransition();
      if (!renewed) return; // lost (deadline) or stopped
      try {
        await delay(this.#o.retryPeriodMs, stop);
      } catch {
        return;
      }
    }
  }

  /** client-go's `tryAcquireOrRenew`: true when the Lease is ours after this call. */
  async #tryAcquireOrRenew(
    signal: AbortSignal,
    stop: AbortSignal,
  ): Promise<boolean> {
    const now = new Date();
    const record: LeaderElectionRecord = {
      holderIdentity: this.#o.identity,
      leaseDurationSeconds: Math.floor(this.#o.leaseDurationMs / 1000),
      acquireTime: microTime(now),
      renewTime: microTime(now),
      leaseTransitions: 0,
    };
    try {
      // Fast path: the leader updates what it wrote last.
      if (this.isLeader() && this.#leaseValid(now) && this.#lease) {
        record.acquireTime = this.#observed!.acquireTime;
        record.leaseTransitions = this.#observed!.leaseTransitions;
        try {
          await this.#write("PUT", record, signal);
          return true;
        } catch (err) {
          if (signal.aborted) return false;
          this.#callbacks.onError?.(err);
          // Fall back to reading the Lease.
        }
      }
      let current: JSONObject;
      try {
        current = await abortable(
          this.#client.performRequest({
            method: "GET",
            path: this.#path,
            expectJson: true,
            abortSignal: signal,
          }),
          signal,
        ) as JSONObject;
      } catch (err) {
        if (!(err instanceof KubernetesApiError && err.isNotFound())) throw err;
        this.#lease = undefined;
        await this.#write("POST", record, signal);
        return true;
      }
      this.#lease = current;
      const old = recordOf(current);
      const raw = JSON.stringify(old);
      if (raw !== this.#observedRaw) {
        this.#observed = old;
        this.#observedRaw = raw;
        this.#observedAt = Date.now();
      }
      if (old.holderIdentity && this.#leaseValid(now) && !this.isLeader()) {
        return false;
      }
      if (this.isLeader()) {
        record.acquireTime = old.acquireTime;
        record.leaseTransitions = old.leaseTransitions;
      } else {
        record.leaseTransitions = old.leaseTransitions + 1;
      }
      await this.#write("PUT", record, signal);
      return true;
    } catch (err) {
      if (!stop.aborted) this.#callbacks.onError?.(err);
      return false;
    }
  }

  /** Whether the observed holder's claim still stands at `now`, by when we observed it. */
  #leaseValid(now: Date): boolean {
    const seconds = this.#observed?.leaseDurationSeconds ?? 0;
    return this.#observedAt + seconds * 1000 > now.getTime();
  }

  async #write(
    method: "POST" | "PUT",
    record: LeaderElectionRecord,
    signal: AbortSignal,
  ): Promise<void> {
    const metadata: JSONObject = method === "POST"
      ? { name: this.#o.name, namespace: this.#o.namespace }
      : (this.#lease?.metadata ?? {}) as JSONObject;
    const body: JSONObject = {
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata,
      spec: { ...record },
    };
    const path = method === "POST"
      ? this.#path.slice(0, this.#path.lastIndexOf("/"))
      : this.#path;
    const written = await abortable(
      this.#client.performRequest({
        method,
        path,
        bodyJson: body,
        expectJson: true,
        abortSignal: signal,
      }),
      signal,
    ) as JSONObject;
    this.#lease = written;
    this.#observed = record;
    this.#observedRaw = JSON.stringify(record);
    this.#observedAt = Date.now();
  }

  /** client-go's `release`: clears the holder so a successor need not wait. */
  async #release(): Promise<void> {
    if (!this.isLeader() || !this.#lease) return;
    const now = microTime(new Date());
    try {
      await this.#write("PUT", {
        holderIdentity: "",
        leaseDurationSeconds: 1,
        acquireTime: now,
        renewTime: now,
        leaseTransitions: this.#observed?.leaseTransitions ?? 0,
      }, AbortSignal.timeout(this.#o.renewDeadlineMs));
    } catch (err) {
      this.#callbacks.onError?.(err);
    }
  }

  #reportTransition(): void {
    const holder = this.#observed?.holderIdentity;
    if (holder === undefined || holder === this.#reportedLeader) return;
    this.#reportedLeader = holder;
    if (holder) this.#callbacks.onNewLeader?.(holder);
  }
}

/** A Lease's spec as a record; missing fields read as client-go's zero values. */
function recordOf(lease: JSONObject): LeaderElectionRecord {
  const spec = (lease.spec ?? {}) as JSONObject;
  const str = (v: unknown) => typeof v === "string" ? v : "";
  const num = (v: unknown) =>
    typeof v === "number" && Number.isFinite(v) ? v : 0;
  return {
    holderIdentity: str(spec.holderIdentity),
    leaseDurationSeconds: num(spec.leaseDurationSeconds),
    acquireTime: str(spec.acquireTime),
    renewTime: str(spec.renewTime),
    leaseTransitions: num(spec.leaseTransitions),
  };
}

/** A `metav1.MicroTime` as the apiserver writes it: RFC 3339 with microseconds. */
function microTime(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}
