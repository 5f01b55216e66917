// What a kubeconfig context means for the fetch transport, worked out once
// and without I/O: the base URL, where tunnels dial and the name their TLS
// verifies, the headers every request carries, whom requests trust (and
// whether that needs the strict forwarder), and the warnings the choice
// calls for. The client emits the warnings; the pool starts what the plan
// names, when a request first needs it.

import type { AuthState } from "../../lib/auth/credentials.ts";
import { KubeConfigError } from "../../lib/errors/mod.ts";
import type { KubeConfigContext } from "../../lib/config/context.ts";
import { withScheme } from "../../lib/_internal/url.ts";
import type { StrictTlsTarget } from "../_strict_tls.ts";
import { proxyFromUrl } from "./_proxy.ts";

/** The package version, sent in `User-Agent` (`deno task check` compares it with deno.json). */
export const VERSION = "0.9.0";

/** Where tunnels dial, and the name their TLS verifies. */
export interface DialTarget {
  hostname: string;
  port: number;
  tls: boolean;
  serverName?: string;
  basePath: string;
  viaProxy: boolean;
}

/** Everything the client needs to know about its context before any request. */
export interface ConnectionPlan {
  /** The base URL requests go to (with `tls-server-name`, that name). */
  base: string;
  /** Where tunnels (and the strict forwarder) dial. */
  dial: DialTarget;
  /** Headers on every request: User-Agent, impersonation, accept-encoding. */
  staticHeaders: [string, string][];
  /** The CAs the kubeconfig (and the caller) name. */
  caCerts: string[];
  /** Whether requests go through the strict-TLS forwarder. */
  strictRequests: boolean;
  /** Where the forwarder's directory goes, or why it cannot work. */
  forwarderDir: { dir: string } | { obstacle: string };
  /** The kubeconfig's `proxy-url`, as Deno takes it. */
  proxy?: Deno.Proxy;
  /** With `tls-server-name` on Deno's TLS: the real address a CONNECT forwarder dials. */
  connectTarget?: { hostname: string; port: number };
  /** The host whose kubeconfig asks to skip TLS verification. */
  insecureHost?: string;
  /** Why requests trust Deno's roots as well as the CA, when they do (warned about once per process). */
  caAddedBecause?: string;
  /** The warning insecure-skip-tls-verify calls for. */
  insecureWarning?: string;
}

/** What besides the context decides the plan. */
export interface PlanInputs {
  /** Whether the caller passed an HttpClient of its own. */
  ownClient: boolean;
  /** PEM CA certificates to trust. */
  caCerts: string[];
  /** The caller's `requestTrust`, if any. */
  requestTrust?: "ca-only" | "ca-and-roots";
  /** Where the strict forwarder's directory may go, or which permissions are missing. */
  permissions: { dir: string } | { missing: string[] };
  /** `Deno.build.os`. */
  os: string;
}

/**
 * Works out how to reach the context's cluster.
 *
 * @param ctx The resolved kubeconfig context.
 * @param inputs The caller's choices and the process's permissions.
 * @returns The plan.
 * @throws {KubeConfigError} When the cluster has no usable server URL or conflicting TLS settings.
 */
export function connectionPlan(
  ctx: KubeConfigContext,
  inputs: PlanInputs,
): ConnectionPlan {
  const cluster = ctx.cluster;
  const where = { file: ctx.source.clusterFile };
  const server = cluster.server;
  if (!server) {
    throw new KubeConfigError("has no server", {
      ...where,
      field: ctx.clusterField("server"),
    });
  }
  const url = new URL(withScheme(server, "https"));
  const basePath = url.pathname.replace(/\/+$/, "");
  const https = url.protocol === "https:";
  const hostname = url.hostname.replace(/^\[|\]$/g, "");

  const tlsName = cluster["tls-server-name"];
  const proxyUrl = cluster["proxy-url"];
  const perms = inputs.permissions;
  const obstacle = inputs.ownClient
    ? "an httpClient of your own"
    : proxyUrl
    ? "proxy-url"
    : inputs.os === "windows"
    ? "Windows (no private Unix socket)"
    : "missing" in perms
    ? `no Deno permission for the private Unix socket (it needs ${
      perms.missing.join(" ")
    })`
    : undefined;
  const forwarderDir = "dir" in perms && !obstacle
    ? perms
    : { obstacle: obstacle! };
  const caCerts = inputs.caCerts;
  const choice = inputs.requestTrust;
  let strictRequests = false;
  let caAddedBecause: string | undefined;
  if (!https || !caCerts.length) {
    // No CA of its own: Deno's roots are the trust, as the system's are for kubectl.
  } else if (choice === "ca-and-roots") {
    caAddedBecause = 'requestTrust: "ca-and-roots"';
  } else if (obstacle && choice !== "ca-only") {
    caAddedBecause = obstacle;
  } else {
    strictRequests = true; // requests fail if an obstacle remains
  }
  const dial: DialTarget = {
    hostname,
    port: Number(url.port || (https ? 443 : 80)),
    tls: https,
    ...(tlsName && https ? { serverName: tlsName } : {}),
    basePath,
    viaProxy: Boolean(proxyUrl),
  };
  let base: string;
  let proxy: Deno.Proxy | undefined;
  let connectTarget: { hostname: string; port: number } | undefined;
  if (tlsName && https) {
    if (proxyUrl) {
      throw new KubeConfigError(
        "tls-server-name cannot be combined with proxy-url here",
        { ...where, field: ctx.clusterField("tls-server-name") },
      );
    }
    // The URL carries the TLS name; a forwarder dials the real address
    // (the strict one has a server-name option of its own).
    const port = Number(url.port || 443);
    if (!strictRequests) connectTarget = { hostname, port };
    base = `https://${tlsName}:${port}${basePath}`;
  } else {
    base = `${url.origin}${basePath}`;
    if (proxyUrl) proxy = proxyFromUrl(proxyUrl);
  }

  let insecureHost: string | undefined;
  let insecureWarning: string | undefined;
  if (cluster["insecure-skip-tls-verify"]) {
    if (
      cluster["certificate-authority"] ||
      cluster["certificate-authority-data"]
    ) {
      throw new KubeConfigError(
        "insecure-skip-tls-verify cannot be combined with a certificate authority",
        { ...where, field: ctx.clusterField("insecure-skip-tls-verify") },
      );
    }
    insecureHost = url.hostname;
    insecureWarning = `Warning: ${
      ctx.clusterField("insecure-skip-tls-verify")
    } asks to skip TLS verification, which Deno cannot do for one client: ${url.hostname}'s certificate is still verified. To skip it, run Deno with --unsafely-ignore-certificate-errors=${url.hostname}`;
  }

  return {
    base,
    dial,
    staticHeaders: staticHeaders(ctx),
    caCerts,
    strictRequests,
    forwarderDir,
    ...(proxy ? { proxy } : {}),
    ...(connectTarget ? { connectTarget } : {}),
    ...(insecureHost ? { insecureHost, insecureWarning } : {}),
    ...(caAddedBecause ? { caAddedBecause } : {}),
  };
}

/** User-Agent, impersonation and compression headers, as the context asks. */
function staticHeaders(ctx: KubeConfigContext): [string, string][] {
  const headers: [string, string][] = [[
    "user-agent",
    `deno-kubernetes-transport/${VERSION} (Deno/${Deno.version.deno})`,
  ]];
  const user = ctx.user;
  if (user.as) headers.push(["impersonate-user", user.as]);
  if (user["as-uid"]) headers.push(["impersonate-uid", user["as-uid"]]);
  for (const g of user["as-groups"] ?? []) {
    headers.push(["impersonate-group", g]);
  }
  for (const [key, values] of Object.entries(user["as-user-extra"] ?? {})) {
    for (const v of values) {
      headers.push([`impersonate-extra-${encodeURIComponent(key)}`, v]);
    }
  }
  if (ctx.cluster["disable-compression"]) {
    headers.push(["accept-encoding", "identity"]);
  }
  return headers;
}

/**
 * The strict-TLS dial the plan calls for: the configured CAs alone, the
 * TLS name, and the client certificate the credentials hold.
 *
 * @param plan The plan.
 * @param auth The current credentials.
 * @param alpnProtocols The protocols to offer.
 * @returns The dial target.
 */
export function strictTarget(
  plan: ConnectionPlan,
  auth: AuthState,
  alpnProtocols: string[],
): StrictTlsTarget {
  const d = plan.dial;
  return {
    hostname: d.hostname,
    port: d.port,
    ...(d.serverName ? { serverName: d.serverName } : {}),
    caCerts: plan.caCerts,
    ...(auth.clientCert
      ? { clientCert: { cert: auth.clientCert.cert, key: auth.clientCert.key } }
      : {}),
    alpnProtocols,
  };
}
