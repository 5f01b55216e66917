// A loopback stand-in for an apiserver's ConfigMap collection that speaks
// WatchList the way Kubernetes does (checked against the apiserver's
// validateWatchOptions and the API reference for sendInitialEvents,
// KEP-3157), so the Reflector's WatchList path can be tested here although
// our 1.20 apiserver cannot serve it:
//
// - `watchlist` (1.27+ with the WatchList feature): `sendInitialEvents`
//   requires `resourceVersionMatch=NotOlderThan`, else 422 Invalid. With
//   resourceVersion unset the initial state is a consistent read: ADDED
//   for every object, then (with allowWatchBookmarks) a BOOKMARK at the
//   state's version annotated `k8s.io/initial-events-end: "true"`, then
//   changes after that version.
// - `rejects` (1.19–1.26): `resourceVersionMatch` on a watch is 422 Invalid.
// - `gate-off` (1.27+ without the feature): `sendInitialEvents` is 422.
// - `ignores` (servers that drop unknown parameters): a plain watch; with
//   resourceVersion unset that is ADDED for every object and then changes,
//   with periodic BOOKMARKs that carry no annotation.
// A watch from a version older than the compaction point gets an ERROR 410
// event, as the watch cache sends it.

export type PeerMode = "watchlist" | "rejects" | "gate-off" | "ignores";

type Obj = {
  apiVersion: "v1";
  kind: "ConfigMap";
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    resourceVersion: string;
  };
  data?: Record<string, string>;
};

type Change = { type: "ADDED" | "MODIFIED" | "DELETED"; object: Obj };

/** The peer; `close()` stops it and every open watch. */
export class WatchListPeer {
  readonly objects = new Map<string, Obj>();
  readonly log: { rv: number; change: Change }[] = [];
  readonly requests: URLSearchParams[] = [];
  rv = 100;
  compactedTo = 0;
  /** Cut (error) a WatchList connection after this many initial events, once. */
  cutInitialAfter: number | undefined;
  /** Send an ERROR 410 on a WatchList connection after this many initial events, once. */
  goneInitialAfter: number | undefined;
  /** Send this many initial events on a WatchList connection, then nothing (no end marker), once. */
  holdInitialAfter: number | undefined;
  /** Answer every watch 403 Forbidden, as for a user who may list but not watch. */
  forbidWatch = false;
  #watchers = new Set<{
    push(line: string): void;
    cut(): void;
    end(): void;
    from: number;
  }>();
  #server: Deno.HttpServer<Deno.NetAddr>;
  readonly url: string;

  constructor(public mode: PeerMode) {
    this.#server = Deno.serve({
      hostname: "127.0.0.1",
      port: 0,
      onListen: () => {},
    }, (req) => this.#handle(req));
    this.url = `http://127.0.0.1:${this.#server.addr.port}`;
  }

  /** Creates, changes or deletes `name`, telling every watcher. */
  change(type: Change["type"], name: string, value = ""): void {
    const rv = ++this.rv;
    const object: Obj = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: {
        name,
        namespace: "ns",
        uid: `uid-${name}`,
        resourceVersion: String(rv),
      },
      data: { value },
    };
    if (type === "DELETED") this.objects.delete(name);
    else this.objects.set(name, object);
    const change = { type, object };
    this.log.push({ rv, change });
    for (const w of this.#watchers) w.push(JSON.stringify(change));
  }

  /** Forgets history up to now: older watches get 410. */
  compact(): void {
    this.compactedTo = this.rv;
  }

  /** Breaks every open watch connection. */
  cutAll(): void {
    for (const w of this.#watchers) w.cut();
  }

  /** WatchList connections opened so far. */
  get watchListRequests(): number {
    return this.requests.filter((q) =>
      q.get("watch") === "true" && q.get("sendInitialEvents") !== null
    ).length;
  }

  /** Ends every open watch (cleanly) and stops the server. */
  async close(): Promise<void> {
    for (const w of this.#watchers) w.end();
    await this.#server.shutdown();
  }

  #invalid(message: string): Response {
    return Response.json({
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: `ListOptions.meta.k8s.io "" is invalid: ${message}`,
      reason: "Invalid",
      details: { group: "meta.k8s.io", kind: "ListOptions" },
      code: 422,
    }, { status: 422 });
  }

  #handle(req: Request): Response {
    const q = new URL(req.url).searchParams;
    this.requests.push(q);
    if (q.get("watch") !== "true") {
      return Response.json({
        kind: "ConfigMapList",
        apiVersion: "v1",
        metadata: { resourceVersion: String(this.rv) },
        items: [...this.objects.values()],
      });
    }
    if (this.forbidWatch) {
      return Response.json({
        kind: "Status",
        apiVersion: "v1",
        metadata: {},
        status: "Failure",
        message:
          'configmaps is forbidden: User "lister" cannot watch resource "configmaps" in API group "" in the namespace "ns"',
        reason: "Forbidden",
        details: { kind: "configmaps" },
        code: 403,
      }, { status: 403 });
    }
    const sendInitial = q.get("sendInitialEvents");
    const match = q.get("resourceVersionMatch");
    if (this.mode === "rejects" && match) {
      return this.#invalid(
        "resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden for watch",
      );
    }
    if (this.mode === "gate-off" && sendInitial !== null) {
      return this.#invalid(
        "sendInitialEvents: Forbidden: sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled",
      );
    }
    const watchList = this.mode === "watchlist" && sendInitial === "true";
    if (watchList && match !== "NotOlderThan") {
      return this.#invalid(
        "resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan",
      );
    }
    const rvParam = q.get("resourceVersion") ?? "";
    const lines: string[] = [];
    let from: number;
    if (rvParam === "" || watchList) {
      // Current state as synthetic ADDED events.
      for (const object of this.objects.values()) {
        lines.push(JSON.stringify({ type: "ADDED", object }));
      }
      from = this.rv;
      if (watchList && q.get("allowWatchBookmarks") === "true") {
        lines.push(JSON.stringify({
          type: "BOOKMARK",
          object: {
            kind: "ConfigMap",
            apiVersion: "v1",
            metadata: {
              resourceVersion: String(this.rv),
              annotations: { "k8s.io/initial-events-end": "true" },
            },
          },
        }));
      } else if (this.mode === "ignores" && q.get("allowWatchBookmarks")) {
        // A periodic bookmark: no annotation.
        lines.push(JSON.stringify({
          type: "BOOKMARK",
          object: {
            kind: "ConfigMap",
            apiVersion: "v1",
            metadata: { resourceVersion: String(this.rv) },
          },
        }));
      }
    } else {
      from = Number(rvParam);
      if (from < this.compactedTo) {
        lines.push(JSON.stringify({
          type: "ERROR",
          object: {
            kind: "Status",
            apiVersion: "v1",
            status: "Failure",
            message: `too old resource version: ${from} (${this.compactedTo})`,
            reason: "Expired",
            code: 410,
          },
        }));
        return new Response(lines.join("\n") + "\n");
      }
      for (const { rv, change } of this.log) {
        if (rv > from) lines.push(JSON.stringify(change));
      }
    }
    const enc = new TextEncoder();
    let controller!: ReadableStreamDefaultController<Uint8Array>;
    const cutAfter = watchList ? this.cutInitialAfter : undefined;
    if (cutAfter !== undefined) this.cutInitialAfter = undefined;
    const goneAfter = watchList ? this.goneInitialAfter : undefined;
    if (goneAfter !== undefined) this.goneInitialAfter = undefined;
    const holdAfter = watchList ? this.holdInitialAfter : undefined;
    if (holdAfter !== undefined) this.holdInitialAfter = undefined;
    const gone = JSON.stringify({
      type: "ERROR",
      object: {
        kind: "Status",
        apiVersion: "v1",
        status: "Failure",
        message: "the initial events' snapshot is gone",
        reason: "Expired",
        code: 410,
      },
    });
    const watcher = {
      from,
      push: (line: string) => {
        try {
          controller.enqueue(enc.encode(line + "\n"));
        } catch { /* closed */ }
      },
      cut: () => {
        try {
          controller.error(new Error("cut"));
        } catch { /* closed */ }
        this.#watchers.delete(watcher);
      },
      end: () => {
        try {
          controller.close();
        } catch { /* closed */ }
        this.#watchers.delete(watcher);
      },
    };
    const body = new ReadableStream<Uint8Array>({
      start: (c) => {
        controller = c;
        const upTo = cutAfter ?? goneAfter ?? holdAfter;
        const sent = upTo === undefined ? lines : lines.slice(0, upTo);
        for (const line of sent) c.enqueue(enc.encode(line + "\n"));
        if (cutAfter !== undefined) {
          setTimeout(() => watcher.cut(), 10);
        }
        if (goneAfter !== undefined) {
          c.enqueue(enc.encode(gone + "\n"));
          c.close();
        }
      },
      cancel: () => void this.#watchers.delete(watcher),
    });
    this.#watchers.add(watcher);
    return new Response(body, {
      headers: { "content-type": "application/json" },
    });
  }
}
