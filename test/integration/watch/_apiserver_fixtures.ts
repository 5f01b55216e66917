// What the watch layer's real-apiserver tests share: a namespace of their
// own for the length of a test, and the real transport with every request
// it is asked for recorded.

import type {
  JSONValue,
  KubernetesTunnel,
  RequestOptions,
  RestClient,
} from "../../../lib/contract.ts";
import { KubeConfigRestClient } from "../../../mod.ts";

/** The real transport, with every request it is asked for recorded. */
export class CountingClient implements RestClient {
  requests: RequestOptions[] = [];
  constructor(readonly inner: RestClient) {}
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
  performRequest(opts: RequestOptions): Promise<unknown> {
    this.requests.push(opts);
    return this.inner.performRequest(opts as RequestOptions);
  }
  /** Lists and watches of `path` so far. */
  count(path: string): { lists: number; watches: number } {
    const mine = this.requests.filter((r) => r.path === path);
    const watches =
      mine.filter((r) => r.querystring?.get("watch") === "true").length;
    return { lists: mine.length - watches, watches };
  }
}

/**
 * Runs `fn` with an admin client and a fresh namespace named `prefix-…`,
 * deleted (and the client closed) afterwards, whatever `fn` does.
 */
export async function withNamespace(
  cp: { kubeconfigs: { admin: string } },
  prefix: string,
  fn: (client: KubeConfigRestClient, ns: string) => Promise<void>,
): Promise<void> {
  const client = await KubeConfigRestClient.readKubeConfig(
    cp.kubeconfigs.admin,
  );
  const ns = `${prefix}-${crypto.randomUUID().slice(0, 8)}`;
  await client.performRequest({
    method: "POST",
    path: "/api/v1/namespaces",
    bodyJson: { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } },
  });
  try {
    await fn(client, ns);
  } finally {
    await client.performRequest({
      method: "DELETE",
      path: `/api/v1/namespaces/${ns}`,
    });
    client.close();
  }
}
