// A stand-in aggregated API server behind the real apiserver's aggregation
// layer: an HTTPS server on loopback, NOT built on k8s.io/apiserver, that
// serves discovery and list / get / watch of its resources, registered as
// an APIService backed by an ExternalName Service (`localhost`), which the
// aggregator's default resolver routes to (k8s.io/apiserver util/proxy
// ResolveCluster); Endpoints cannot name loopback, so
// `--enable-aggregator-routing` is no use here.
//
// How it answers a metadata-only Accept header, by `mode`:
// - `plain`: as a server with no media-type negotiation of its own does
//   (any JSON API written with a plain HTTP framework): it ignores the
//   `as=PartialObjectMetadata…` parameter and sends full objects as
//   `application/json`.
// - `refuses-partial`: a server that reads only the first media type of
//   the Accept header and does not serve it: 406 with a `NotAcceptable`
//   Status, the shape k8s.io/apiserver's negotiation error has.
// A server built on k8s.io/apiserver (metrics-server) serves the partial
// forms itself: its RequestScope.AllowsMediaTypeTransform allows
// PartialObjectMetadata(List) for every resource (endpoints/handlers/rest.go).
//
// Every request is recorded with the headers the aggregator sent on
// (Accept, X-Remote-User/Group, whether an Authorization header arrived).

import { createCa, issueCert } from "../lib/testing/_pki.ts";

/** How the stand-in answers `as=PartialObjectMetadata…` (see the file's opening). */
export type AcceptMode = "plain" | "refuses-partial";

/** One resource it serves. */
export interface StandInResource {
  /** Plural, as in the path. */
  plural: string;
  kind: string;
  namespaced: boolean;
  /** The objects (each with metadata.name, and metadata.namespace when namespaced). */
  items: Record<string, unknown>[];
  /**
   * The group and resource a 404 for a missing object names, and whether
   * it names it `namespace/name`. metrics-server answers a pod it has no
   * pod for with its pod lister's error: `pods "ns/name" not found`, group
   * "" (pkg/api/pod.go `Get`).
   * @default {this group and plural, the bare name}
   */
  notFound?: { group: string; resource: string; qualified: boolean };
}

/** What a request to the stand-in carried. */
export interface RecordedRequest {
  path: string;
  search: string;
  accept: string | null;
  remoteUser: string | null;
  remoteGroups: string[];
  authorization: boolean;
  status: number;
}

type Meta = {
  name: string;
  namespace?: string;
  resourceVersion?: string;
  labels?: Record<string, string>;
  uid?: string;
};
const metaOf = (o: Record<string, unknown>) => o.metadata as Meta;

type Watcher = {
  match: (o: Record<string, unknown>) => boolean;
  push: (line: string) => void;
  end: () => void;
};

/** The stand-in and its registration; `close()` undoes both. */
export class AggregatedApi {
  readonly requests: RecordedRequest[] = [];
  #rv = 100;
  #watchers = new Set<Watcher>();
  #server: Deno.HttpServer<Deno.NetAddr> | undefined;

  private constructor(
    readonly group: string,
    readonly version: string,
    readonly mode: AcceptMode,
    readonly resources: StandInResource[],
    readonly caPem: string,
    readonly dir: string,
  ) {
    for (const r of resources) {
      for (const o of r.items) this.#stamp(o);
    }
  }

  /**
   * Starts the stand-in with a serving certificate for
   * `<service>.<namespace>.svc` (the name the aggregator checks).
   */
  static async start(opts: {
    group: string;
    version: string;
    mode: AcceptMode;
    resources: StandInResource[];
    service: { name: string; namespace: string };
  }): Promise<AggregatedApi> {
    const dir = await Deno.makeTempDir({ prefix: "aggregated-api-" });
    try {
      const ca = await createCa(dir, "ca", "aggregated-api-ca");
      const serving = await issueCert(dir, ca, {
        name: "serving",
        commonName: "aggregated-api",
        dnsNames: [`${opts.service.name}.${opts.service.namespace}.svc`],
        usage: "server",
      });
      const api = new AggregatedApi(
        opts.group,
        opts.version,
        opts.mode,
        opts.resources,
        ca.certPem,
        dir,
      );
      api.#server = Deno.serve({
        hostname: "127.0.0.1",
        port: 0,
        cert: serving.certPem,
        key: serving.keyPem,
        onListen: () => {},
      }, (req) => api.#handle(req));
      return api;
    } catch (err) {
      await Deno.remove(dir, { recursive: true });
      throw err;
    }
  }

  /** The loopback port it listens on. */
  get port(): number {
    return this.#server!.addr.port;
  }

  #stamp(o: Record<string, unknown>): void {
    const m = metaOf(o);
    m.resourceVersion = String(++this.#rv);
    m.uid ??= crypto.randomUUID();
  }

  /** Changes an object's labels and sends MODIFIED to matching watches. */
  relabel(plural: string, name: string, labels: Record<string, string>): void {
    const r = this.resources.find((r) => r.plural === plural)!;
    const o = r.items.find((o) => metaOf(o).name === name)!;
    metaOf(o).labels = { ...metaOf(o).labels, ...labels };
    this.#stamp(o);
    for (const w of this.#watchers) {
      if (w.match(o)) {
        w.push(JSON.stringify({ type: "MODIFIED", object: o }) + "\n");
      }
    }
  }

  #json(status: number, body: unknown): Response {
    return new Response(JSON.stringify(body), {
      status,
      headers: { "content-type": "application/json" },
    });
  }

  #status(code: number, reason: string, message: string, details?: unknown) {
    return this.#json(code, {
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message,
      reason,
      ...(details ? { details } : {}),
      code,
    });
  }

  #handle(req: Request): Response {
    const url = new URL(req.url);
    const res = this.#route(req, url);
    this.requests.push({
      path: url.pathname,
      search: url.search,
      accept: req.headers.get("accept"),
      remoteUser: req.headers.get("x-remote-user"),
      remoteGroups: req.headers.get("x-remote-group")?.split(",") ?? [],
      authorization: req.headers.has("authorization"),
      status: res.status,
    });
    return res;
  }

  #route(req: Request, url: URL): Response {
    const gv = `/apis/${this.group}/${this.version}`;
    if (url.pathname === gv) {
      return this.#json(200, {
        kind: "APIResourceList",
        apiVersion: "v1",
        groupVersion: `${this.group}/${this.version}`,
        resources: this.resources.map((r) => ({
          name: r.plural,
          singularName: "",
          namespaced: r.namespaced,
          kind: r.kind,
          verbs: ["get", "list", "watch"],
        })),
      });
    }
    if (!url.pathname.startsWith(`${gv}/`)) {
      return this.#status(
        404,
        "NotFound",
        "the server could not find the requested resource",
      );
    }
    const accept = req.headers.get("accept") ?? "";
    const first = accept.split(",")[0];
    if (this.mode === "refuses-partial" && /;\s*as=/.test(first)) {
      return this.#status(
        406,
        "NotAcceptable",
        "only the following media types are accepted: application/json",
      );
    }
    const parts = url.pathname.slice(gv.length + 1).split("/");
    let namespace: string | undefined;
    if (parts[0] === "namespaces" && parts.length >= 3) {
      namespace = parts[1];
      parts.splice(0, 2);
    }
    const [plural, name] = parts;
    const r = this.resources.find((r) => r.plural === plural);
    if (!r || parts.length > 2 || (namespace && !r.namespaced)) {
      return this.#status(
        404,
        "NotFound",
        "the server could not find the requested resource",
      );
    }
    const selector = url.searchParams.get("labelSelector") ?? "";
    const wanted = selector.split(",").filter(Boolean).map((s) => s.split("="));
    const match = (o: Record<string, unknown>) => {
      const m = metaOf(o);
      return (!namespace || m.namespace === namespace) &&
        (!name || m.name === name) &&
        wanted.every(([k, v]) => m.labels?.[k] === v);
    };
    if (name) {
      const found = r.items.find(match);
      if (found) return this.#json(200, found);
      const nf = r.notFound ??
        { group: this.group, resource: r.plural, qualified: false };
      const named = nf.qualified && namespace ? `${namespace}/${name}` : name;
      return this.#status(
        404,
        "NotFound",
        `${
          nf.group ? `${nf.resource}.${nf.group}` : nf.resource
        } "${named}" not found`,
        {
          name: named,
          ...(nf.group ? { group: nf.group } : {}),
          kind: nf.resource,
        },
      );
    }
    if (url.searchParams.get("watch") === "true") {
      return this.#watch(req, match);
    }
    return this.#json(200, {
      kind: `${r.kind}List`,
      apiVersion: `${this.group}/${this.version}`,
      metadata: { resourceVersion: String(this.#rv) },
      items: r.items.filter(match),
    });
  }

  #watch(
    req: Request,
    match: (o: Record<string, unknown>) => boolean,
  ): Response {
    const encoder = new TextEncoder();
    let watcher: Watcher;
    const body = new ReadableStream<Uint8Array>({
      start: (ctl) => {
        watcher = {
          match,
          push: (line) => ctl.enqueue(encoder.encode(line)),
          end: () => {
            this.#watchers.delete(watcher);
            try {
              ctl.close();
            } catch {
              // already closed
            }
          },
        };
        this.#watchers.add(watcher);
        req.signal.addEventListener("abort", () => watcher.end());
      },
      cancel: () => {
        this.#watchers.delete(watcher);
      },
    });
    return new Response(body, {
      headers: { "content-type": "application/json" },
    });
  }

  /** Ends every watch, stops the server and removes its directory. */
  async close(): Promise<void> {
    for (const w of [...this.#watchers]) w.end();
    await this.#server?.shutdown();
    await Deno.remove(this.dir, { recursive: true }).catch(() => {});
  }
}

/** What {@link registerAggregatedApi} needs of a client. */
interface Requester {
  performRequest(opts: {
    method: string;
    path: string;
    bodyJson?: unknown;
    expectJson?: boolean;
  }): Promise<unknown>;
}

/**
 * Registers `api` with the aggregator: an ExternalName Service `localhost`
 * in `namespace` and an APIService `<version>.<group>` with the stand-in's
 * CA, then waits (≤ 30 s) until the APIService is Available and the
 * apiserver proxies its discovery path. Returns the
 * function that removes both (APIService first, so discovery never names
 * a group whose server is gone).
 */
export async function registerAggregatedApi(
  client: Requester,
  api: AggregatedApi,
  service: { name: string; namespace: string },
): Promise<() => Promise<void>> {
  const name = `${api.version}.${api.group}`;
  const apiServices = "/apis/apiregistration.k8s.io/v1/apiservices";
  const undo = async () => {
    await client.performRequest({
      method: "DELETE",
      path: `${apiServices}/${name}`,
    })
      .catch(() => {});
    await client.performRequest({
      method: "DELETE",
      path: `/api/v1/namespaces/${service.namespace}/services/${service.name}`,
    }).catch(() => {});
  };
  try {
    await client.performRequest({
      method: "POST",
      path: `/api/v1/namespaces/${service.namespace}/services`,
      bodyJson: {
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: service.name },
        spec: { type: "ExternalName", externalName: "localhost" },
      },
    });
    await client.performRequest({
      method: "POST",
      path: apiServices,
      bodyJson: {
        apiVersion: "apiregistration.k8s.io/v1",
        kind: "APIService",
        metadata: { name },
        spec: {
          group: api.group,
          version: api.version,
          groupPriorityMinimum: 1000,
          versionPriority: 15,
          service: { ...service, port: api.port },
          caBundle: btoa(api.caPem),
        },
      },
    });
    const deadline = performance.now() + 30_000;
    for (;;) {
      const got = await client.performRequest({
        method: "GET",
        path: `${apiServices}/${name}`,
        expectJson: true,
      }) as {
        status?: {
          conditions?: { type: string; status: string; message?: string }[];
        };
      };
      const available = got.status?.conditions?.find((c) =>
        c.type === "Available"
      );
      if (available?.status === "True") break;
      if (performance.now() > deadline) {
        throw new Error(
          `APIService ${name}: expected Available=True within 30 s, found ${
            JSON.stringify(available ?? null)
          }`,
        );
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    // Available is the availability controller's word; the proxy handler
    // is installed by another controller, and until it is the apiserver
    // answers `404 page not found` (text) for the group's paths.
    for (;;) {
      const ok = await client.performRequest({
        method: "GET",
        path: `/apis/${api.group}/${api.version}`,
        expectJson: true,
      }).then(() => true, () => false);
      if (ok) break;
      if (performance.now() > deadline) {
        throw new Error(
          `APIService ${name}: expected /apis/${api.group}/${api.version} to answer within 30 s`,
        );
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    return undo;
  } catch (err) {
    await undo();
    throw err;
  }
}
