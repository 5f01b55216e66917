/**
 * `kubectl logs` for code: a container's log as a stream of lines, whole or
 * followed, on any transport.
 *
 * Lines are split on bytes, so a chunk boundary may fall anywhere (inside a
 * multi-byte character too) and each line is decoded as UTF-8 once whole.
 * A line ends at `\n`; a `\r` before it is dropped (TTY containers write
 * `\r\n`); empty lines are kept; a last line without a newline is still
 * delivered when the log ends.
 *
 * Permissions: the transport's; nothing more.
 *
 * @module
 */

import type { RestClient } from "../contract.ts";
import { KubernetesApiError } from "../errors/mod.ts";
import { LogError, type LogErrorReason, type LogTarget } from "./log_error.ts";
import { apiPath } from "../_wire/api_path.ts";

export * from "./log_error.ts";

/** What to read of a container's log. */
export interface StreamLogsOptions {
  /** The pod's namespace. @default {the client's `defaultNamespace`, then `"default"`} */
  namespace?: string;
  /**
   * The container. Needed when the pod has several (a {@link LogError}
   * `ContainerRequired` lists them otherwise).
   * @default {the pod's only container}
   */
  container?: string;
  /** Keep the stream open and deliver new lines as they are written. @default {false} */
  follow?: boolean;
  /** Start with only the last this many lines. @default {the whole log} */
  tailLines?: number;
  /** Only lines written in the last this many seconds (at least 1). @default {the whole log} */
  sinceSeconds?: number;
  /** Stop after this many bytes (the line cut there is delivered as is). @default {no limit} */
  limitBytes?: number;
  /** Prefix each line with its RFC 3339 timestamp and a space, as the kubelet writes it. @default {false} */
  timestamps?: boolean;
  /** The log of the container's previous run (after a restart). @default {false} */
  previous?: boolean;
  /**
   * Ends the log: before the answer the call rejects with the signal's
   * reason; after it the stream ends (done), dropping a line not yet ended
   * by a newline.
   * @default {none: the log is read until it ends}
   */
  signal?: AbortSignal;
  /** @deprecated Use `signal`, the name every helper of this library gives its abort signal. */
  abortSignal?: AbortSignal;
}

/** What a pod is called. */
export interface PodName {
  /** The pod. */
  name: string;
  /** Its namespace. @default {the `namespace` option, the client's, then `"default"`} */
  namespace?: string;
}

/** The kubelet's whole answer when a container's log file is gone (kuberuntime GetContainerLogs). */
const UNAVAILABLE =
  /^unable to retrieve container logs for [a-z0-9.-]+:\/\/\S+$/;

/**
 * Streams a container's log as lines (strings without their newline).
 *
 * When the kubelet cannot find the log file of the container it picked
 * (typically `previous` for a container that crashed again since, whose
 * earlier run was removed), it answers 200 with the single line
 * `unable to retrieve container logs for containerd://…`. A log that
 * consists of exactly that line and nothing else fails with a
 * {@link LogError} `LogsUnavailable` instead of being delivered as a log
 * line: it is not what the container wrote. (To tell the two apart, such a
 * first line is held back until a second line or the end arrives.)
 *
 * @param client Any transport.
 * @param pod The pod's name, or its name and namespace.
 * @param opts Container, follow, tail, since, timestamps, previous, abort.
 * @returns A stream of lines; cancel it (or `break` out of `for await`) to stop reading.
 * @throws {LogError} For the 400s of a log request (`ContainerRequired`, `ContainerNotFound`, `ContainerNotStarted`, `ContainerTerminated`, `PreviousNotFound`, `BadRequest`); the stream errors with `LogsUnavailable`.
 * @throws {KubernetesApiError} When the pod does not exist (404) or reading its log is forbidden (403).
 * @throws {RangeError} When `tailLines`, `sinceSeconds` or `limitBytes` is out of range.
 * @throws {PathSegmentError} When the pod's name or namespace cannot be one path segment (empty, `.`, `..`, `/`, `%`); nothing is sent.
 *
 * @example Follow a container's log for ten seconds
 * ```ts
 * import { streamLogs } from "@denokube/transport/tunnels";
 * import type { RestClient } from "@denokube/transport/contract";
 *
 * async function tail(client: RestClient): Promise<void> {
 *   const lines = await streamLogs(client, { namespace: "shop", name: "web-0" }, {
 *     container: "httpd",
 *     follow: true,
 *     tailLines: 20,
 *     signal: AbortSignal.timeout(10_000),
 *   });
 *   for await (const line of lines) console.log(line);
 * }
 * ```
 */
export async function streamLogs(
  client: RestClient,
  pod: string | PodName,
  opts: StreamLogsOptions = {},
): Promise<ReadableStream<string>> {
  const name = typeof pod === "string" ? pod : pod.name;
  const namespace = (typeof pod === "string" ? undefined : pod.namespace) ??
    opts.namespace ?? client.defaultNamespace ?? "default";
  const target: LogTarget = {
    namespace,
    pod: name,
    ...(opts.container === undefined ? {} : { container: opts.container }),
  };
  const path = apiPath({
    version: "v1",
    resource: "pods",
    namespace,
    name,
    subresource: "log",
  });
  const query = logQuery(opts, target);
  const signal = opts.signal ?? opts.abortSignal;
  let body: ReadableStream<Uint8Array>;
  try {
    body = await client.performRequest({
      method: "GET",
      path,
      querystring: query,
      expectStream: true,
      abortSignal: signal,
    });
  } catch (err) {
    throw logErrorOf(err, target) ?? err;
  }
  return linesOf(body, target, signal);
}

function logQuery(opts: StreamLogsOptions, target: LogTarget): URLSearchParams {
  const query = new URLSearchParams();
  const count = (field: string, value: number | undefined, min: number) => {
    if (value === undefined) return;
    if (!Number.isSafeInteger(value) || value < min) {
      throw new RangeError(
        `logs of ${target.namespace}/${target.pod}: ${field} must be an integer of at least ${min}, got ${value}`,
      );
    }
    query.set(field, String(value));
  };
  if (opts.container !== undefined) query.set("container", opts.container);
  if (opts.follow) query.set("follow", "true");
  count("tailLines", opts.tailLines, 0);
  count("sinceSeconds", opts.sinceSeconds, 1);
  count("limitBytes", opts.limitBytes, 1);
  if (opts.timestamps) query.set("timestamps", "true");
  if (opts.previous) query.set("previous", "true");
  return query;
}

/** The typed error for a log request's 400, or undefined for anything else. */
function logErrorOf(err: unknown, target: LogTarget): LogError | undefined {
  if (!(err instanceof KubernetesApiError) || err.httpCode !== 400) {
    return undefined;
  }
  const message = err.status.message ?? "";
  const rules: [RegExp, LogErrorReason][] = [
    [/a container name must be specified/, "ContainerRequired"],
    [/^container \S+ is not valid for pod/, "ContainerNotFound"],
    [/^previous terminated container .* not found/, "PreviousNotFound"],
    [/is waiting to start/, "ContainerNotStarted"],
    [/^container .* is terminated/, "ContainerTerminated"],
  ];
  const reason = rules.find(([re]) => re.test(message))?.[1] ?? "BadRequest";
  const choices = reason === "ContainerRequired"
    ? /choose one of: \[([^\]]*)\]/.exec(message)?.[1].split(" ").filter(
      Boolean,
    )
    : undefined;
  return new LogError(reason, target, message || "HTTP 400", {
    containers: choices,
    cause: err,
  });
}

const LF = 10;
const CR = 13;

/** Splits a log body into lines, pull by pull, honouring the abort signal. */
function linesOf(
  body: ReadableStream<Uint8Array>,
  target: LogTarget,
  signal: AbortSignal | undefined,
): ReadableStream<string> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let pending: Uint8Array[] = [];
  let pendingLength = 0;
  let linesSeen = 0;
  let held: string | undefined;
  let delivered = 0;
  // An abort ends the stream: a read in flight resolves `done`.
  const onAbort = () => void reader.cancel(signal?.reason).catch(() => {});
  signal?.addEventListener("abort", onAbort, { once: true });
  const stopListening = () => signal?.removeEventListener("abort", onAbort);

  const emit = (
    bytes: Uint8Array,
    out: ReadableStreamDefaultController<string>,
  ) => {
    const end = bytes.length > 0 && bytes[bytes.length - 1] === CR
      ? bytes.length - 1
      : bytes.length;
    const line = decoder.decode(bytes.subarray(0, end));
    if (++linesSeen === 1 && UNAVAILABLE.test(line)) {
      held = line;
      return;
    }
    if (held !== undefined) {
      out.enqueue(held);
      held = undefined;
      delivered++;
    }
    out.enqueue(line);
    delivered++;
  };
  const take = (rest: Uint8Array): Uint8Array => {
    if (pendingLength === 0) return rest;
    pending.push(rest);
    const line = new Uint8Array(pendingLength + rest.length);
    let at = 0;
    for (const p of pending) {
      line.set(p, at);
      at += p.length;
    }
    pending = [];
    pendingLength = 0;
    return line;
  };

  return new ReadableStream<string>({
    async pull(out) {
      for (;;) {
        let chunk: ReadableStreamReadResult<Uint8Array>;
        try {
          chunk = await reader.read();
        } catch (err) {
          stopListening();
          if (signal?.aborted) return out.close();
          throw err;
        }
        if (chunk.done) {
          stopListening();
          if (signal?.aborted) return out.close();
          if (pendingLength > 0) emit(take(new Uint8Array(0)), out);
          if (held !== undefined) {
            throw new LogError(
              "LogsUnavailable",
              target,
              'the kubelet has no log for this container any more (it answered only "unable to retrieve container logs")',
            );
          }
          return out.close();
        }
        const bytes = chunk.value;
        const before = delivered;
        let start = 0;
        let nl = bytes.indexOf(LF);
        while (nl !== -1) {
          emit(take(bytes.subarray(start, nl)), out);
          start = nl + 1;
          nl = bytes.indexOf(LF, start);
        }
        if (start < bytes.length) {
          // Copied: the transport may reuse its buffer.
          const rest = bytes.slice(start);
          pending.push(rest);
          pendingLength += rest.length;
        }
        if (delivered !== before) return;
      }
    },
    cancel(reason) {
      stopListening();
      return reader.cancel(reason);
    },
  });
}
