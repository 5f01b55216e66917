// Reads what kubectl prints on stderr at -v=6 and turns a failure into the
// same typed errors the fetch transport raises.
//
// At -v=6 kubectl logs one klog line per HTTP request with its status code
// (`round_trippers.go:NNN] GET https://… 404 Not Found in 1 milliseconds`),
// usually the server's Status JSON (`helpers.go:NNN] server response object:
// %s[{…}]`), and then its own message (`Error from server (NotFound): …`, or
// `The ConfigMap "x" is invalid: …` for 422s).

import {
  httpCodeForReason,
  KubectlError,
  KubernetesApiError,
  type Status,
  type StatusCause,
} from "../lib/errors/mod.ts";
import { redactSecrets } from "../lib/_internal/redact.ts";

const KLOG = /^[IWEF]\d{4} \d\d:\d\d:\d\d\.\d+\s+\d+ [^\]]+\] ?(.*)$/;
const ROUND_TRIP = /^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) (\S+) (\d{3})\b/;

/** What kubectl's stderr says. */
export interface KubectlDiagnostics {
  /** HTTP status of the last request kubectl logged, if any. */
  lastHttpStatus?: number;
  /** The server's Status as kubectl logged it, if any. */
  status?: Status;
  /** kubectl's own lines (not klog, not server warnings). */
  message: string;
  /** Server warnings (`Warning: …`). */
  warnings: string[];
}

/** Parses all of kubectl's stderr. */
export function parseStderr(text: string): KubectlDiagnostics {
  const lines = text.split("\n");
  const out: KubectlDiagnostics = { message: "", warnings: [] };
  const own: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const klog = line.match(KLOG);
    if (klog) {
      const body = klog[1];
      const rt = body.match(ROUND_TRIP);
      if (rt) out.lastHttpStatus = Number(rt[3]);
      const obj = body.indexOf("server response object: %s[");
      if (obj !== -1) {
        // A multi-line JSON array that ends with a line "}]".
        const json = [body.slice(obj + "server response object: %s[".length)];
        while (i + 1 < lines.length && !json[json.length - 1].endsWith("}]")) {
          json.push(lines[++i]);
        }
        const text = json.join("\n").replace(/\]$/, "");
        try {
          out.status = JSON.parse(text) as Status;
        } catch {
          // Not the shape we know: kubectl's own message below still tells.
        }
      }
      continue;
    }
    if (line.startsWith("Warning: ")) out.warnings.push(line.slice(9));
    else if (line.trim() !== "") own.push(line);
  }
  // kubectl relays what credential plugins print: keep nothing token-shaped.
  out.message = redactSecrets(own.join("\n").trim());
  return out;
}

/** Returns the last HTTP status in a chunk of stderr lines, if one is there. */
export function httpStatusIn(lines: string): number | undefined {
  let status: number | undefined;
  for (const line of lines.split("\n")) {
    const klog = line.match(KLOG);
    const rt = klog?.[1].match(ROUND_TRIP);
    if (rt) status = Number(rt[3]);
  }
  return status;
}

const fieldReasons: Record<string, string> = {
  "Invalid value": "FieldValueInvalid",
  "Required value": "FieldValueRequired",
  "Unsupported value": "FieldValueNotSupported",
  "Duplicate value": "FieldValueDuplicate",
  "Forbidden": "FieldValueForbidden",
  "Too long": "FieldValueTooLong",
  "Too many": "FieldValueTooMany",
  "Not found": "FieldValueNotFound",
  "Internal error": "InternalError",
};
const FIELD_ERROR = new RegExp(
  `^([\\w.\\[\\]/-]+): (${Object.keys(fieldReasons).join("|")})(?::\\s*(.*))?$`,
  "s",
);

/** Rebuilds the Status of a 422 from kubectl's `The Kind "name" is invalid: …` line. */
function invalidStatus(message: string): Status | undefined {
  const m = message.match(/^The (\S+) "([^"]*)" is invalid: (.*)$/s);
  if (!m) return undefined;
  const [, kind, name, rest] = m;
  const list = rest.startsWith("[") && rest.endsWith("]")
    ? rest.slice(1, -1)
    : rest;
  const parts = list.split(
    new RegExp(
      `, (?=[\\w.\\[\\]/-]+: (?:${Object.keys(fieldReasons).join("|")}))`,
    ),
  );
  const causes: StatusCause[] = [];
  for (const part of parts) {
    const f = part.match(FIELD_ERROR);
    if (f) {
      causes.push({
        field: f[1],
        reason: fieldReasons[f[2]],
        message: `${f[2]}${f[3] ? `: ${f[3]}` : ""}`,
      });
    }
  }
  return {
    status: "Failure",
    reason: "Invalid",
    code: 422,
    message: message.replace(/^The /, ""),
    details: {
      name,
      kind: kind.toLowerCase(),
      ...(causes.length ? { causes } : {}),
    },
  };
}

/**
 * The error for a kubectl run that failed: a {@link KubernetesApiError} when
 * the server answered, a {@link KubectlError} when it never did.
 */
export function kubectlFailure(
  diag: KubectlDiagnostics,
  exitCode: number,
  request: { method: string; path: string },
): Error {
  const fromServer = diag.message.match(
    /^Error from server(?: \(([A-Za-z]+)\))?: (.*)$/s,
  );
  let status: Status | undefined = diag.status;
  if (!status && fromServer) {
    status = { reason: fromServer[1], message: fromServer[2] };
  }
  if (!status) status = invalidStatus(diag.message);
  const code = status?.code ??
    (diag.lastHttpStatus && diag.lastHttpStatus >= 400
      ? diag.lastHttpStatus
      : undefined) ??
    (status?.reason ? httpCodeForReason(status.reason) : undefined);
  if (status && code !== undefined) {
    return new KubernetesApiError(code, status, request);
  }
  if (diag.lastHttpStatus && diag.lastHttpStatus >= 400) {
    return new KubernetesApiError(diag.lastHttpStatus, {
      message: diag.message || undefined,
    }, request);
  }
  const why = diag.message.replace(/^error: /, "") || "no message";
  return new KubectlError(
    `${request.method} ${request.path}: kubectl exited with code ${exitCode}: ${why}`,
    exitCode,
  );
}
