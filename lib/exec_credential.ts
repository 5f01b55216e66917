/**
 * Runs exec credential plugins (`client.authentication.k8s.io` v1, v1beta1,
 * v1alpha1) the way kubectl does.
 *
 * @module
 */

import { CredentialError } from "./errors.ts";
import { showValue } from "./_redact.ts";
import { ExecAuthExtensionName, type KubeConfigContext } from "./kubeconfig.ts";

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
      "certificate-authority-data": ca ? btoa(ca.serverCert) : undefined,
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
      stderr: interactive ? "inherit" : "piped",
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
  if (!out.success) {
    throw new CredentialError(
      `${name} exited with code ${out.code}${stderrTail(out.stderr)}`,
      where,
    );
  }

  let cred: unknown;
  try {
    cred = JSON.parse(new TextDecoder().decode(out.stdout));
  } catch {
    // Never quote stdout: it may hold half a credential.
    throw new CredentialError(
      `${name} printed no ExecCredential (its output is not JSON)`,
      where,
    );
  }
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

function stderrTail(stderr: Uint8Array): string {
  const lines = new TextDecoder().decode(stderr).trim().split("\n");
  const last = lines[lines.length - 1]?.trim();
  if (!last) return "";
  return `: ${last.length > 200 ? `${last.slice(0, 200)}…` : last}`;
}
