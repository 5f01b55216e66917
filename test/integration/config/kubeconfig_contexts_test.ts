// Kubeconfig contexts as kubectl edits them, on files in a temp directory:
// listing merges `$KUBECONFIG` first-wins and names the file behind each
// context; useContext writes `current-context` into the first listed file
// that exists; setContextNamespace writes into the file that defines the
// context, keeping unknown fields, relative paths, quoted look-alike
// scalars, the file's mode and a symlink; no temp file is left and
// kubectl's lock is respected and released (test/unit/config/kubeconfig_write_test.ts
// holds the rest of the write, beside kubectl); bad input fails typed and
// writes nothing. Last, a namespace set this way is the one a client built
// from the file uses against the real apiserver.

import assert from "node:assert/strict";
import {
  KubeConfig,
  KubeConfigError,
  KubeConfigRestClient,
} from "../../../mod.ts";
import {
  currentContext,
  listContexts,
  setContextNamespace,
  useContext,
} from "../../../lib/config/mod.ts";
import { parseYamlDocument } from "../../../lib/_internal/yaml.ts";
import { controlPlane } from "../../harness.ts";
import { withTempDir } from "../../_helpers.ts";

const first = `# my clusters
apiVersion: v1
kind: Config
current-context: dev
x-tool-settings: {theme: dark, retries: 3}
clusters:
- name: dev
  cluster: {server: "https://dev.example:6443", certificate-authority: certs/ca.crt}
contexts:
- name: dev
  context: {cluster: dev, user: me, namespace: "on", extensions: [{name: x, extension: {a: 1}}]}
- name: shared
  context: {cluster: dev, user: me}
users:
- name: me
  user:
    exec: {apiVersion: client.authentication.k8s.io/v1, command: ./get-token, args: ["--x"], interactiveMode: Never}
`;

const second = `apiVersion: v1
kind: Config
current-context: prod
contexts:
- name: prod
  context: {cluster: prod, user: ops, namespace: payments}
- name: shared
  context: {cluster: other, user: other}
`;

async function setUp(dir: string): Promise<[string, string]> {
  const a = `${dir}/a.yaml`;
  const b = `${dir}/b.yaml`;
  await Deno.writeTextFile(a, first, { mode: 0o600 });
  await Deno.writeTextFile(b, second, { mode: 0o640 });
  await Deno.chmod(a, 0o600);
  await Deno.chmod(b, 0o640);
  return [a, b];
}

async function read(path: string): Promise<Record<string, unknown>> {
  return parseYamlDocument(await Deno.readTextFile(path)) as Record<
    string,
    unknown
  >;
}

Deno.test("listContexts merges the files first-wins and names the file behind each context", async () => {
  await withTempDir(async (dir) => {
    const [a, b] = await setUp(dir);
    const missing = `${dir}/missing.yaml`;
    assert.deepEqual(await listContexts({ paths: [missing, a, b] }), [
      {
        name: "dev",
        cluster: "dev",
        user: "me",
        namespace: "on",
        file: a,
        current: true,
      },
      { name: "shared", cluster: "dev", user: "me", file: a, current: false },
      {
        name: "prod",
        cluster: "prod",
        user: "ops",
        namespace: "payments",
        file: b,
        current: false,
      },
    ]);
    assert.equal((await currentContext({ paths: [b, a] }))?.name, "prod");
    assert.equal((await currentContext({ paths: [b, a] }))?.file, b);
    assert.equal(await currentContext({ paths: [missing] }), undefined);
  });
});

Deno.test("the files default to the $KUBECONFIG list, as kubectl reads it", async () => {
  await withTempDir(async (dir) => {
    const [a, b] = await setUp(dir);
    const saved = Deno.env.get("KUBECONFIG");
    Deno.env.set("KUBECONFIG", `${b}::${a}:${b}`);
    try {
      assert.deepEqual((await listContexts()).map((c) => [c.name, c.file]), [
        ["prod", b],
        ["shared", b],
        ["dev", a],
      ]);
      assert.equal((await currentContext())?.name, "prod");
    } finally {
      if (saved === undefined) Deno.env.delete("KUBECONFIG");
      else Deno.env.set("KUBECONFIG", saved);
    }
  });
});

Deno.test("useContext writes current-context into the first listed file that exists, and the loader follows it", async () => {
  await withTempDir(async (dir) => {
    const [a, b] = await setUp(dir);
    const before = await Deno.readTextFile(b);
    const paths = [`${dir}/missing.yaml`, a, b];
    assert.equal(await useContext("prod", { paths }), a);
    assert.equal((await read(a))["current-context"], "prod");
    assert.equal(await Deno.readTextFile(b), before, "b is untouched");
    assert.equal((await currentContext({ paths }))?.name, "prod");
    // KubeConfig (the loader clients use) agrees.
    const config = await KubeConfig.readFromPath(a);
    assert.equal(config.data["current-context"], "prod");

    const err = await useContext("nope", { paths }).then(
      () => undefined,
      (e) => e,
    );
    assert.ok(err instanceof KubeConfigError, String(err));
    assert.match(err.message, /context "nope" is not defined/);
    assert.ok(err.message.includes(a) && err.message.includes(b));
  });
});

Deno.test("setContextNamespace writes into the defining file, keeping unknown fields, relative paths, quoted scalars, the mode, and no temp file", async () => {
  await withTempDir(async (dir) => {
    const [a, b] = await setUp(dir);
    const paths = [a, b];
    assert.equal(await setContextNamespace("prod", "billing", { paths }), b);
    assert.equal(await setContextNamespace("dev", "web", { paths }), a);
    assert.equal(await setContextNamespace("shared", "x", { paths }), a);

    const docA = await read(a);
    assert.deepEqual(docA["x-tool-settings"], { theme: "dark", retries: 3 });
    assert.deepEqual(docA.clusters, [{
      name: "dev",
      cluster: {
        server: "https://dev.example:6443",
        "certificate-authority": "certs/ca.crt",
      },
    }]);
    assert.deepEqual(docA.contexts, [
      {
        name: "dev",
        context: {
          cluster: "dev",
          user: "me",
          namespace: "web",
          extensions: [{ name: "x", extension: { a: 1 } }],
        },
      },
      {
        name: "shared",
        context: { cluster: "dev", user: "me", namespace: "x" },
      },
    ]);
    assert.deepEqual(docA.users, [{
      name: "me",
      user: {
        exec: {
          apiVersion: "client.authentication.k8s.io/v1",
          command: "./get-token",
          args: ["--x"],
          interactiveMode: "Never",
        },
      },
    }]);
    const docB = await read(b);
    assert.deepEqual(docB.contexts, [
      {
        name: "prod",
        context: { cluster: "prod", user: "ops", namespace: "billing" },
      },
      { name: "shared", context: { cluster: "other", user: "other" } },
    ]);
    assert.equal((await Deno.stat(a)).mode! & 0o777, 0o600);
    assert.equal((await Deno.stat(b)).mode! & 0o777, 0o640);
    assert.ok(
      !(await Deno.readTextFile(a)).includes("# my clusters"),
      "comments are lost, as documented",
    );
    assert.deepEqual(
      [...Deno.readDirSync(dir)].map((e) => e.name).sort(),
      ["a.yaml", "b.yaml"],
      "no temp or lock file left",
    );

    // A quoted look-alike stays a string for kubectl's YAML 1.1 reader.
    await setContextNamespace("prod", undefined, { paths: [b] });
    await Deno.writeTextFile(
      b,
      (await Deno.readTextFile(b)).replace("cluster: other", 'cluster: "yes"'),
    );
    await setContextNamespace("prod", "on", { paths: [b] });
    const again = await read(b);
    assert.deepEqual(again.contexts, [
      {
        name: "prod",
        context: { cluster: "prod", user: "ops", namespace: "on" },
      },
      { name: "shared", context: { cluster: "yes", user: "other" } },
    ]);
  });
});

Deno.test("a symlinked kubeconfig: its target is rewritten and the link stays", async () => {
  await withTempDir(async (dir) => {
    const [a] = await setUp(dir);
    const link = `${dir}/link.yaml`;
    await Deno.symlink(a, link);
    assert.equal(
      await setContextNamespace("dev", "linked", { paths: [link] }),
      link,
    );
    assert.ok((await Deno.lstat(link)).isSymlink);
    assert.equal(
      ((await read(a)).contexts as { context: { namespace: string } }[])[0]
        .context.namespace,
      "linked",
    );
  });
});

Deno.test("bad input fails typed and writes nothing: a held lock, a bad namespace, an unknown context, broken YAML, malformed contexts", async () => {
  await withTempDir(async (dir) => {
    const [a] = await setUp(dir);
    const paths = [a];
    await Deno.writeTextFile(`${a}.lock`, "");
    const locked = await setContextNamespace("dev", "x", { paths }).then(
      () => undefined,
      (e) => e,
    );
    assert.ok(locked instanceof KubeConfigError, String(locked));
    assert.match(
      locked.message,
      /is being changed by another program \(.*a\.yaml\.lock exists/,
    );
    assert.ok(
      await Deno.stat(`${a}.lock`),
      "someone else's lock is left alone",
    );
    await Deno.remove(`${a}.lock`);
    assert.equal(await Deno.readTextFile(a), first);

    await assert.rejects(
      setContextNamespace("dev", "Not_A_Label", { paths }),
      (e) => e instanceof RangeError && /DNS label/.test(e.message),
    );
    await assert.rejects(
      setContextNamespace("nope", "x", { paths }),
      (e) =>
        e instanceof KubeConfigError &&
        /context "nope" is not defined/.test(e.message),
    );
    assert.equal(await Deno.readTextFile(a), first);

    const broken = `${dir}/broken.yaml`;
    await Deno.writeTextFile(broken, "contexts: [\n  password: hunter2 {");
    const bad = await listContexts({ paths: [broken] }).then(
      () => undefined,
      (e) => e,
    );
    assert.ok(bad instanceof KubeConfigError, String(bad));
    assert.equal(bad.file, broken);
    assert.ok(!bad.message.includes("hunter2"), bad.message);

    await Deno.writeTextFile(broken, "contexts: {dev: {}}\n");
    await assert.rejects(
      listContexts({ paths: [broken] }),
      (e) => e instanceof KubeConfigError && e.field === "contexts",
    );
    await Deno.writeTextFile(broken, "contexts: [{context: {}}]\n");
    await assert.rejects(
      listContexts({ paths: [broken] }),
      (e) => e instanceof KubeConfigError && e.field === "contexts[0].name",
    );
  });
});

Deno.test("a namespace set with setContextNamespace is the one a client built from the file uses on the real apiserver", async () => {
  const cp = await controlPlane();
  await withTempDir(async (dir) => {
    const file = `${dir}/config`;
    await Deno.copyFile(cp.kubeconfigs.admin, file);
    const [ctx] = await listContexts({ paths: [file] });
    await setContextNamespace(ctx.name, cp.limitedNamespace, { paths: [file] });
    using client = await KubeConfigRestClient.readKubeConfig(file);
    assert.equal(client.defaultNamespace, cp.limitedNamespace);
    const ns = await client.performRequest({
      method: "GET",
      path: `/api/v1/namespaces/${client.defaultNamespace}`,
      expectJson: true,
    }) as { metadata: { name: string } };
    assert.equal(ns.metadata.name, cp.limitedNamespace);
  });
});
