/**
 * Where a request's credentials come from, and when they are refreshed:
 * static tokens and certificates, token files (re-read at most once a
 * minute), basic auth, exec plugins (cached until shortly before they
 * expire, shared by concurrent requests, re-run after a 401) and the legacy
 * gcp / oidc auth-providers' cached tokens.
 *
 * @module
 */

import { parseJsonOrUndefined } from "../_internal/json.ts";
import { CredentialError } from "../errors/mod.ts";
import { runExecPlugin } from "./exec_credential.ts";
import { encodeBase64 } from "../_internal/base64.ts";
import { describeFsError } from "../_internal/fs_error.ts";
import { headerValueProblem } from "../_internal/header_value.ts";
import type {
  CredentialsOptions,
  KubeConfigContext,
} from "../config/context.ts";

/** Knobs for credential caching (defined with the config it travels in). */
export type { CredentialsOptions } from "../config/context.ts";

/** The credentials for one request. */
export interface AuthState {
  /** The `Authorization` header value, if any. */
  authorization?: string;
  /** A client certificate and key (PEM), if any. */
  clientCert?: { cert: string; key: string };
  /** When this state must be recomputed (ms since the epoch); `Infinity` for static credentials. */
  expiresAt: number;
}

/** Produces, caches and refreshes one context user's credentials. */
export class Credentials {
  readonly #ctx: KubeConfigContext;
  readonly #now: () => number;
  readonly #opts: CredentialsOptions;
  #cached: AuthState | undefined;
  #pending: SharedRun | undefined;

  /**
   * Sets up credentials for the context's user; nothing is read or run until the first get().
   *
   * @param ctx The context whose user to authenticate as.
   * @param opts Caching knobs.
   */
  constructor(ctx: KubeConfigContext, opts: CredentialsOptions = {}) {
    this.#ctx = ctx;
    this.#opts = opts;
    this.#now = opts.now ?? Date.now;
  }

  /** Whether the credentials can change over time (token file, exec plugin, auth-provider). */
  get isDynamic(): boolean {
    const u = this.#ctx.user;
    return Boolean(u.tokenFile || u.exec || u["auth-provider"]);
  }

  /**
   * The current credentials: cached while fresh; concurrent callers share
   * one refresh (one plugin run).
   *
   * @param signal Gives up waiting; when every caller waiting for a refresh
   *   has given up, the refresh is abandoned and its exec plugin killed.
   * @returns The credentials.
   * @throws {CredentialError} When they cannot be obtained.
   * @throws The signal's `reason` when it aborts first.
   */
  get(signal?: AbortSignal): Promise<AuthState> {
    signal?.throwIfAborted();
    const cached = this.#cached;
    if (cached && this.#now() < cached.expiresAt) {
      return Promise.resolve(cached);
    }
    if (!this.#pending) {
      const run = new SharedRun();
      this.#pending = run;
      run.promise = this.#compute(run.signal).then(
        (state) => {
          if (this.#pending === run) {
            this.#cached = state;
            this.#pending = undefined;
          }
          return state;
        },
        (err) => {
          if (this.#pending === run) this.#pending = undefined;
          throw err;
        },
      );
    }
    return this.#pending.join(signal);
  }

  /**
   * Forgets cached dynamic credentials, after the server answered 401.
   * Pass the credentials the refused request used: when they are no longer
   * the cached ones (another request already refreshed them, or a refresh
   * is running), nothing is forgotten, so a burst of 401s for one stale
   * credential refreshes it once.
   *
   * @param stale The credentials the server refused. @default {whatever is cached}
   * @returns Whether a refresh could produce different credentials (so one retry is worth it).
   */
  invalidate(stale?: AuthState): boolean {
    if (!this.isDynamic) return false;
    if (stale === undefined || this.#cached === stale) {
      this.#cached = undefined;
    }
    return true;
  }

  async #compute(signal: AbortSignal): Promise<AuthState> {
    const ctx = this.#ctx;
    const user = ctx.user;
    const state: AuthState = { expiresAt: Infinity };

    const [cert, key] = await Promise.all([
      ctx.readPem("user", "client-certificate-data", "client-certificate"),
      ctx.readPem("user", "client-key-data", "client-key"),
    ]);
    if (cert && key) state.clientCert = { cert, key };

    if (user.tokenFile) {
      state.authorization = `Bearer ${await this.#readTokenFile(
        user.tokenFile,
      )}`;
      state.expiresAt = this.#now() + (this.#opts.tokenFileCacheMs ?? 60_000);
    } else if (user.token) {
      this.#checkHeaderValue(user.token, "token");
      state.authorization = `Bearer ${user.token}`;
    } else if (
      (user.username !== undefined && user.username !== null) ||
      (user.password !== undefined && user.password !== null)
    ) {
      state.authorization = `Basic ${
        encodeBase64(`${user.username ?? ""}:${user.password ?? ""}`)
      }`;
    } else if (user["auth-provider"]) {
      const { token, expiresAt } = this.#authProviderToken();
      this.#checkHeaderValue(token, "auth-provider");
      state.authorization = `Bearer ${token}`;
      state.expiresAt = expiresAt;
    } else if (user.exec) {
      const cred = await runExecPlugin(ctx, {
        isTerminal: this.#opts.isTerminal,
        stderr: this.#opts.execStderr,
        signal,
      });
      if (cred.token) state.authorization = `Bearer ${cred.token}`;
      if (cred.clientCertificateData && cred.clientKeyData) {
        state.clientCert = {
          cert: cred.clientCertificateData,
          key: cred.clientKeyData,
        };
      }
      if (cred.expirationTimestamp) {
        state.expiresAt = Date.parse(cred.expirationTimestamp) -
          (this.#opts.execExpiryMarginMs ?? 10_000);
      }
    }
    return state;
  }

  async #readTokenFile(path: string): Promise<string> {
    const where = {
      file: this.#ctx.source.userFile,
      field: this.#ctx.userField("tokenFile"),
    };
    let text: string;
    try {
      text = await Deno.readTextFile(path);
    } catch (err) {
      const why = describeFsError(err, path);
      throw new CredentialError(`cannot read ${path}: ${why}`, {
        ...where,
        cause: err,
      });
    }
    const token = text.trim();
    if (!token) throw new CredentialError(`${path} is empty`, where);
    const problem = headerValueProblem(token);
    if (problem) throw new CredentialError(`${path} ${problem}`, where);
    return token;
  }

  /** A credential from the kubeconfig itself (checked at load for files, here for configs built in memory). */
  #checkHeaderValue(value: string, key: string): void {
    const problem = headerValueProblem(value);
    if (problem) {
      throw new CredentialError(problem, {
        file: this.#ctx.source.userFile,
        field: this.#ctx.userField(key),
      });
    }
  }

  #authProviderToken(): { token: string; expiresAt: number } {
    const ap = this.#ctx.user["auth-provider"]!;
    const where = {
      file: this.#ctx.source.userFile,
      field: this.#ctx.userField("auth-provider"),
    };
    const now = this.#now();
    const cfg = ap.config ?? {};
    if (ap.name === "gcp") {
      const token = cfg["access-token"];
      const expiry = cfg.expiry ? Date.parse(cfg.expiry) : NaN;
      if (token && expiry > now) return { token, expiresAt: expiry };
      throw new CredentialError(
        (token
          ? `the cached gcp access token expired at ${cfg.expiry}`
          : "the gcp auth-provider has no cached access token") +
          "; the gcp auth-provider was removed in Kubernetes 1.26: install gke-gcloud-auth-plugin and switch this user to exec (gcloud container clusters get-credentials does both)",
        where,
      );
    }
    if (ap.name === "oidc") {
      const token = cfg["id-token"];
      const exp = token ? jwtExpiry(token) : undefined;
      if (token && exp !== undefined && exp > now) {
        return { token, expiresAt: exp };
      }
      throw new CredentialError(
        (token
          ? exp === undefined
            ? "the cached oidc id-token has no readable exp claim"
            : `the cached oidc id-token expired at ${
              new Date(exp).toISOString()
            }`
          : "the oidc auth-provider has no cached id-token") +
          "; refreshing oidc tokens is not supported: refresh it with kubectl, or switch this user to an exec plugin such as kubelogin",
        where,
      );
    }
    throw new CredentialError(
      `auth-provider "${ap.name}" is not supported; use an exec credential plugin instead`,
      where,
    );
  }
}

/**
 * One credential refresh shared by every caller waiting for it. Each caller
 * may bring an abort signal; the run (an exec plugin) is aborted, and the
 * plugin killed, only once every caller has given up.
 */
class SharedRun {
  promise!: Promise<AuthState>;
  readonly #controller = new AbortController();
  #waiting = 0;

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  join(signal?: AbortSignal): Promise<AuthState> {
    if (!signal) {
      this.#waiting = Infinity; // someone waits for good: never abort
      return this.promise;
    }
    this.#waiting++;
    return new Promise<AuthState>((resolve, reject) => {
      const onAbort = () => {
        reject(signal.reason);
        if (--this.#waiting === 0) this.#controller.abort(signal.reason);
      };
      signal.addEventListener("abort", onAbort, { once: true });
      this.promise.then(resolve, reject).finally(() =>
        signal.removeEventListener("abort", onAbort)
      );
    });
  }
}

/** The `exp` claim of a JWT in milliseconds, without verifying it (the server does). */
function jwtExpiry(jwt: string): number | undefined {
  const payload = jwt.split(".")[1];
  if (!payload) return undefined;
  try {
    const json = atob(payload.replace(/-/g, "+").replace(/_/g, "/"));
    // deno-lint-ignore no-explicit-any
    const exp = (parseJsonOrUndefined(json) as any)?.exp;
    return typeof exp === "number" ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

const byContext = new WeakMap<KubeConfigContext, Credentials>();

/**
 * The credentials of a context, created on first use and shared by
 * everything that uses the same context object (a transport and
 * `autoDetectClient`'s probe, say), so a token or exec plugin is fetched
 * once and refreshed once.
 *
 * @param ctx The resolved context.
 * @returns Its credentials.
 */
export function credentialsFor(ctx: KubeConfigContext): Credentials {
  let c = byContext.get(ctx);
  if (!c) {
    c = new Credentials(ctx, ctx.source.credentials);
    byContext.set(ctx, c);
  }
  return c;
}
