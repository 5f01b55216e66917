// Validation: every field the library reads is type-checked once, at load,
// with errors that name the file and the field and never quote a secret.

import { KubeConfigError } from "../errors/mod.ts";
import { maskUrl, showValue, typeName } from "../_internal/redact.ts";
import { hasScheme, withScheme } from "../_internal/url.ts";
import type { PemKind } from "../_internal/pem.ts";
import { headerValueProblem } from "../_internal/header_value.ts";
import { checkPem, decodePem } from "./pem.ts";
import type { RawKubeConfig } from "./types.ts";

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

class Checker {
  constructor(readonly file: string) {}

  fail(field: string, detail: string): never {
    throw new KubeConfigError(detail, { file: this.file, field });
  }

  str(obj: Obj, key: string, field: string): void {
    const v = obj[key];
    if (v !== undefined && v !== null && typeof v !== "string") {
      this.fail(`${field}.${key}`, `must be a string, found ${typeName(v)}`);
    }
  }

  bool(obj: Obj, key: string, field: string): void {
    const v = obj[key];
    if (v !== undefined && v !== null && typeof v !== "boolean") {
      this.fail(
        `${field}.${key}`,
        `must be true or false, found ${typeName(v)}`,
      );
    }
  }

  strList(obj: Obj, key: string, field: string): void {
    const v = obj[key];
    if (v === undefined || v === null) return;
    if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) {
      this.fail(`${field}.${key}`, `must be a list of strings`);
    }
  }

  base64Pem(obj: Obj, key: string, field: string, kind: PemKind): void {
    this.str(obj, key, field);
    const v = obj[key];
    if (typeof v === "string" && v !== "") {
      const where = { file: this.file, field: `${field}.${key}` };
      checkPem(decodePem(v, where), kind, where);
    }
  }

  /** A string that becomes (part of) an HTTP header value. */
  headerValue(obj: Obj, key: string, field: string): void {
    this.str(obj, key, field);
    const v = obj[key];
    const problem = typeof v === "string" ? headerValueProblem(v) : undefined;
    if (problem) this.fail(`${field}.${key}`, problem);
  }

  /** A list of header values; `null` becomes an empty list. */
  headerValueList(obj: Obj, key: string, field: string): void {
    this.strList(obj, key, field);
    const list = obj[key];
    if (list === null) obj[key] = [];
    if (!Array.isArray(list)) return;
    list.forEach((v, i) => {
      const problem = headerValueProblem(v);
      if (problem) this.fail(`${field}.${key}[${i}]`, problem);
    });
  }

  /** `extensions`: a list of `{name, extension}`. */
  extensions(obj: Obj, field: string): void {
    const v = obj.extensions;
    if (v === undefined || v === null) return;
    if (!Array.isArray(v)) {
      this.fail(`${field}.extensions`, `must be a list, found ${typeName(v)}`);
    }
    v.forEach((e, i) => {
      if (!isObj(e) || typeof e.name !== "string" || e.name === "") {
        this.fail(
          `${field}.extensions[${i}]`,
          "must be a mapping with a non-empty string name",
        );
      }
    });
  }

  mapping(v: unknown, field: string): Obj {
    if (v === undefined || v === null) return {};
    if (!isObj(v)) this.fail(field, `must be a mapping, found ${typeName(v)}`);
    return v;
  }

  /** A list of `{name, <key>: {...}}` entries with unique names. */
  namedList(doc: Obj, list: string, key: string): [string, Obj][] {
    const v = doc[list];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) {
      this.fail(list, `must be a list, found ${typeName(v)}`);
    }
    const seen = new Set<string>();
    return v.map((item, i) => {
      if (!isObj(item)) {
        this.fail(
          `${list}[${i}]`,
          `must be a mapping, found ${typeName(item)}`,
        );
      }
      const name = item.name;
      if (typeof name !== "string" || name === "") {
        this.fail(`${list}[${i}].name`, "must be a non-empty string");
      }
      if (seen.has(name)) {
        this.fail(`${list}[${i}]`, `duplicate name "${name}"`);
      }
      seen.add(name);
      const field = `${list}["${name}"].${key}`;
      const body = this.mapping(item[key], field);
      item[key] = body; // a null entry body becomes {}
      return [field, body];
    });
  }
}

/**
 * Checks a parsed kubeconfig document field by field.
 *
 * @param doc The parsed YAML.
 * @param file The file it came from, for errors.
 * @returns The typed document (a null entry body becomes `{}`).
 * @throws {KubeConfigError} Naming the file and field of the first problem.
 */
export function validateKubeConfig(doc: unknown, file: string): RawKubeConfig {
  const c: Checker = new Checker(file);
  if (doc === undefined || doc === null) {
    return { apiVersion: "v1", kind: "Config" }; // an empty file is an empty config, as for kubectl
  }
  if (!isObj(doc)) {
    c.fail("(document)", `must be a mapping, found ${typeName(doc)}`);
  }
  if (doc.kind !== undefined && doc.kind !== "Config") {
    c.fail("kind", `must be "Config", found ${showValue(doc.kind)}`);
  }
  if (doc.apiVersion !== undefined && doc.apiVersion !== "v1") {
    c.fail(
      "apiVersion",
      `must be "v1", found ${showValue(doc.apiVersion)}`,
    );
  }
  if (
    doc["current-context"] !== undefined && doc["current-context"] !== null &&
    typeof doc["current-context"] !== "string"
  ) {
    c.fail(
      "current-context",
      `must be a string, found ${typeName(doc["current-context"])}`,
    );
  }
  if (typeof doc["current-context"] !== "string") delete doc["current-context"];

  c.extensions(c.mapping(doc.preferences, "preferences"), "preferences");

  for (const [field, cluster] of c.namedList(doc, "clusters", "cluster")) {
    for (
      const k of [
        "server",
        "tls-server-name",
        "proxy-url",
        "certificate-authority",
      ]
    ) {
      c.str(cluster, k, field);
    }
    for (const k of ["insecure-skip-tls-verify", "disable-compression"]) {
      c.bool(cluster, k, field);
    }
    c.base64Pem(cluster, "certificate-authority-data", field, "certificate");
    c.extensions(cluster, field);
    const tlsName = cluster["tls-server-name"];
    if (typeof tlsName === "string" && tlsName !== "" && !isHostName(tlsName)) {
      c.fail(`${field}.tls-server-name`, "is not a host name");
    }
    if (typeof cluster.server === "string" && cluster.server !== "") {
      checkUrl(c, cluster.server, `${field}.server`, ["http:", "https:"], true);
    }
    if (
      typeof cluster["proxy-url"] === "string" && cluster["proxy-url"] !== ""
    ) {
      checkUrl(c, cluster["proxy-url"], `${field}.proxy-url`, [
        "http:",
        "https:",
        "socks5:",
        "socks5h:",
      ]);
    }
  }

  for (const [field, user] of c.namedList(doc, "users", "user")) {
    for (
      const k of [
        "token",
        "tokenFile",
        "username",
        "password",
        "client-key",
        "client-certificate",
        "as",
        "as-uid",
      ]
    ) c.str(user, k, field);
    for (const k of ["token", "as", "as-uid"]) c.headerValue(user, k, field);
    c.base64Pem(user, "client-certificate-data", field, "certificate");
    c.base64Pem(user, "client-key-data", field, "key");
    c.headerValueList(user, "as-groups", field);
    const extra = c.mapping(user["as-user-extra"], `${field}.as-user-extra`);
    if (user["as-user-extra"] !== undefined) user["as-user-extra"] = extra;
    for (const k of Object.keys(extra)) {
      c.headerValueList(extra, k, `${field}.as-user-extra`);
    }
    c.extensions(user, field);
    const hasCert = Boolean(
      user["client-certificate"] || user["client-certificate-data"],
    );
    const hasKey = Boolean(user["client-key"] || user["client-key-data"]);
    if (hasKey !== hasCert) {
      c.fail(
        field,
        hasKey
          ? "has a client key but no client-certificate(-data)"
          : "has a client certificate but no client-key(-data)",
      );
    }
    if (user["auth-provider"] !== undefined && user["auth-provider"] !== null) {
      const ap = c.mapping(user["auth-provider"], `${field}.auth-provider`);
      if (typeof ap.name !== "string" || ap.name === "") {
        c.fail(`${field}.auth-provider.name`, "must be a non-empty string");
      }
      const cfg = c.mapping(ap.config, `${field}.auth-provider.config`);
      for (const k of Object.keys(cfg)) {
        c.str(cfg, k, `${field}.auth-provider.config`);
      }
      for (const k of ["access-token", "id-token"]) {
        c.headerValue(cfg, k, `${field}.auth-provider.config`);
      }
      ap.config = cfg;
    }
    if (user.exec !== undefined && user.exec !== null) {
      validateExec(c, c.mapping(user.exec, `${field}.exec`), `${field}.exec`);
    }
  }

  for (const [field, context] of c.namedList(doc, "contexts", "context")) {
    for (const k of ["cluster", "user", "namespace"]) c.str(context, k, field);
    c.extensions(context, field);
  }
  return doc as unknown as RawKubeConfig;
}

const execApiVersions = [
  "client.authentication.k8s.io/v1alpha1",
  "client.authentication.k8s.io/v1beta1",
  "client.authentication.k8s.io/v1",
];

function validateExec(c: Checker, exec: Obj, field: string): void {
  if (typeof exec.command !== "string" || exec.command === "") {
    c.fail(`${field}.command`, "must be a non-empty string");
  }
  if (exec.apiVersion === undefined || exec.apiVersion === null) {
    c.fail(
      `${field}.apiVersion`,
      `is required (one of ${execApiVersions.join(", ")})`,
    );
  }
  if (!execApiVersions.includes(exec.apiVersion as string)) {
    c.fail(
      `${field}.apiVersion`,
      `must be one of ${execApiVersions.join(", ")}, found ${
        showValue(exec.apiVersion)
      }`,
    );
  }
  c.strList(exec, "args", field);
  c.str(exec, "installHint", field);
  c.bool(exec, "provideClusterInfo", field);
  const mode = exec.interactiveMode;
  if (
    mode !== undefined &&
    !["Never", "IfAvailable", "Always"].includes(mode as string)
  ) {
    c.fail(
      `${field}.interactiveMode`,
      `must be Never, IfAvailable or Always, found ${showValue(mode)}`,
    );
  }
  if (
    mode === undefined && exec.apiVersion === "client.authentication.k8s.io/v1"
  ) {
    c.fail(
      `${field}.interactiveMode`,
      "must be set for client.authentication.k8s.io/v1",
    );
  }
  const env = exec.env;
  if (env !== undefined && env !== null) {
    if (!Array.isArray(env)) {
      c.fail(`${field}.env`, `must be a list, found ${typeName(env)}`);
    }
    env.forEach((e, i) => {
      if (
        !isObj(e) || typeof e.name !== "string" || typeof e.value !== "string"
      ) {
        c.fail(`${field}.env[${i}]`, "must have a string name and value");
      }
    });
  }
}

/** A DNS name (labels of letters, digits, `-` and `_`), an IPv4 or a bracketless IPv6 address. */
function isHostName(name: string): boolean {
  if (name.length > 253) return false;
  if (name.includes(":")) {
    try {
      return new URL(`https://[${name}]/`).hostname !== "";
    } catch {
      return false;
    }
  }
  return /^[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?$/
    .test(name);
}

function checkUrl(
  c: Checker,
  value: string,
  field: string,
  schemes: string[],
  defaultHttps = false,
): void {
  if (!hasScheme(value) && !defaultHttps) {
    c.fail(
      field,
      `is missing a scheme (${schemes.map((s) => `${s}//`).join(", ")})`,
    );
  }
  // Never echo credentials embedded in a URL, nor all of a huge value.
  const masked = maskUrl(value);
  const shown = JSON.stringify(
    masked.length > 200 ? `${masked.slice(0, 200)}…` : masked,
  );
  let url: URL;
  try {
    // kubectl accepts "host:port" for a server and assumes https.
    url = new URL(withScheme(value, "https"));
  } catch {
    c.fail(field, `is not a valid URL: ${shown}`);
  }
  if (!schemes.includes(url.protocol)) {
    c.fail(field, `must use ${schemes.join(" or ")}, found ${url.protocol}`);
  }
  if (url.hostname === "") c.fail(field, `has no host: ${shown}`);
}
