// Maps one RestClient request to kubectl arguments. Pure: unit-tested without
// kubectl. Every value that reaches kubectl is either a flag's `=value` or a
// positional after `--`, and paths are checked first, so nothing in a request
// can become a flag.

import { requestTarget } from "./_request_base.ts";
import type { RequestOptions } from "../lib/contract.ts";
import { KubectlError } from "../lib/errors/mod.ts";

/** What to run: kubectl's arguments after the global ones, and whether the body goes to stdin. */
export interface KubectlPlan {
  args: string[];
  /** The request body is written to kubectl's stdin. */
  stdin: boolean;
}

const patchTypes: Record<string, string> = {
  "application/json-patch+json": "json",
  "application/merge-patch+json": "merge",
  "application/strategic-merge-patch+json": "strategic",
};
const APPLY = "application/apply-patch+yaml";
const DNS_LABELISH = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/** The request path with its query string merged in. */
export function fullPath(opts: RequestOptions): string {
  return requestTarget(opts).path;
}

/** What the plan depends on in the kubectl that runs it. */
export interface KubectlFeatures {
  /** The kubectl, as errors name it (`kubectl v1.20.2`). @default {"kubectl"} */
  kubectl?: string;
  /**
   * `kubectl patch --subresource=status|scale` exists (kubectl 1.24+,
   * kubernetes#99556, KEP-2590); before, kubectl cannot patch a subresource.
   * @default {true}
   */
  subresource?: boolean;
  /**
   * `--show-managed-fields` exists (kubectl 1.21+, kubernetes#96878, which
   * also began hiding managedFields when printing; 1.20 always prints them).
   * @default {true}
   */
  showManagedFields?: boolean;
}

/**
 * Plans the kubectl command for a request.
 *
 * @throws {KubectlError} When the path is unsafe or kubectl cannot express the request.
 */
export function planKubectl(
  opts: RequestOptions,
  features: KubectlFeatures = {},
): KubectlPlan {
  const path = fullPath(opts);
  const fail = refuse(opts.method, path);
  // Printable ASCII without spaces, starting with '/': never a flag, never two arguments.
  if (!/^\/[\x21-\x7e]*$/.test(path)) {
    fail(
      "the path must start with / and contain no spaces, control or non-ASCII characters (percent-encode them)",
    );
  }
  const hasBody = opts.bodyJson !== undefined || opts.bodyRaw !== undefined ||
    opts.bodyStream !== undefined;
  switch (opts.method) {
    case "GET":
      return { args: ["get", `--raw=${path}`], stdin: false };
    case "POST":
      return { args: ["create", `--raw=${path}`, "-f", "-"], stdin: true };
    case "PUT":
      return { args: ["replace", `--raw=${path}`, "-f", "-"], stdin: true };
    case "DELETE":
      return hasBody
        ? { args: ["delete", `--raw=${path}`, "-f", "-"], stdin: true }
        : { args: ["delete", `--raw=${path}`], stdin: false };
    case "PATCH":
      return planPatch(opts, fail, features);
    default:
      return fail(`kubectl cannot send ${opts.method} requests`);
  }
}

interface Target {
  resource: string;
  name: string;
  namespace?: string;
  subresource?: string;
}

/** Splits an object path into its parts, or undefined when it does not name one object. */
export function parseObjectPath(pathname: string): Target | undefined {
  const seg = pathname.split("/").slice(1);
  let group = "";
  let version: string;
  let rest: string[];
  if (seg[0] === "api" && seg.length >= 2) {
    version = seg[1];
    rest = seg.slice(2);
  } else if (seg[0] === "apis" && seg.length >= 3) {
    group = seg[1];
    version = seg[2];
    rest = seg.slice(3);
  } else {
    return undefined;
  }
  let namespace: string | undefined;
  if (
    rest[0] === "namespaces" && rest.length === 3 &&
    !["status", "finalize"].includes(rest[2])
  ) {
    return undefined; // namespaces/NS/RESOURCE: a collection, not one object
  }
  if (rest[0] === "namespaces" && rest.length >= 4) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  if (rest.length < 2 || rest.length > 3) return undefined;
  const [plural, name, subresource] = rest;
  if (
    ![plural, name, namespace ?? "x", group || "x", version].every((s) =>
      DNS_LABELISH.test(s)
    )
  ) {
    return undefined;
  }
  // kubectl resolves "configmaps" through discovery; other groups are spelled out.
  const resource = group ? `${plural}.${version}.${group}` : plural;
  return { resource, name, namespace, subresource };
}

function planPatch(
  opts: RequestOptions,
  fail: (why: string) => never,
  features: KubectlFeatures,
): KubectlPlan {
  const showManagedFields = features.showManagedFields ?? true;
  const path = fullPath(opts);
  const url = new URL(path, "http://x");
  const target = parseObjectPath(url.pathname);
  if (!target) {
    fail(
      "kubectl patch needs the path of one object (/api/v1/namespaces/NS/RESOURCE/NAME[/status|/scale])",
    );
  }
  const t = target!;
  if (
    t.subresource && t.subresource !== "status" && t.subresource !== "scale"
  ) {
    fail(
      `kubectl cannot patch the ${t.subresource} subresource (only status and scale)`,
    );
  }
  if (t.subresource && features.subresource === false) {
    fail(
      `${
        features.kubectl ?? "kubectl"
      } cannot patch the ${t.subresource} subresource: kubectl patch --subresource exists from 1.24 on`,
    );
  }
  const contentType = (opts.contentType ?? "").split(";")[0].trim();
  const apply = contentType === APPLY;
  const patchType = patchTypes[contentType];
  if (!apply && !patchType) {
    fail(
      `unsupported patch content type ${
        JSON.stringify(opts.contentType ?? "")
      }`,
    );
  }
  const flags: string[] = [];
  for (const [key, value] of url.searchParams) {
    if (key === "fieldManager") flags.push(`--field-manager=${value}`);
    else if (key === "dryRun" && value === "All") {
      flags.push("--dry-run=server");
    } else if (key === "force" && apply) {
      if (value === "true") flags.push("--force-conflicts");
    } else if (
      key === "fieldValidation" && ["Strict", "Warn", "Ignore"].includes(value)
    ) {
      flags.push(`--validate=${value.toLowerCase()}`);
    } else fail(`kubectl has no flag for the query parameter ${key}=${value}`);
  }
  if (t.subresource) flags.push(`--subresource=${t.subresource}`);
  if (t.namespace) flags.push(`--namespace=${t.namespace}`);
  if (apply) {
    return {
      args: [
        "apply",
        "--server-side",
        "-f",
        "-",
        "-o",
        "json",
        ...(showManagedFields ? ["--show-managed-fields"] : []),
        ...flags,
      ],
      stdin: true,
    };
  }
  return {
    args: [
      "patch",
      `--type=${patchType}`,
      "--patch-file=/dev/stdin",
      "-o",
      "json",
      // kubectl 1.21+ hides managedFields when printing; the API returns them.
      ...(showManagedFields ? ["--show-managed-fields"] : []),
      ...flags,
      "--",
      t.resource,
      t.name,
    ],
    stdin: true,
  };
}

/** Parts of an exec request, for the `kubectl exec` emulation of tunnels. */
export interface ExecPlan {
  args: string[];
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
}

/**
 * Plans `kubectl exec` for a pod exec path (`.../pods/NAME/exec?command=…`).
 *
 * @throws {KubectlError} For other paths, a TTY, or no command.
 */
export function planExec(opts: RequestOptions): ExecPlan {
  const path = fullPath(opts);
  const fail = refuse(opts.method, path);
  const url = new URL(path, "http://x");
  const m = url.pathname.match(
    /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/exec$/,
  );
  if (!m || !DNS_LABELISH.test(m[1]) || !DNS_LABELISH.test(m[2])) {
    fail(
      "KubectlRawRestClient can only emulate tunnels for pod exec (/api/v1/namespaces/NS/pods/NAME/exec)",
    );
  }
  const q = url.searchParams;
  if (q.get("tty") === "true") {
    fail(
      "a TTY cannot be carried through kubectl exec here; use the fetch transport for interactive sessions",
    );
  }
  const command = q.getAll("command");
  if (command.length === 0) {
    fail("no command given (the command query parameter)");
  }
  const stdin = q.get("stdin") === "true";
  const args = ["exec", `--namespace=${m![1]}`];
  const container = q.get("container");
  if (container !== null) {
    if (!DNS_LABELISH.test(container)) {
      fail(`invalid container name ${JSON.stringify(container)}`);
    }
    args.push(`--container=${container}`);
  }
  if (stdin) args.push("--stdin");
  args.push(m![2], "--", ...command);
  return {
    args,
    stdin,
    stdout: q.get("stdout") !== "false",
    stderr: q.get("stderr") !== "false",
  };
}

/** A thrower of the `invalid-request` KubectlError naming the request: how every planner refuses one. */
function refuse(method: string, path: string): (why: string) => never {
  return (why) => {
    throw new KubectlError(
      `${method} ${path}: ${why}`,
      undefined,
      undefined,
      "invalid-request",
    );
  };
}
