// What every auto-detect candidate shares: a source that cannot be used, as
// a value with the fix; Deno permissions queried (never prompted for) before
// anything is touched; and the `GET /api` probe that a candidate must pass.

import type { ClosableRestClient } from "../../lib/contract.ts";
import { withScheme } from "../../lib/_internal/url.ts";

/** A source that cannot be used, as a value. */
export class Unusable {
  constructor(
    readonly reason: string,
    readonly fix?: string,
    readonly cause?: unknown,
  ) {}
}

/** Tries one source: a client that passed the probe, or why not. */
export type Probe = () => Promise<ClosableRestClient | Unusable>;

/** Whether Deno already grants `desc` (queried, never prompted for). */
export async function granted(
  desc: Deno.PermissionDescriptor,
): Promise<boolean> {
  return (await Deno.permissions.query(desc)).state === "granted";
}

/** An env var, or Unusable naming the flag when reading it is not granted. */
export async function readEnv(
  name: string,
): Promise<string | undefined | Unusable> {
  return await granted({ name: "env", variable: name })
    ? Deno.env.get(name)
    : new Unusable(
      `no permission to read ${name}`,
      `--allow-env=${name}`,
    );
}

/**
 * `GET /api` must answer APIVersions within the timeout (or before
 * `deadline`, a budget that started earlier); closes the client when not.
 */
export async function probe(
  client: ClosableRestClient,
  timeoutMs: number,
  describeFailure: (err: unknown) => string,
  deadline: AbortSignal = AbortSignal.timeout(timeoutMs),
): Promise<ClosableRestClient | Unusable> {
  try {
    const api = await client.performRequest({
      method: "GET",
      path: "/api",
      expectJson: true,
      abortSignal: deadline,
    }) as { kind?: string };
    if (api?.kind === "APIVersions") return client;
    void client.close();
    return new Unusable(
      `GET /api answered ${JSON.stringify(api?.kind)}, not APIVersions`,
    );
  } catch (err) {
    void client.close();
    if (
      err instanceof DOMException &&
      (err.name === "TimeoutError" || err.name === "AbortError")
    ) {
      return new Unusable(
        `GET /api got no answer within ${timeoutMs} ms`,
        undefined,
        err,
      );
    }
    return new Unusable(describeFailure(err), undefined, err);
  }
}

function netTarget(server: string): string {
  const url = new URL(withScheme(server, "https"));
  const port = url.port || (url.protocol === "http:" ? "80" : "443");
  return `${url.hostname}:${port}`;
}

/** Unusable naming the `--allow-net` flag when connecting to `server` is not granted. */
export async function needNet(
  server: string,
  context: string,
): Promise<Unusable | undefined> {
  const target = netTarget(server);
  const [hostname, port] = [
    target.slice(0, target.lastIndexOf(":")),
    target.slice(target.lastIndexOf(":") + 1),
  ];
  if (
    await granted({
      name: "net",
      host: `${hostname.replace(/^\[|\]$/g, "")}:${port}`,
    })
  ) return undefined;
  return new Unusable(
    `no permission to connect to ${target} (${context})`,
    `--allow-net=${target}`,
  );
}

/** Unusable naming the `--allow-read` flag when reading `path` is not granted. */
export async function needRead(
  path: string,
  what: string,
): Promise<Unusable | undefined> {
  if (await granted({ name: "read", path })) return undefined;
  return new Unusable(
    `no permission to read ${what} ${path}`,
    `--allow-read=${path}`,
  );
}
