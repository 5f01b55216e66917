// Reads what kubectl prints on stderr at -v=6 and turns a failure into the
// same typed errors the fetch transport raises.
//
// At -v=6 kubectl logs one klog line per HTTP request with its status (the
// round trip, below), usually the server's Status JSON (`helpers.go:NNN]
// server response object: [{…}]`), and then its own message (`Error from
// server (NotFound): …`, or `The ConfigMap "x" is invalid: …` for 422s).
// kubectl 1.20 (and others before klog's fatal stopped dumping stacks) logs
// its own message as an `F…` klog line followed by every goroutine's stack.

import {
  httpCodeForReason,
  KubectlError,
  KubernetesApiError,
  type Status,
  type StatusCause,
} from "../lib/errors/mod.ts";
import { redactSecrets } from "../lib/_internal/redact.ts";
import { parseJsonOrUndefined } from "../lib/_internal/json.ts";

// `I1203 16:45:26.727428   22465 round_trippers.go:560] message`: level, location, message.
const KLOG = /^([IWEF])\d{4} \d\d:\d\d:\d\d\.\d+\s+\d+ ([^\]]+)\] ?(.*)$/;

// The round trip as client-go's debugging round tripper logs it at -v=6
// (transport/round_trippers.go, DebugURLTiming), in every form it has had:
// - kubectl 1.0-1.1 (kubernetes#10032, 2015): from `debugging_client.go`,
//   `GET https://h/api 200 OK in 22 milliseconds`;
// - kubectl 1.2-1.32: the same text from `round_trippers.go`
//   (`klog.Infof("%s %s %s in %d milliseconds", verb, url, status, ms)`);
//   with no answer the status is empty: `GET https://h/api  in 0 milliseconds`;
// - kubectl 1.33 and later (kubernetes#129330, structured and contextual
//   logging in client-go/transport): `"Response" verb="GET"
//   url="https://h/api" status="200 OK" milliseconds=3`, `status=""` with
//   no answer.
const TEXT_ROUND_TRIP =
  /^(?:GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) \S+ (?:(\d{3})\b.*)? in \d+ milliseconds$/;
const STRUCTURED_ROUND_TRIP = /^"Response" (?:.* )?status="(\d{3})?[^"]*"/;
// Where client-go logs round trips: a line from there we cannot read means
// a kubectl newer than this parser.
const ROUND_TRIP_SOURCE = /^(?:round_trippers|debugging_client)\.go:\d+$/;

const SERVER_RESPONSE_OBJECT = /server response object: (?:%s)?\[/;

/** One round trip as kubectl logged it. */
export interface RoundTrip {
  /** Its HTTP status; undefined when it got no answer (or the line was unreadable). */
  status?: number;
  /** The klog location of a round-trip line in a form this parser does not know. */
  unreadable?: string;
}

/** Reads a klog message (the text after `] `) from `location` as a round trip, if it is one. */
function roundTripOf(
  level: string,
  location: string,
  message: string,
): RoundTrip | undefined {
  const text = message.match(TEXT_ROUND_TRIP);
  if (text) return { status: text[1] ? Number(text[1]) : undefined };
  const structured = message.match(STRUCTURED_ROUND_TRIP);
  if (structured) {
    return { status: structured[1] ? Number(structured[1]) : undefined };
  }
  // At -v=6 client-go logs nothing else at info level from there.
  if (level === "I" && ROUND_TRIP_SOURCE.test(location)) {
    return { unreadable: location };
  }
  return undefined;
}

/** What kubectl's stderr says. */
export interface KubectlDiagnostics {
  /** HTTP status of the last request kubectl logged, if any. */
  lastHttpStatus?: number;
  /** The klog location of the last round-trip line this parser could not read, if any. */
  unreadableRoundTrip?: string;
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
      const [, level, location, body] = klog;
      if (level === "F") {
        // kubectl's own message; the goroutine stacks that follow are not.
        own.push(body);
        break;
      }
      const rt = roundTripOf(level, location, body);
      if (rt) {
        out.lastHttpStatus = rt.status;
        out.unreadableRoundTrip = rt.unreadable;
      }
      // kubectl 1.20 logs `server response object: [{`, 1.32 and 1.36
      // `server response object: %s[{` (a printf verb left in the text).
      const obj = body.match(SERVER_RESPONSE_OBJECT);
      if (obj) {
        // A multi-line JSON array that ends with a line "}]".
        const json = [body.slice(obj.index! + obj[0].length)];
        while (i + 1 < lines.length && !json[json.length - 1].endsWith("}]")) {
          json.push(lines[++i]);
        }
        const text = json.join("\n").replace(/\]$/, "");
        // Not JSON (a shape we do not know): kubectl's own message below still tells.
        const status = parseJsonOrUndefined(text);
        if (status !== undefined) out.status = status as Status;
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

/** The last round trip logged in a chunk of stderr lines, if one is there. */
export function lastRoundTripIn(lines: string): RoundTrip | undefined {
  let last: RoundTrip | undefined;
  for (const line of lines.split("\n")) {
    const klog = line.match(KLOG);
    if (!klog) continue;
    last = roundTripOf(klog[1], klog[2], klog[3]) ?? last;
  }
  return last;
}

/**
 * The error for a round trip whose status kubectl logged in a form this
 * parser does not read: the request cannot be told answered or failed.
 *
 * @param request The request.
 * @param location Where kubectl logged it (`round_trippers.go:700`).
 * @param version kubectl's version (`v1.40.0`, or why it is unknown).
 */
export function unreadableStatus(
  request: { method: string; path: string },
  location: string,
  version: string,
): KubectlError {
  return new KubectlError(
    `${request.method} ${request.path}: kubectl ${version} logged the response status at ${location} in a form this library does not read (expected "GET <url> <status> in <n> milliseconds" as kubectl 1.2-1.32 print it, or '"Response" verb=… status="<status>"' as 1.33 and later do)`,
    undefined,
    undefined,
    "bad-response",
  );
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
 * the server answered, a {@link KubectlError} when it never did (or when
 * nothing kubectl printed tells which).
 *
 * @param diag What kubectl printed.
 * @param exitCode Its exit code.
 * @param request The request.
 * @param version kubectl's version, named when its round-trip line was unreadable.
 */
export function kubectlFailure(
  diag: KubectlDiagnostics,
  exitCode: number,
  request: { method: string; path: string },
  version?: string,
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
  const unreadable = diag.unreadableRoundTrip && version
    ? ` (kubectl ${version} logged the response status at ${diag.unreadableRoundTrip} in a form this library does not read)`
    : "";
  return new KubectlError(
    `${request.method} ${request.path}: kubectl exited with code ${exitCode}: ${why}${unreadable}`,
    exitCode,
  );
}
