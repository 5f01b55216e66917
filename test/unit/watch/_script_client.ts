// A RestClient that answers lists and watches from a script of JSON texts,
// as a transport would: a list's body as bytes (no `expectJson`) or parsed,
// a watch as a byte stream (no `expectJson`) or parsed line by line with
// JsonLinesDecoder, so a default Reflector and a compact one over
// `listWatch()` read exactly the same server answers.

import type {
  JSONValue,
  KubernetesTunnel,
  RequestOptions,
  RestClient,
} from "../../../lib/contract.ts";
import { JsonLinesDecoder } from "../../../lib/watch/mod.ts";
import { parseJson } from "../../../lib/_internal/json.ts";

/** One watch answer: its lines, how they are cut into chunks, and how it ends. */
export interface WatchScript {
  /** The lines, without their newline. */
  lines: string[];
  /** Line ending. @default {"\n"} */
  eol?: string;
  /** Chunk size in bytes; default: one chunk per line. */
  chunk?: number;
  /** How it ends: closed, an error, or open until aborted. @default {"end"} */
  then?: "end" | "hang" | Error;
  /** No newline after the last line. */
  noFinalNewline?: boolean;
}

const encoder = new TextEncoder();

/** Answers from a script; every request is recorded. */
export class ScriptClient implements RestClient {
  requests: RequestOptions[] = [];
  /** List answers (a JSON text, or an error to throw), in order. */
  lists: (string | Error)[] = [];
  /** Watch answers (or an error to throw), in order. */
  watches: (WatchScript | Error)[] = [];

  /** Whether every scripted answer was given. */
  get exhausted(): boolean {
    return this.lists.length === 0 && this.watches.length === 0;
  }

  performRequest(
    opts: RequestOptions & { expectTunnel: string[] },
  ): Promise<KubernetesTunnel>;
  performRequest(
    opts: RequestOptions & { expectStream: true; expectJson: true },
  ): Promise<ReadableStream<JSONValue>>;
  performRequest(
    opts: RequestOptions & { expectStream: true },
  ): Promise<ReadableStream<Uint8Array>>;
  performRequest(
    opts: RequestOptions & { expectJson: true },
  ): Promise<JSONValue>;
  performRequest(opts: RequestOptions): Promise<Uint8Array>;
  // deno-lint-ignore require-await
  async performRequest(opts: RequestOptions): Promise<unknown> {
    this.requests.push(opts);
    if (opts.expectStream) {
      const script = this.watches.shift();
      if (!script) throw new Error("no watch scripted");
      if (script instanceof Error) throw script;
      const bytes = this.#stream(script, opts.abortSignal);
      return opts.expectJson
        ? bytes.pipeThrough(new JsonLinesDecoder())
        : bytes;
    }
    const body = this.lists.shift();
    if (body === undefined) throw new Error("no list scripted");
    if (body instanceof Error) throw body;
    if (!opts.expectJson) return encoder.encode(body);
    return parseJson(body, () => new Error("the scripted list is not JSON"));
  }

  #stream(
    script: WatchScript,
    signal: AbortSignal | undefined,
  ): ReadableStream<Uint8Array> {
    const eol = script.eol ?? "\n";
    const chunks: Uint8Array[] = [];
    script.lines.forEach((line, i) => {
      const last = i === script.lines.length - 1;
      const bytes = encoder.encode(
        line + (last && script.noFinalNewline ? "" : eol),
      );
      if (!script.chunk) chunks.push(bytes);
      else {
        for (let at = 0; at < bytes.length; at += script.chunk) {
          chunks.push(bytes.slice(at, at + script.chunk));
        }
      }
    });
    const then = script.then ?? "end";
    return new ReadableStream<Uint8Array>({
      start(c) {
        signal?.addEventListener("abort", () => {
          try {
            c.error(signal.reason);
          } catch { /* closed */ }
        }, { once: true });
      },
      pull(c) {
        const next = chunks.shift();
        if (next) return c.enqueue(next);
        if (then === "end") c.close();
        else if (then instanceof Error) c.error(then);
      },
    });
  }
}
