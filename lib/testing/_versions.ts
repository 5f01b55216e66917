// The release of a Kubernetes binary, read once from its `--version` and
// kept per path (a file replaced at the same path is read again), so that
// lib/testing/_component_args.ts can give it the flags its release takes.

import { errorText } from "./_leaf_helpers.ts";
import { type KubeRelease, parseRelease } from "./_component_args.ts";
import { TestingError } from "./testing_error.ts";

const known = new Map<string, Promise<KubeRelease>>();

/** How long `--version` may take: it prints and exits at once. */
const VERSION_TIMEOUT_MS = 15_000;

/**
 * The release `bin --version` reports.
 *
 * @throws {TestingError} `UnknownVersion` when it names no `v1.<minor>.<patch>`, fails, or does not answer within 15 s (naming the binary and what it printed).
 */
export async function binaryRelease(bin: string): Promise<KubeRelease> {
  let key = bin;
  try {
    const st = await Deno.stat(bin);
    key = `${bin}\0${st.mtime?.getTime() ?? 0}\0${st.size}`;
  } catch {
    // Running it says what is wrong.
  }
  let pending = known.get(key);
  if (!pending) {
    pending = readRelease(bin);
    known.set(key, pending);
    // A failure is not kept: the next start reads again.
    pending.catch(() => known.delete(key));
  }
  return await pending;
}

async function readRelease(bin: string): Promise<KubeRelease> {
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command(bin, {
      args: ["--version"],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(VERSION_TIMEOUT_MS),
    }).output();
  } catch (err) {
    throw new TestingError(
      "UnknownVersion",
      `${bin} --version could not run: ${errorText(err)}`,
      err,
    );
  }
  const dec = new TextDecoder();
  const text = `${dec.decode(out.stdout)}${dec.decode(out.stderr)}`.trim();
  const release = out.success ? parseRelease(text) : undefined;
  if (!release) {
    const shown = text.length > 200 ? `${text.slice(0, 200)}…` : text;
    throw new TestingError(
      "UnknownVersion",
      `${bin} --version: expected "Kubernetes v1.<minor>.<patch>" (the flags it takes depend on its release), found ${
        out.signal
          ? `no answer within ${
            VERSION_TIMEOUT_MS / 1000
          } s (killed by ${out.signal})`
          : `${JSON.stringify(shown)} (exit code ${out.code})`
      }`,
    );
  }
  return release;
}
