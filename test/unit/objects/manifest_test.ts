// Manifests without a cluster: multi-document YAML and JSON read into
// objects that remember their document; List kinds unpacked; scalars read
// as kubectl reads them (0644 is 420, yes is true, dates stay strings);
// errors that name the document, line and column and never quote a value;
// alias bombs and long documents refused with typed errors; `<<` merge keys
// and a stream of JSON objects (`jq -c` output) read as kubectl reads them
// (go-yaml v2 merges; apimachinery's YAMLOrJSONDecoder hands a text that
// starts with `{` to encoding/json's Decoder, one value after another); a NUL
// byte reported on its own line; and what serializeManifests writes reads
// back to the same objects, a `<<` key included.

import assert from "node:assert/strict";
import { type KubernetesObject, parseManifests } from "../../../mod.ts";
import {
  ManifestError,
  manifestSource,
  serializeManifests,
} from "../../../lib/objects/mod.ts";
import { applyOrder } from "../../../lib/objects/apply.ts";
import { describeManifestSource } from "../../../lib/objects/manifest.ts";

const secret = "s3cr3t-value-never-quoted";

function manifestErr(fn: () => unknown): ManifestError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ManifestError, `not a ManifestError: ${err}`);
    assert.ok(!err.message.includes(secret), err.message);
    return err;
  }
  assert.fail("expected a ManifestError");
}

Deno.test("a multi-document manifest becomes objects that know their document, line and file", () => {
  const objs = parseManifests(
    [
      "# leading comment",
      "apiVersion: v1",
      "kind: Namespace",
      "metadata: {name: web}",
      "---",
      "---   # an empty document still counts",
      "apiVersion: v1",
      "kind: ConfigMap",
      "metadata:",
      "  name: settings",
      "  namespace: web",
      "data: {mode: fast}",
      "...",
    ].join("\n"),
    { source: "web.yaml" },
  );
  assert.deepEqual(objs.map((o) => o.kind), ["Namespace", "ConfigMap"]);
  assert.deepEqual(manifestSource(objs[0]), {
    source: "web.yaml",
    document: 0,
    line: 1,
  });
  assert.deepEqual(manifestSource(objs[1]), {
    source: "web.yaml",
    document: 2,
    line: 6,
  });
  assert.equal(
    describeManifestSource(objs[1]),
    "web.yaml document[2] (line 6)",
  );
  assert.equal(
    manifestSource({ ...objs[1] }),
    undefined,
    "copies are not tracked",
  );
});

Deno.test("List kinds are unpacked, and typed lists lend their items apiVersion and kind", () => {
  const objs = parseManifests(
    JSON.stringify({
      apiVersion: "v1",
      kind: "List",
      items: [
        { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "a" } },
        { apiVersion: "v1", kind: "Secret", metadata: { name: "b" } },
      ],
    }) + "\n---\n" +
      "apiVersion: v1\nkind: PodList\nitems:\n- metadata: {name: p}\n",
  );
  assert.deepEqual(
    objs.map((o) => `${o.apiVersion}/${o.kind}/${o.metadata?.name}`),
    ["v1/ConfigMap/a", "v1/Secret/b", "v1/Pod/p"],
  );
  assert.deepEqual(manifestSource(objs[1]), { document: 0, item: 1, line: 1 });
  assert.deepEqual(manifestSource(objs[2]), { document: 1, item: 0, line: 2 });
});

Deno.test("a JSON manifest is read as JSON, tabs and all", () => {
  const objs = parseManifests(
    '{\n\t"apiVersion": "v1",\n\t"kind": "ConfigMap",\n\t"metadata": {"name": "j"}\n}',
  );
  assert.equal(objs[0].metadata?.name, "j");
});

Deno.test("scalars are read as kubectl reads them: YAML 1.1 octals and booleans, dates as strings", () => {
  const [cm] = parseManifests(
    "apiVersion: v1\nkind: X\nmetadata: {name: x}\nspec:\n  mode: 0644\n  hex: 0x1F\n  big: 1_000\n  enabled: yes\n  disabled: Off\n  quoted: '0644'\n  when: 2024-01-02\n  nothing: ~\n",
  );
  assert.deepEqual(cm.spec, {
    mode: 420,
    hex: 31,
    big: 1000,
    enabled: true,
    disabled: false,
    quoted: "0644",
    when: "2024-01-02",
    nothing: null,
  });
});

Deno.test("a YAML syntax error names the file, the document index, the line and the column, and quotes nothing", () => {
  const err = manifestErr(() =>
    parseManifests(
      `apiVersion: v1\nkind: A\nmetadata: {name: a}\n---\napiVersion: v1\nkind: Secret\ndata:\n  key: "${secret}\n  other: [\n`,
      { source: "app.yaml" },
    )
  );
  assert.equal(err.source, "app.yaml");
  assert.equal(err.document, 1);
  assert.ok(err.line !== undefined && err.line >= 8, `line ${err.line}`);
  assert.match(
    err.message,
    /^manifest app\.yaml: document\[1\] at line \d+, column \d+: YAML syntax error: /,
  );
});

Deno.test("an unknown alias is reported without its name", () => {
  const err = manifestErr(() =>
    parseManifests(`apiVersion: v1\nkind: A\nmetadata: {name: *${secret}}\n`)
  );
  assert.equal(err.line, 3);
  assert.match(err.message, /unidentified alias \(name omitted\)/);
});

Deno.test("documents that are not objects, or lack apiVersion or kind, are refused naming the document", () => {
  assert.match(
    manifestErr(() =>
      parseManifests("apiVersion: v1\nkind: A\n---\n- a\n- b\n")
    )
      .message,
    /^manifest: document\[1\] at line 3: expected an object with apiVersion and kind, found an array$/,
  );
  assert.match(
    manifestErr(() => parseManifests("kind: ConfigMap\n")).message,
    /document\[0\] at line 1: apiVersion is missing$/,
  );
  assert.match(
    manifestErr(() => parseManifests("apiVersion: v1\nkind: 3\n")).message,
    /kind: expected a non-empty string, found a number$/,
  );
  assert.match(
    manifestErr(() =>
      parseManifests(
        `apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: A}\n- "${secret}"\n`,
      )
    ).message,
    /document\[0\]\.items\[1\] at line 1: expected an object with apiVersion and kind, found a string$/,
  );
  assert.match(
    manifestErr(() =>
      parseManifests("apiVersion: v1\nkind: A\nmetadata: {name: [1]}\n")
    )
      .message,
    /metadata\.name: expected a string, found an array$/,
  );
});

Deno.test("an alias bomb is refused before it expands: by alias count, with the alias's line and column", () => {
  const lines = ["apiVersion: v1", "kind: ConfigMap", "a: &a [x]", "b: ["];
  for (let i = 0; i < 1001; i++) lines.push("  *a,");
  lines.push("]");
  const err = manifestErr(() => parseManifests(lines.join("\n")));
  assert.equal(err.document, 0);
  assert.equal(err.line, 1005);
  assert.equal(err.column, 3);
  assert.match(err.message, /more than 1000 aliases in one document/);
  // The bound is adjustable.
  assert.equal(
    parseManifests(lines.join("\n"), { maxAliases: 2000 }).length,
    1,
  );
});

Deno.test("an alias bomb is refused before it expands: by expanded size, in milliseconds", () => {
  const levels = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"];
  for (let i = 1; i < 9; i++) {
    const prev = String.fromCharCode(96 + i);
    const cur = String.fromCharCode(97 + i);
    levels.push(`${cur}: &${cur} [${Array(9).fill(`*${prev}`).join(", ")}]`);
  }
  const text =
    `apiVersion: v1\nkind: ConfigMap\n---\napiVersion: v1\nkind: ConfigMap\n${
      levels.join("\n")
    }\n`;
  const started = performance.now();
  const err = manifestErr(() => parseManifests(text));
  assert.ok(performance.now() - started < 2000);
  assert.equal(err.document, 1);
  assert.equal(err.line, 3);
  assert.match(
    err.message,
    /expands to more than 33554432 characters once aliases are expanded/,
  );
});

Deno.test("a document over the size bound is refused naming it; recursion is refused", () => {
  const big = `apiVersion: v1\nkind: ConfigMap\ndata: {a: "${
    "x".repeat(200)
  }"}\n`;
  const err = manifestErr(() =>
    parseManifests(`apiVersion: v1\nkind: A\n---\n${big}`, {
      maxDocumentChars: 100,
    })
  );
  assert.equal(err.document, 1);
  assert.match(
    err.message,
    /the document is \d+ characters long, more than the 100 allowed/,
  );
  assert.match(
    manifestErr(() =>
      parseManifests("apiVersion: v1\nkind: A\nspec: &s\n  self: *s\n")
    )
      .message,
    /a recursive alias/,
  );
});

Deno.test("<< merge keys are read as kubectl reads them: the named mappings merged, earlier ones and the key's own entries winning", () => {
  const [obj] = parseManifests(
    "apiVersion: v1\nkind: A\nbase: &b {x: 1, q: 2}\nmore: &m {q: 3, z: 4}\n" +
      "spec:\n  <<: [*b, *m]\n  x: 9\n  '<<': quoted is a plain key\n",
  );
  assert.deepEqual(obj.spec, {
    x: 9,
    q: 2,
    z: 4,
    "<<": "quoted is a plain key",
  });
  // Only a mapping can be merged, as in go-yaml.
  const err = manifestErr(() =>
    parseManifests(`apiVersion: v1\nkind: A\nspec:\n  <<: ${secret}\n`)
  );
  assert.equal(err.line, 4);
});

Deno.test("newline- or space-separated JSON objects (jq -c output) are separate documents, as kubectl apply -f reads them", () => {
  const cm = (name: string) =>
    JSON.stringify({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name },
      data: { tricky: '}{"\\' },
    });
  const objs = parseManifests(`${cm("a")}\n${cm("b")}\n`, {
    source: "jq.json",
  });
  assert.deepEqual(objs.map((o) => o.metadata?.name), ["a", "b"]);
  assert.deepEqual(objs[1].data, { tricky: '}{"\\' });
  assert.deepEqual(
    objs.map((o) => [manifestSource(o)?.document, manifestSource(o)?.line]),
    [[0, 1], [1, 2]],
  );
  const pretty = JSON.stringify(JSON.parse(cm("c")), null, 2);
  const spaced = parseManifests(
    `  ${cm("a")} ${cm("b")}${cm("x")}\n\n${pretty}`,
  );
  assert.deepEqual(spaced.map((o) => o.metadata?.name), ["a", "b", "x", "c"]);
  assert.equal(manifestSource(spaced[3])?.line, 3);
  // A JSON List in the stream is unpacked like any other.
  const list = JSON.stringify({
    apiVersion: "v1",
    kind: "List",
    items: [JSON.parse(cm("i"))],
  });
  assert.deepEqual(
    parseManifests(`${cm("a")}\n${list}`).map((o) => o.metadata?.name),
    ["a", "i"],
  );
  // Bounds hold per object: the one too long is named.
  const long = parseManifests(`${cm("a")}\n${cm("b")}`, {
    maxDocumentChars: cm("a").length,
  });
  assert.equal(long.length, 2);
  const over = manifestErr(() =>
    parseManifests(`${cm("a")}\n${cm("a".repeat(40))}`, {
      maxDocumentChars: cm("a").length,
    })
  );
  assert.equal(over.document, 1);
  assert.equal(over.line, 2);
  // Malformed JSON is still refused, typed and quoting nothing.
  const bad = manifestErr(() =>
    parseManifests(`${cm("a")}\n{"data": ${secret}}`)
  );
  assert.ok(bad.line !== undefined);
});

Deno.test("a NUL byte is reported at its own line and column, wherever it is", () => {
  const doc = (extra: string) =>
    `apiVersion: v1\nkind: ConfigMap\ndata:\n  a: ${extra}\n`;
  const cases: [string, number, number, number][] = [
    // text, document, line, column
    [`${doc("x\0")}`, 0, 4, 7],
    [`\0${doc("x")}`, 0, 1, 1],
    [`${doc("x")}---\n${doc("x")}---\n${doc("x")}  b: y\0z\n`, 2, 15, 7],
    [`${doc("x")}---\n${doc("x")}# ${secret}\0\n`, 1, 10, 28],
  ];
  for (const [text, document, line, column] of cases) {
    const err = manifestErr(() => parseManifests(text));
    assert.match(err.message, /null byte/);
    assert.deepEqual([err.document, err.line, err.column], [
      document,
      line,
      column,
    ], JSON.stringify(text));
  }
});

Deno.test("serializeManifests writes YAML and JSON that read back to the same objects, with YAML 1.1 lookalikes quoted", () => {
  const objs: KubernetesObject[] = [
    {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "a", labels: { on: "yes" } },
      data: { mode: "0644", flag: "y", text: "two\nlines", n: "12" },
    },
    {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "keys" },
      data: {
        "<<": "not a merge",
        on: "1",
        "0x1F": "y",
        "~": "null",
        "1e3": "",
        // go-yaml reads these as numbers; the core schema does not.
        "-.5": "0X1F",
        "1_": "+.5e3",
      },
    },
    { apiVersion: "v1", kind: "Namespace", metadata: { name: "b" } },
  ];
  const yaml = serializeManifests(objs);
  assert.match(yaml, /\n---\n/);
  assert.match(yaml, /"yes"/);
  assert.match(yaml, /"0644"/);
  assert.match(yaml, /"<<": not a merge/);
  assert.match(yaml, /"-\.5": "0X1F"/);
  assert.match(yaml, /"1_": "\+\.5e3"/);
  assert.deepEqual(parseManifests(yaml), objs);
  assert.deepEqual(
    parseManifests(serializeManifests(objs, { format: "json" })),
    objs,
  );
});

Deno.test("applyOrder puts Namespaces, then CRDs, then Helm's install order, then custom resources", () => {
  const o = (apiVersion: string, kind: string): KubernetesObject => ({
    apiVersion,
    kind,
    metadata: { name: kind.toLowerCase() },
  });
  const sorted = applyOrder([
    o("example.com/v1", "Widget"),
    o("apps/v1", "Deployment"),
    o("v1", "Service"),
    o("apiextensions.k8s.io/v1", "CustomResourceDefinition"),
    o("v1", "ConfigMap"),
    o("v1", "Namespace"),
  ]);
  assert.deepEqual(sorted.map((x) => x.kind), [
    "Namespace",
    "CustomResourceDefinition",
    "ConfigMap",
    "Service",
    "Deployment",
    "Widget",
  ]);
});
