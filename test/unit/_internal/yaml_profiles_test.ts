// The one YAML module (lib/_internal/yaml.ts) and its two reading profiles:
// "manifest" (kubectl's scalars over a stream of documents, bounded per
// document) and "kubeconfig" (one document of YAML 1.2 core scalars with
// merge keys, the kubeconfig caps, the field path of a syntax error). Both
// scrub errors the same way (lib/_internal/yaml_reasons.ts): a name or
// value the parser would quote never reaches a message.

import assert from "node:assert/strict";
import {
  MAX_KUBECONFIG_VALUES,
  parseYamlDocument,
  parseYamlDocuments,
  YamlError,
} from "../../../lib/_internal/yaml.ts";

const SECRET = "s3cr3t-v4lue-XYZ";

function yamlErr(f: () => unknown): YamlError {
  try {
    f();
  } catch (err) {
    assert.ok(err instanceof YamlError, `not a YamlError: ${err}`);
    return err;
  }
  assert.fail("no error");
}

Deno.test("the manifest profile reads YAML 1.1 booleans and octals; the kubeconfig profile reads YAML 1.2 core scalars", () => {
  const text = "a: yes\nb: 0644\nc: on\n";
  assert.deepEqual(parseYamlDocument(text), { a: true, b: 420, c: true });
  assert.deepEqual(parseYamlDocument(text, { profile: "kubeconfig" }), {
    a: "yes",
    b: 644,
    c: "on",
  });
});

Deno.test("both profiles merge a plain << key", () => {
  const text = "base: &b {one: 1}\nctx:\n  <<: *b\n  two: 2\n";
  for (const profile of ["manifest", "kubeconfig"] as const) {
    assert.deepEqual(
      (parseYamlDocument(text, { profile }) as Record<string, unknown>).ctx,
      { one: 1, two: 2 },
      profile,
    );
  }
});

Deno.test("exact integers are kept as bigint only when asked", () => {
  const text = "big: 123456789012345678901\n";
  assert.equal(
    (parseYamlDocument(text, { exactIntegers: true }) as { big: unknown }).big,
    123456789012345678901n,
  );
  assert.equal(
    typeof (parseYamlDocument(text) as { big: unknown }).big,
    "number",
  );
});

Deno.test("a kubeconfig syntax error carries line, column and field path, scrubbed the same way as a manifest's", () => {
  const text = `users:\n- name: u\n  user:\n    password: *${SECRET}\n`;
  const kc = yamlErr(() => parseYamlDocument(text, { profile: "kubeconfig" }));
  assert.equal(kc.line, 4);
  assert.equal(kc.field, "users[0].user.password");
  assert.equal(kc.syntax, "unidentified alias (name omitted)");
  const mf = yamlErr(() => parseYamlDocuments(text));
  assert.equal(mf.line, 4);
  assert.equal(mf.syntax, undefined);
  assert.equal(
    mf.reason,
    "YAML syntax error: unidentified alias (name omitted)",
  );
  for (const err of [kc, mf]) assert.ok(!err.message.includes(SECRET));
});

Deno.test("a reason js-yaml would quote a tag with is rewritten in both profiles", () => {
  const text = `a: !<tag:${SECRET}> x\n`;
  for (const profile of ["manifest", "kubeconfig"] as const) {
    const err = yamlErr(() => parseYamlDocument(text, { profile }));
    assert.ok(!err.message.includes(SECRET), `${profile}: ${err.message}`);
    assert.match(
      err.message,
      /YAML syntax error: unknown tag \(name omitted\)/,
    );
  }
});

Deno.test("the kubeconfig profile's bounds: one document, and a cap on values once aliases are expanded", () => {
  const two = yamlErr(() =>
    parseYamlDocument("a: 1\n---\nb: 2\n", { profile: "kubeconfig" })
  );
  assert.equal(
    two.syntax,
    "expected a single document in the stream, but found more",
  );
  const lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
  let prev = "a";
  for (let i = 0; i < 7; i++) {
    const name = `l${i}`;
    lines.push(
      `${name}: &${name} [*${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}]`,
    );
    prev = name;
  }
  const bomb = yamlErr(() =>
    parseYamlDocument(lines.join("\n") + "\n", { profile: "kubeconfig" })
  );
  assert.equal(bomb.syntax, undefined);
  assert.equal(
    bomb.reason,
    `expands to more than ${MAX_KUBECONFIG_VALUES} values (YAML aliases used as a "billion laughs" bomb?)`,
  );
});

Deno.test("the manifest profile names the document and bounds its length", () => {
  const err = yamlErr(() =>
    parseYamlDocuments("a: 1\n---\nb: [\n", { maxDocumentChars: 100 })
  );
  assert.equal(err.document, 1);
  const long = yamlErr(() =>
    parseYamlDocuments(`a: "${"x".repeat(200)}"\n`, { maxDocumentChars: 100 })
  );
  assert.match(long.reason, /more than the 100 allowed/);
});
