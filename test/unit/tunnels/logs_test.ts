// streamLogs without a cluster, through a scripted client: the lines are the
// same wherever the transport cuts the bytes (every pair of cut points over
// a log with 2-, 3- and 4-byte characters, CRLF, empty lines and a last line
// without a newline); the options become the query the API server reads;
// bad numbers fail before any request; the 400s of a log request become
// LogErrors with their reason (and the containers to choose from); the
// kubelet's 200 "unable to retrieve container logs" is a LogsUnavailable
// error, not a log line; an abort ends a followed log promptly even when the
// transport ignores the signal; leaving a `for await` cancels the body.
// The same helper against the real kubelet is in
// test/integration/tunnels/node_stream_logs_test.ts.

import assert from "node:assert/strict";
import {
  KubernetesApiError,
  type RequestOptions,
  type RestClient,
  streamLogs,
} from "../../../mod.ts";
import { LogError } from "../../../lib/tunnels/mod.ts";

const enc = new TextEncoder();

/** A client that answers every request with `answer(opts)`, recording the requests. */
function scripted(
  answer: (opts: RequestOptions) => ReadableStream<Uint8Array> | Error,
): RestClient & { requests: RequestOptions[] } {
  const requests: RequestOptions[] = [];
  return {
    requests,
    defaultNamespace: "team",
    // deno-lint-ignore no-explicit-any
    performRequest: ((opts: RequestOptions): Promise<any> => {
      requests.push(opts);
      const a = answer(opts);
      return a instanceof Error ? Promise.reject(a) : Promise.resolve(a);
    }) as RestClient["performRequest"],
  };
}

function chunked(chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream({
    pull(c) {
      if (i < chunks.length) c.enqueue(chunks[i++]);
      else c.close();
    },
  });
}

async function collect(stream: ReadableStream<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const line of stream) out.push(line);
  return out;
}

function apiError(code: number, message: string): KubernetesApiError {
  return new KubernetesApiError(code, { message }, {
    method: "GET",
    path: "/api/v1/namespaces/team/pods/web/log",
  });
}

Deno.test("streamLogs gives the same lines wherever the transport cuts the bytes, multi-byte characters included", async () => {
  const text = "é1\r\n\n日本語 ok\n🙂x\r\nlast without newline";
  const expected = ["é1", "", "日本語 ok", "🙂x", "last without newline"];
  const bytes = enc.encode(text);
  let cases = 0;
  for (let i = 0; i <= bytes.length; i++) {
    for (let j = i; j <= bytes.length; j++) {
      const client = scripted(() =>
        chunked([bytes.slice(0, i), bytes.slice(i, j), bytes.slice(j)])
      );
      assert.deepEqual(
        await collect(await streamLogs(client, "web")),
        expected,
        `cut at ${i} and ${j}`,
      );
      cases++;
    }
  }
  assert.ok(cases > 900, `${cases} cuts`);
  // One byte per chunk, too.
  const client = scripted(() =>
    chunked([...bytes].map((b) => Uint8Array.of(b)))
  );
  assert.deepEqual(await collect(await streamLogs(client, "web")), expected);
});

Deno.test("streamLogs turns its options into the log request's query, in the pod's or the client's namespace", async () => {
  const client = scripted(() => chunked([]));
  await streamLogs(client, "web", {
    container: "httpd",
    follow: true,
    tailLines: 0,
    sinceSeconds: 5,
    limitBytes: 100,
    timestamps: true,
    previous: true,
  });
  await streamLogs(client, { name: "db-0", namespace: "data" });
  await streamLogs(client, "a b", { namespace: "x y" });
  const [first, second, third] = client.requests;
  assert.equal(first.method, "GET");
  assert.equal(first.path, "/api/v1/namespaces/team/pods/web/log");
  assert.equal(first.expectStream, true);
  assert.equal(
    first.querystring?.toString(),
    "container=httpd&follow=true&tailLines=0&sinceSeconds=5&limitBytes=100&timestamps=true&previous=true",
  );
  assert.equal(second.path, "/api/v1/namespaces/data/pods/db-0/log");
  assert.equal(second.querystring?.toString(), "");
  assert.equal(third.path, "/api/v1/namespaces/x%20y/pods/a%20b/log");
});

Deno.test("streamLogs rejects out-of-range numbers before any request, naming the field", async () => {
  const client = scripted(() => chunked([]));
  for (
    const [opts, field] of [
      [{ tailLines: -1 }, "tailLines"],
      [{ sinceSeconds: 0 }, "sinceSeconds"],
      [{ sinceSeconds: 1.5 }, "sinceSeconds"],
      [{ limitBytes: Number.NaN }, "limitBytes"],
    ] as const
  ) {
    await assert.rejects(
      streamLogs(client, "web", opts),
      (e) =>
        e instanceof RangeError && e.message.includes(field) &&
        e.message.includes("team/web"),
    );
  }
  assert.equal(client.requests.length, 0);
});

Deno.test("streamLogs turns the 400s of a log request into LogErrors with their reason, and passes 404 through", async () => {
  const cases: [string, string][] = [
    [
      "a container name must be specified for pod two, choose one of: [a b] or one of the init containers: [init]",
      "ContainerRequired",
    ],
    ["container nope is not valid for pod two", "ContainerNotFound"],
    [
      'previous terminated container "a" in pod "two" not found',
      "PreviousNotFound",
    ],
    [
      'container "main" in pod "web" is waiting to start: ContainerCreating',
      "ContainerNotStarted",
    ],
    ['container "main" in pod "web" is terminated', "ContainerTerminated"],
    ["something else entirely", "BadRequest"],
  ];
  for (const [message, reason] of cases) {
    const cause = apiError(400, message);
    const err = await streamLogs(scripted(() => cause), "two", {
      container: "c",
    }).then(() => undefined, (e) => e);
    assert.ok(err instanceof LogError, `${message}: ${err}`);
    assert.equal(err.reason, reason, message);
    assert.equal(err.cause, cause);
    assert.deepEqual(err.target, {
      namespace: "team",
      pod: "two",
      container: "c",
    });
    assert.ok(err.message.startsWith("logs of team/two container c: "));
    assert.ok(err.message.endsWith(message));
    assert.deepEqual(
      err.containers,
      reason === "ContainerRequired" ? ["a", "b"] : undefined,
    );
  }
  const missing = apiError(404, 'pods "two" not found');
  await assert.rejects(
    streamLogs(scripted(() => missing), "two"),
    (e) => e === missing,
  );
});

Deno.test("streamLogs fails with LogsUnavailable when the kubelet answers only that it cannot retrieve the log", async () => {
  const kubelet =
    "unable to retrieve container logs for containerd://0f3a9c1e77d2b4c5";
  for (const body of [kubelet, `${kubelet}\n`]) {
    const lines = await streamLogs(
      scripted(() => chunked([enc.encode(body)])),
      "crasher",
      { previous: true },
    );
    await assert.rejects(
      collect(lines),
      (e) =>
        e instanceof LogError && e.reason === "LogsUnavailable" &&
        e.message.startsWith("logs of team/crasher: "),
    );
  }
  // Written by a container, among other lines, it is an ordinary line.
  for (const body of [`${kubelet}\nmore\n`, `first\n${kubelet}\n`]) {
    const lines = await streamLogs(
      scripted(() => chunked([enc.encode(body)])),
      "web",
    );
    assert.deepEqual(await collect(lines), body.trim().split("\n"));
  }
});

/** A followed log that writes one line, then nothing, and ignores abort signals. */
function endless(): {
  stream: ReadableStream<Uint8Array>;
  cancelled: Promise<unknown>;
} {
  let cancelled!: (reason: unknown) => void;
  const done = new Promise((r) => cancelled = r);
  let sent = false;
  return {
    stream: new ReadableStream({
      pull(c) {
        if (!sent) {
          sent = true;
          c.enqueue(enc.encode("tick 1\ntick 2 (unfinished"));
        }
        return new Promise(() => {}); // no more, ever
      },
      cancel: (reason) => cancelled(reason),
    }),
    cancelled: done,
  };
}

Deno.test("an abort ends a followed log promptly, even through a transport that ignores the signal", async () => {
  const body = endless();
  const ctl = new AbortController();
  const lines = await streamLogs(scripted(() => body.stream), "web", {
    follow: true,
    signal: ctl.signal,
  });
  const reader = lines.getReader();
  assert.deepEqual(await reader.read(), { value: "tick 1", done: false });
  const next = reader.read();
  setTimeout(() => ctl.abort(), 20);
  const started = performance.now();
  assert.deepEqual(await next, { value: undefined, done: true });
  assert.ok(performance.now() - started < 500);
  await body.cancelled;

  const early = new AbortController();
  early.abort(new Error("stop"));
  const client = scripted((opts) =>
    opts.abortSignal?.aborted ? opts.abortSignal.reason : chunked([])
  );
  await assert.rejects(
    streamLogs(client, "web", { signal: early.signal }),
    /stop/,
  );
  // v0.8's spelling, deprecated, still works.
  await assert.rejects(
    streamLogs(client, "web", { abortSignal: early.signal }),
    /stop/,
  );
});

Deno.test("leaving a for-await over the lines cancels the log's body", async () => {
  const body = endless();
  const lines = await streamLogs(scripted(() => body.stream), "web", {
    follow: true,
  });
  for await (const line of lines) {
    assert.equal(line, "tick 1");
    break;
  }
  await body.cancelled;
});

Deno.test("an error of the transport mid-log errors the stream with that error", async () => {
  const boom = new Error("connection reset");
  let sent = false;
  const body = new ReadableStream<Uint8Array>({
    pull(c) {
      if (sent) return c.error(boom);
      sent = true;
      c.enqueue(enc.encode("a\nb"));
    },
  });
  const reader = (await streamLogs(scripted(() => body), "web")).getReader();
  assert.deepEqual(await reader.read(), { value: "a", done: false });
  await assert.rejects(reader.read(), (e) => e === boom);
});
