/**
 * Runs exec credential plugins (`client.authentication.k8s.io` v1, v1beta1,
 * v1alpha1) the way kubectl does.
 *
 * @module
 */

import { parseJson } from "../_internal/json.ts";
import { CredentialError } from "../errors/mod.ts";
import { showValue } from "../_internal/redact.ts";
import { encodeBase64 } from "../_internal/base64.ts";
import { headerValueProblem } from "../_internal/header_value.ts";
import { pemProblem } from "../_internal/pem.ts";
import { ExecAuthExtensionName } from "../config/types.ts";
import type { KubeConfigContext } from "../config/context.ts";

/** What a plugin returns in `status`. Certificate and key are PEM text. */
export interface ExecCredentialStatus {
  /** RFC 3339 time after which the credential must not be used. */
  expirationTimestamp?: string;
  /** A bearer token. */
  token?: string;
  /** A client certificate (PEM). */
  clientCertificateData?: string;
  /** Its private key (PEM). */
  clientKeyData?: string;
}

/** Options for {@link runExecPlugin}. */
export interface ExecPluginOptions {
  /** Whether stdin is a terminal. @default {Deno.stdin.isTerminal()} */
  isTerminal?: () => boolean;
  /**
   * Where the plugin's stderr goes: this process's stderr (as client-go
   * does), nowhere, or a function that receives it. It never goes into an
   * error: plugins may print secrets there.
   * @default {"inherit"}
   */
  stderr?: "inherit" | "discard" | ((text: string) => void);
  /** Stops waiting and kills the plugin. @default {no limit} */
  signal?: AbortSignal;
}

/**
 * Runs the context user's exec plugin once and returns its credential.
 *
 * @param ctx The context whose `user.exec` to run.
 * @param opts Terminal detection.
 * @returns The credential.
 * @throws {CredentialError} When permission is missing, the plugin is not installed, fails, or prints no valid ExecCredential.
 */
export async function runExecPlugin(
  ctx: KubeConfigContext,
  opts: ExecPluginOptions = {},
): Promise<ExecCredentialStatus> {
  const exec = ctx.user.exec;
  const where = { file: ctx.source.userFile, field: ctx.userField("exec") };
  if (!exec) throw new CredentialError("no exec plugin configured", where);
  const name = `exec plugin "${exec.command}"`;

  const isTerminal = opts.isTerminal ?? (() => Deno.stdin.isTerminal());
  const mode = exec.interactiveMode ?? "IfAvailable";
  const interactive = mode !== "Never" && isTerminal();
  if (mode === "Always" && !interactive) {
    throw new CredentialError(
      `${name} needs an interactive terminal (interactiveMode: Always) but stdin is not one`,
      where,
    );
  }

  const perm = await Deno.permissions.query({
    name: "run",
    command: exec.command,
  });
  if (perm.state !== "granted") {
    throw new CredentialError(
      `no permission to run ${name} (run with --allow-run=${exec.command})`,
      where,
    );
  }

  const spec: Record<string, unknown> = { interactive };
  if (exec.provideClusterInfo) {
    const ca = await ctx.getServerTls();
    const c = ctx.cluster;
    spec.cluster = {
      server: c.server,
      "tls-server-name": c["tls-server-name"],
      "insecure-skip-tls-verify": c["insecure-skip-tls-verify"],
      "certificate-authority-data": ca
        ? encodeBase64(ca.serverCert)
        : undefined,
      "proxy-url": c["proxy-url"],
      "disable-compression": c["disable-compression"],
      config: c.extensions?.find((x) => x.name === ExecAuthExtensionName)
        ?.extension,
    };
  }
  const execInfo = JSON.stringify({
    apiVersion: exec.apiVersion,
    kind: "ExecCredential",
    spec,
  });

  const stderr = interactive ? "inherit" : opts.stderr ?? "inherit";
  opts.signal?.throwIfAborted();
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command(exec.command, {
      args: exec.args ?? [],
      env: {
        ...Object.fromEntries((exec.env ?? []).map((e) => [e.name, e.value])),
        KUBERNETES_EXEC_INFO: execInfo,
      },
      stdin: interactive ? "inherit" : "null",
      stdout: "piped",
      stderr: typeof stderr === "function"
        ? "piped"
        : stderr === "discard"
        ? "null"
        : "inherit",
      signal: opts.signal,
    }).output();
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new CredentialError(
        `${name} is not installed` +
          (exec.installHint ? `: ${exec.installHint.trim()}` : ""),
        { ...where, cause: err },
      );
    }
    throw new CredentialError(`${name} could not be started: ${err}`, {
      ...where,
      cause: err,
    });
  }
  if (typeof stderr === "function" && out.stderr.length > 0) {
    stderr(new TextDecoder().decode(out.stderr));
  }
  if (opts.signal?.aborted) throw opts.signal.reason;
  if (!out.success) {
    throw new CredentialError(
      `${name} exited with code ${out.code}${
        out.signal ? ` (signal ${out.signal})` : ""
      }`,
      where,
    );
  }

  // Never quote stdout: it may hold half a credential.
  const cred = parseJson(out.stdout, () =>
    new CredentialError(
      `${name} printed no ExecCredential (its output is not JSON)`,
      where,
    ));
  return checkCredential(cred, exec.apiVersion, name, where);
}

function checkCredential(
  cred: unknown,
  apiVersion: string,
  name: string,
  where: { file?: string; field?: string },
): ExecCredentialStatus {
  const obj = cred as Record<string, unknown> | null;
  if (!obj || typeof obj !== "object" || obj.kind !== "ExecCredential") {
    throw new CredentialError(`${name} printed no ExecCredential`, where);
  }
  if (obj.apiVersion !== apiVersion) {
    throw new CredentialError(
      `${name} printed an ExecCredential of apiVersion ${
        showValue(obj.apiVersion)
      }, expected ${apiVersion}`,
      where,
    );
  }
  const status = obj.status as Record<string, unknown> | undefined;
  if (!status || typeof status !== "object") {
    throw new CredentialError(
      `${name} printed an ExecCredential without status`,
      where,
    );
  }
  const str = (k: string) => {
    const v = status[k];
    if (v !== undefined && v !== null && typeof v !== "string") {
      throw new CredentialError(`${name}: status.${k} must be a string`, where);
    }
    return v ? v as string : undefined;
  };
  const result: ExecCredentialStatus = {
    token: str("token"),
    clientCertificateData: str("clientCertificateData"),
    clientKeyData: str("clientKeyData"),
    expirationTimestamp: str("expirationTimestamp"),
  };
  if (!result.token && !result.clientCertificateData) {
    throw new CredentialError(
      `${name} printed an ExecCredential with neither a token nor a client certificate`,
      where,
    );
  }
  if (Boolean(result.clientCertificateData) !== Boolean(result.clientKeyData)) {
    throw new CredentialError(
      `${name} printed a client ${
        result.clientKeyData
          ? "key without its certificate"
          : "certificate without its key"
      }`,
      where,
    );
  }
  const tokenProblem = result.token && headerValueProblem(result.token);
  if (tokenProblem) {
    throw new CredentialError(`${name}: status.token ${tokenProblem}`, where);
  }
  for (
    const [key, kind] of [
      ["clientCertificateData", "certificate"],
      ["clientKeyData", "key"],
    ] as const
  ) {
    const pem = result[key];
    const problem = pem && pemProblem(pem, kind);
    if (problem) {
      throw new CredentialError(`${name}: status.${key} ${problem}`, where);
    }
  }
  if (
    result.expirationTimestamp &&
    Number.isNaN(Date.parse(result.expirationTimestamp))
  ) {
    throw new CredentialError(
      `${name} printed an invalid status.expirationTimestamp`,
      where,
    );
  }
  return result;
}
