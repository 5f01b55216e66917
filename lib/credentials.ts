/**
 * Where a request's credentials come from, and when they are refreshed:
 * static tokens and certificates, token files (re-read at most once a
 * minute), basic auth, exec plugins (cached until shortly before they
 * expire, shared by concurrent requests, re-run after a 401) and the legacy
 * gcp / oidc auth-providers' cached tokens.
 *
 * @module
 */

import { CredentialError } from "./errors.ts";
import { runExecPlugin } from "./exec_credential.ts";
import type { KubeConfigContext } from "./kubeconfig.ts";

/** Knobs for credential caching; tests inject the clock. */
export interface CredentialsOptions {
  /** The clock, in milliseconds since the epoch. @default {Date.now} */
  now?: () => number;
  /** How long a `tokenFile`'s content is reused before re-reading (client-go's figure). @default {60000} */
  tokenFileCacheMs?: number;
  /** How long before an exec credential's `expirationTimestamp` it is replaced. @default {10000} */
  execExpiryMarginMs?: number;
  /** Whether stdin is a terminal, for exec plugins' `interactiveMode`. @default {Deno.stdin.isTerminal()} */
  isTerminal?: () => boolean;
}

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
  #pending: Promise<AuthState> | undefined;

  /**
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
   * @returns The credentials.
   * @throws {CredentialError} When they cannot be obtained.
   */
  get(): Promise<AuthState> {
    const cached = this.#cached;
    if (cached && this.#now() < cached.expiresAt) {
      return Promise.resolve(cached);
    }
    this.#pending ??= this.#compute().then(
      (state) => {
        this.#cached = state;
        this.#pending = undefined;
        return state;
      },
      (err) => {
        this.#pending = undefined;
        throw err;
      },
    );
    return this.#pending;
  }

  /**
   * Forgets cached dynamic credentials, after the server answered 401.
   *
   * @returns Whether a refresh could produce different credentials (so one retry is worth it).
   */
  invalidate(): boolean {
    if (!this.isDynamic) return false;
    this.#cached = undefined;
    return true;
  }

  async #compute(): Promise<AuthState> {
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
      state.authorization = `Bearer ${user.token}`;
    } else if (user.username !== undefined || user.password !== undefined) {
      const bytes = new TextEncoder().encode(
        `${user.username ?? ""}:${user.password ?? ""}`,
      );
      state.authorization = `Basic ${btoa(String.fromCharCode(...bytes))}`;
    } else if (user["auth-provider"]) {
      const { token, expiresAt } = this.#authProviderToken();
      state.authorization = `Bearer ${token}`;
      state.expiresAt = expiresAt;
    } else if (user.exec) {
      const cred = await runExecPlugin(ctx, {
        isTerminal: this.#opts.isTerminal,
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
      const why = err instanceof Deno.errors.NotFound
        ? "no such file"
        : err instanceof Deno.errors.NotCapable ||
            err instanceof Deno.errors.PermissionDenied
        ? `no read permission (run with --allow-read=${path})`
        : String(err);
      throw new CredentialError(`cannot read ${path}: ${why}`, {
        ...where,
        cause: err,
      });
    }
    const token = text.trim();
    if (!token) throw new CredentialError(`${path} is empty`, where);
    return token;
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

/** The `exp` claim of a JWT in milliseconds, without verifying it (the server does). */
function jwtExpiry(jwt: string): number | undefined {
  const payload = jwt.split(".")[1];
  if (!payload) return undefined;
  try {
    const json = atob(payload.replace(/-/g, "+").replace(/_/g, "/"));
    const exp = JSON.parse(json).exp;
    return typeof exp === "number" ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}
