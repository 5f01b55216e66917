// One behavioural table, run against both the fetch transport
// (KubeConfigRestClient) and the kubectl transport (KubectlRawRestClient,
// once per kubectl release: test/_kubectls.ts) with the real apiserver and
// the real kubectl: parity is visible test by
// test. Deno's sanitizers stay on, so a kubectl process left running fails
// the test that started it.

import assert from "node:assert/strict";
import {
  type JSONObject,
  KubeConfigRestClient,
  KubectlRawRestClient,
  KubernetesApiError,
  readAllItems,
  type RestClient,
  TransportError,
} from "../../../mod.ts";
import { controlPlane } from "../../harness.ts";
import { forceGc } from "../../_gc.ts";
import { rejection } from "../../_helpers.ts";
import { kubectlsUnderTest } from "../../_kubectls.ts";

const cp = await controlPlane();

interface Transport {
  open(kubeconfig: string): Promise<RestClient & { close?(): void }>;
  /** The kubectl's minor release, for the kubectl transport. */
  kubectlMinor?: number;
}
const transports: Record<string, Transport> = {
  fetch: { open: (kc) => KubeConfigRestClient.readKubeConfig(kc) },
  // The kubectl transport once per kubectl release under test (test/_kubectls.ts).
  ...Object.fromEntries(
    kubectlsUnderTest(cp.binaries.kubectl).map((k): [string, Transport] => [
      k.label,
      {
        kubectlMinor: Number(k.version.match(/^v1\.(\d+)\./)?.[1]),
        open: (kc) =>
          Promise.resolve(
            new KubectlRawRestClient(undefined, {
              kubeconfig: kc,
              kubectl: k.path,
            }),
          ),
      },
    ]),
  ),
};

type Obj = JSONObject & {
  metadata: {
    name: string;
    resourceVersion: string;
    managedFields?: { manager: string }[];
  };
};
interface Ctx {
  client: RestClient;
  ns: string;
  limited?: RestClient;
  /** Set for the kubectl transport: which kubectl release runs the requests. */
  kubectlMinor?: number;
}

const cm = (
  name: string,
  data: Record<string, string> = {},
  labels: Record<string, string> = {},
) => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name, labels },
  data,
});

const cases: Record<string, (c: Ctx) => Promise<void>> = {
  "create, get, replace and delete": async ({ client, ns }) => {
    const base = `/api/v1/namespaces/${ns}/configmaps`;
    const created = await client.performRequest({
      method: "POST",
      path: base,
      bodyJson: cm("crud", { a: "1" }),
      expectJson: true,
    }) as Obj;
    assert.equal(created.metadata.name, "crud");
    const got = await client.performRequest({
      method: "GET",
      path: `${base}/crud`,
      expectJson: true,
    }) as Obj;
    assert.deepEqual(got.data, { a: "1" });
    const replaced = await client.performRequest({
      method: "PUT",
      path: `${base}/crud`,
      bodyJson: {
        ...cm("crud", { a: "2" }),
        metadata: {
          name: "crud",
          resourceVersion: got.metadata.resourceVersion,
        },
      },
      expectJson: true,
    }) as Obj;
    assert.deepEqual(replaced.data, { a: "2" });
    const bytes = await client.performRequest({
      method: "GET",
      path: `${base}/crud`,
    });
    assert.ok(bytes instanceof Uint8Array);
    assert.equal(JSON.parse(new TextDecoder().decode(bytes)).data.a, "2");
    await client.performRequest({
      method: "DELETE",
      path: `${base}/crud`,
      expectJson: true,
    });
    assert.ok(
      (await rejection(
        client.performRequest({ method: "GET", path: `${base}/crud` }),
        KubernetesApiError,
      )).isNotFound(),
    );
  },

  "list with a labelSelector, paginated": async ({ client, ns }) => {
    const base = `/api/v1/namespaces/${ns}/configmaps`;
    for (let i = 0; i < 5; i++) {
      await client.performRequest({
        method: "POST",
        path: base,
        bodyJson: cm(`page-${i}`, {}, { set: i % 2 ? "odd" : "even" }),
      });
    }
    const pages: number[] = [];
    const names: string[] = [];
    for await (
      const item of readAllItems((token) => {
        pages.push(1);
        return client.performRequest({
          method: "GET",
          path: base,
          querystring: new URLSearchParams({
            labelSelector: "set=even",
            limit: "2",
            ...(token ? { continue: token } : {}),
          }),
          expectJson: true,
        }) as Promise<{ metadata: { continue?: string }; items: Obj[] }>;
      })
    ) names.push(item.metadata.name);
    assert.deepEqual(names, ["page-0", "page-2", "page-4"]);
    assert.equal(pages.length, 2);
  },

  "the three patch types, with fieldManager and dryRun": async (
    { client, ns, kubectlMinor },
  ) => {
    const base = `/apis/apps/v1/namespaces/${ns}/deployments`;
    await client.performRequest({
      method: "POST",
      path: base,
      bodyJson: {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: "web" },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: "web" } },
          template: {
            metadata: { labels: { app: "web" } },
            spec: {
              containers: [{
                name: "main",
                image: "nginx",
                env: [{ name: "A", value: "1" }],
              }, { name: "side", image: "busybox" }],
            },
          },
        },
      },
    });
    // Strategic merge: the containers list merges by name, keeping "side".
    const strategic = await client.performRequest({
      method: "PATCH",
      path: `${base}/web`,
      contentType: "application/strategic-merge-patch+json",
      querystring: new URLSearchParams({ fieldManager: "parity-strategic" }),
      bodyJson: {
        spec: {
          template: {
            spec: { containers: [{ name: "main", image: "nginx:2" }] },
          },
        },
      },
      expectJson: true,
    }) as {
      spec: {
        template: { spec: { containers: { name: string; image: string }[] } };
      };
    } & Obj;
    assert.deepEqual(
      strategic.spec.template.spec.containers.map((c) =>
        `${c.name}=${c.image}`
      ),
      [
        "main=nginx:2",
        "side=busybox",
      ],
    );
    assert.ok(
      strategic.metadata.managedFields?.some((f) =>
        f.manager === "parity-strategic"
      ),
    );

    const merge = await client.performRequest({
      method: "PATCH",
      path: `${base}/web`,
      contentType: "application/merge-patch+json",
      bodyJson: { metadata: { labels: { tier: "front" } } },
      expectJson: true,
    }) as Obj & { metadata: { labels: Record<string, string> } };
    assert.equal(merge.metadata.labels.tier, "front");

    const json = await client.performRequest({
      method: "PATCH",
      path: `${base}/web`,
      contentType: "application/json-patch+json",
      bodyJson: [{ op: "replace", path: "/spec/replicas", value: 3 }],
      expectJson: true,
    }) as { spec: { replicas: number } };
    assert.equal(json.spec.replicas, 3);

    const dry = await client.performRequest({
      method: "PATCH",
      path: `${base}/web`,
      contentType: "application/merge-patch+json",
      querystring: new URLSearchParams({ dryRun: "All" }),
      bodyJson: { spec: { replicas: 9 } },
      expectJson: true,
    }) as { spec: { replicas: number } };
    assert.equal(dry.spec.replicas, 9);
    const after = await client.performRequest({
      method: "GET",
      path: `${base}/web`,
      expectJson: true,
    }) as {
      spec: { replicas: number };
    };
    assert.equal(after.spec.replicas, 3, "dryRun changed nothing");

    const patchStatus = client.performRequest({
      method: "PATCH",
      path: `${base}/web/status`,
      contentType: "application/merge-patch+json",
      bodyJson: { status: { observedGeneration: 7 } },
      expectJson: true,
    }) as Promise<{ status: { observedGeneration: number } }>;
    if (kubectlMinor !== undefined && kubectlMinor < 24) {
      // kubectl patch has --subresource from 1.24: refused before it runs.
      const refused = await rejection(patchStatus, TransportError);
      assert.equal(refused.kind, "invalid-request");
      assert.match(
        refused.message,
        /^PATCH \/apis\/apps\/v1\/namespaces\/\S+\/deployments\/web\/status: kubectl v1\.\d+\.\S+ cannot patch the status subresource: kubectl patch --subresource exists from 1\.24 on$/,
      );
      return;
    }
    const status = await patchStatus;
    assert.equal(
      status.status.observedGeneration,
      7,
      "the /status subresource",
    );
  },

  "server-side apply, with a field manager and force": async (
    { client, ns },
  ) => {
    const path = `/api/v1/namespaces/${ns}/configmaps/applied`;
    const apply = (
      manager: string,
      data: Record<string, string>,
      force = false,
    ) =>
      client.performRequest({
        method: "PATCH",
        path,
        contentType: "application/apply-patch+yaml",
        querystring: new URLSearchParams({
          fieldManager: manager,
          ...(force ? { force: "true" } : {}),
        }),
        bodyJson: {
          apiVersion: "v1",
          kind: "ConfigMap",
          metadata: { name: "applied", namespace: ns },
          data,
        },
        expectJson: true,
      }) as Promise<Obj & { data: Record<string, string> }>;
    const first = await apply("team-a", { owner: "a" });
    assert.deepEqual(first.data, { owner: "a" });
    assert.ok(
      first.metadata.managedFields?.some((f) => f.manager === "team-a"),
    );
    const conflict = await rejection(
      apply("team-b", { owner: "b" }),
      KubernetesApiError,
    );
    assert.ok(conflict.isConflict(), conflict.message);
    const forced = await apply("team-b", { owner: "b" }, true);
    assert.equal(forced.data.owner, "b");
  },

  "watch sees ADDED, MODIFIED and DELETED in order": async ({ client, ns }) => {
    const base = `/api/v1/namespaces/${ns}/configmaps`;
    const list = await client.performRequest({
      method: "GET",
      path: base,
      expectJson: true,
    }) as {
      metadata: { resourceVersion: string };
    };
    const events = await client.performRequest({
      method: "GET",
      path: base,
      querystring: new URLSearchParams({
        watch: "1",
        resourceVersion: list.metadata.resourceVersion,
        timeoutSeconds: "3",
      }),
      expectStream: true,
      expectJson: true,
    });
    await client.performRequest({
      method: "POST",
      path: base,
      bodyJson: cm("watched", { v: "1" }),
    });
    await client.performRequest({
      method: "PATCH",
      path: `${base}/watched`,
      contentType: "application/merge-patch+json",
      bodyJson: { data: { v: "2" } },
    });
    await client.performRequest({ method: "DELETE", path: `${base}/watched` });
    const seen: string[] = [];
    for await (
      const ev of events as ReadableStream<
        { type: string; object: { data: { v: string } } }
      >
    ) {
      seen.push(`${ev.type} ${ev.object.data.v}`);
    }
    assert.deepEqual(seen, ["ADDED 1", "MODIFIED 2", "DELETED 2"]);
  },

  "errors: 404, 409, 403 and 422 are typed the same way": async (
    { client, ns, limited },
  ) => {
    const base = `/api/v1/namespaces/${ns}/configmaps`;
    const notFound = await rejection(
      client.performRequest({
        method: "GET",
        path: `${base}/nope`,
        expectJson: true,
      }),
      KubernetesApiError,
    );
    assert.equal(notFound.httpCode, 404);
    assert.equal(notFound.details?.name, "nope");
    assert.deepEqual(notFound.request, { method: "GET", path: `${base}/nope` });

    await client.performRequest({
      method: "POST",
      path: base,
      bodyJson: cm("twice"),
    });
    const exists = await rejection(
      client.performRequest({
        method: "POST",
        path: base,
        bodyJson: cm("twice"),
      }),
      KubernetesApiError,
    );
    assert.equal(exists.httpCode, 409);
    assert.ok(exists.isAlreadyExists());

    const invalid = await rejection(
      client.performRequest({
        method: "POST",
        path: base,
        bodyJson: cm("Not_Valid"),
      }),
      KubernetesApiError,
    );
    assert.equal(invalid.httpCode, 422);
    assert.ok(invalid.isInvalid());
    assert.equal(invalid.details?.causes?.[0]?.field, "metadata.name");
    assert.equal(invalid.details?.causes?.[0]?.reason, "FieldValueInvalid");

    const patchMissing = await rejection(
      client.performRequest({
        method: "PATCH",
        path: `${base}/nope`,
        contentType: "application/merge-patch+json",
        bodyJson: { data: {} },
      }),
      KubernetesApiError,
    );
    assert.ok(patchMissing.isNotFound());

    if (limited) {
      const forbidden = await rejection(
        limited.performRequest({ method: "GET", path: base, expectJson: true }),
        KubernetesApiError,
      );
      assert.equal(forbidden.httpCode, 403);
      assert.match(forbidden.status.message ?? "", /kube-test-limited/);
      const forbiddenWatch = await rejection(
        limited.performRequest({
          method: "GET",
          path: base,
          querystring: new URLSearchParams({ watch: "1" }),
          expectStream: true,
          expectJson: true,
        }),
        KubernetesApiError,
      );
      assert.ok(
        forbiddenWatch.isForbidden(),
        "a stream fails before it starts",
      );
    }
  },

  "abort before the request and in the middle of a watch": async (
    { client },
  ) => {
    const done = new AbortController();
    done.abort();
    await assert.rejects(
      () =>
        client.performRequest({
          method: "GET",
          path: "/api",
          abortSignal: done.signal,
        }),
      (e: Error) => e.name === "AbortError",
    );
    const ctl = new AbortController();
    const stream = await client.performRequest({
      method: "GET",
      path: "/api/v1/namespaces",
      querystring: new URLSearchParams({ watch: "1", timeoutSeconds: "60" }),
      expectStream: true,
      expectJson: true,
      abortSignal: ctl.signal,
    });
    const reader = stream.getReader();
    assert.equal(
      ((await reader.read()).value as { type: string }).type,
      "ADDED",
    );
    ctl.abort();
    await assert.rejects(async () => {
      for (;;) if ((await reader.read()).done) break;
    }, (e: Error) => e.name === "AbortError");
  },

  "an abort after a garbage collection still ends a watch read, with the signal's reason":
    async ({ client }) => {
      const ctl = new AbortController();
      // Only the stream is kept, as a Reflector or a for-await loop keeps it.
      const reader = (await client.performRequest({
        method: "GET",
        path: "/api/v1/namespaces",
        querystring: new URLSearchParams({ watch: "1", timeoutSeconds: "60" }),
        expectStream: true,
        expectJson: true,
        abortSignal: ctl.signal,
      })).getReader();
      assert.equal(
        ((await reader.read()).value as { type: string }).type,
        "ADDED",
      );
      await forceGc();
      const reason = new Error("the caller's own reason");
      const drained = (async () => {
        for (;;) if ((await reader.read()).done) return "ended";
      })().catch((e) => e);
      ctl.abort(reason);
      const outcome = await Promise.race([
        drained,
        new Promise((r) =>
          setTimeout(() => r("still reading after 5 s"), 5000)
        ),
      ]);
      assert.equal(outcome, reason);
    },

  "a timeout abort rejects with its TimeoutError, before and during a watch":
    async ({ client, ns }) => {
      const before = await client.performRequest({
        method: "GET",
        path: `/api/v1/namespaces/${ns}/configmaps`,
        querystring: new URLSearchParams({ watch: "1", timeoutSeconds: "60" }),
        expectStream: true,
        abortSignal: AbortSignal.timeout(1),
      }).then(async (s) => {
        for await (const _ of s) { /* until the timeout */ }
      }).then(() => undefined, (e) => e);
      assert.ok(
        before instanceof DOMException && before.name === "TimeoutError",
        `expected a TimeoutError, got ${before}`,
      );
      const list = await client.performRequest({
        method: "GET",
        path: `/api/v1/namespaces/${ns}/configmaps`,
        expectJson: true,
      }) as { metadata: { resourceVersion: string } };
      const stream = await client.performRequest({
        method: "GET",
        path: `/api/v1/namespaces/${ns}/configmaps`,
        querystring: new URLSearchParams({
          watch: "1",
          timeoutSeconds: "60",
          resourceVersion: list.metadata.resourceVersion,
        }),
        expectStream: true,
        expectJson: true,
        abortSignal: AbortSignal.timeout(1500),
      });
      const during = await (async () => {
        for await (const _ of stream) { /* nothing happens in the namespace */ }
      })().then(() => undefined, (e) => e);
      assert.ok(
        during instanceof DOMException && during.name === "TimeoutError",
        `expected a TimeoutError, got ${during}`,
      );
    },

  "failures without an answer are TransportErrors: a body that is not JSON, a path with a line break":
    async ({ client }) => {
      const notJson = await client.performRequest({
        method: "GET",
        path: "/healthz",
        expectJson: true,
      }).then(() => undefined, (e) => e);
      assert.ok(notJson instanceof TransportError, String(notJson));
      assert.equal(notJson.kind, "bad-response");
      assert.ok(!notJson.isRetriable());
      assert.deepEqual(notJson.request, { method: "GET", path: "/healthz" });
      const injected = await client.performRequest({
        method: "GET",
        path: "/api/v1/namespaces\r\nX-Injected: 1",
      }).then(() => undefined, (e) => e);
      assert.ok(injected instanceof TransportError, String(injected));
      assert.equal(injected.kind, "invalid-request");
    },

  "cancelling a watch stream ends the request": async ({ client }) => {
    const stream = await client.performRequest({
      method: "GET",
      path: "/api/v1/namespaces",
      querystring: new URLSearchParams({ watch: "1", timeoutSeconds: "60" }),
      expectStream: true,
    });
    const reader = stream.getReader();
    await reader.read();
    await reader.cancel();
  },
};

for (const [transportName, transport] of Object.entries(transports)) {
  for (const [caseName, run] of Object.entries(cases)) {
    Deno.test(`${transportName}: ${caseName}`, async () => {
      const admin = await KubeConfigRestClient.readKubeConfig(
        cp.kubeconfigs.admin,
      );
      const ns = `parity-${transportName.replace(/[^a-z0-9]+/g, "-")}-${
        crypto.randomUUID().slice(0, 6)
      }`;
      await admin.performRequest({
        method: "POST",
        path: "/api/v1/namespaces",
        bodyJson: {
          apiVersion: "v1",
          kind: "Namespace",
          metadata: { name: ns },
        },
      });
      const client = await transport.open(cp.kubeconfigs.admin);
      const limited = cp.kubeconfigs.limited
        ? await transport.open(cp.kubeconfigs.limited)
        : undefined;
      try {
        await run({
          client,
          ns,
          limited,
          kubectlMinor: transport.kubectlMinor,
        });
      } finally {
        client.close?.();
        limited?.close?.();
        await admin.performRequest({
          method: "DELETE",
          path: `/api/v1/namespaces/${ns}`,
        });
        admin.close();
      }
    });
  }
}
