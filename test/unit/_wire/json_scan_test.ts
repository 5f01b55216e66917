// The byte-level scanner of the compact store (lib/_wire/json_scan.ts),
// checked against JSON.parse of the decoded text, its reference: on every
// object of the bench's corpus (test/_pods.ts), on hand-written hostile
// lines, and on a few thousand generated ones (seeded, so a failure
// reproduces: the message names the seed and case). For each line either
// both refuse it — the scanner with the typed error of the full path, never
// quoting the line — or neither does, and then every field the scanner
// gives equals what JSON.parse gives (or it says `irregular`), each span
// parses to the object JSON.parse found there, and cutting the
// managedFields ranges leaves exactly the object without
// metadata.managedFields, key order kept.
// Needs no cluster: bytes in memory.

import assert from "node:assert/strict";
import {
  type ObjectSpan,
  scanList,
  scanWatchLine,
} from "../../../lib/_wire/json_scan.ts";
import { StreamDecodeError, TransportError } from "../../../mod.ts";
import { fakePod } from "../../_pods.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

type Json = unknown;
type Outcome = { ok: true; value: Json } | { ok: false };

function reference(bytes: Uint8Array): Outcome {
  try {
    return { ok: true, value: JSON.parse(dec.decode(bytes)) };
  } catch {
    return { ok: false };
  }
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** The object bytes with the managedFields ranges cut out. */
function cut(bytes: Uint8Array, span: ObjectSpan): Uint8Array {
  const parts: number[] = [];
  let at = span.start;
  let prev = span.start;
  for (const [from, to] of span.managedFields) {
    assert.ok(
      from >= prev && from < to && to <= span.end,
      `ranges sorted, non-overlapping, inside the object: ${
        JSON.stringify(span.managedFields)
      } in [${span.start}, ${span.end})`,
    );
    for (let i = at; i < from; i++) parts.push(bytes[i]);
    at = prev = to;
  }
  for (let i = at; i < span.end; i++) parts.push(bytes[i]);
  return new Uint8Array(parts);
}

/** What the scanner must give for the object `expected` JSON.parse found at `span`. */
function checkSpan(
  bytes: Uint8Array,
  span: ObjectSpan,
  expected: Record<string, unknown>,
  wantLabels: boolean,
  where: string,
): void {
  const own = reference(bytes.subarray(span.start, span.end));
  assert.ok(own.ok, `${where}: the span is the object`);
  assert.deepStrictEqual(
    own.value,
    expected,
    `${where}: the span is the object`,
  );
  assert.strictEqual(
    span.typeMeta,
    Object.hasOwn(expected, "apiVersion") || Object.hasOwn(expected, "kind"),
    `${where}: typeMeta`,
  );
  if (span.irregular) {
    // Allowed only when the shape is not the regular one.
    const m = expected.metadata;
    const regular = m === undefined ||
      (isObject(m) &&
        ["name", "namespace", "uid", "resourceVersion"].every((k) =>
          m[k] === undefined || typeof m[k] === "string"
        ) &&
        (!wantLabels || m.labels === undefined || m.labels === null ||
          (isObject(m.labels) &&
            Object.values(m.labels).every((v) => typeof v === "string"))));
    assert.ok(!regular, `${where}: irregular, but the shape is regular`);
    return;
  }
  const m = expected.metadata as Record<string, unknown> | undefined;
  assert.ok(m === undefined || isObject(m), `${where}: metadata`);
  for (const k of ["name", "namespace", "uid", "resourceVersion"] as const) {
    assert.strictEqual(span[k], m?.[k], `${where}: metadata.${k}`);
  }
  if (wantLabels) {
    assert.deepStrictEqual(span.labels, m?.labels, `${where}: labels`);
    if (isObject(span.labels)) {
      assert.strictEqual(Object.getPrototypeOf(span.labels), Object.prototype);
      assert.deepStrictEqual(
        Object.keys(span.labels),
        Object.keys(m!.labels as object),
        `${where}: labels in JSON.parse's order`,
      );
    }
  } else assert.strictEqual(span.labels, undefined, `${where}: labels`);
  const without = reference(cut(bytes, span));
  assert.ok(without.ok, `${where}: the object without managedFields parses`);
  const want = structuredClone(expected);
  if (m !== undefined) {
    delete (want.metadata as Record<string, unknown>).managedFields;
  }
  // structuredClone drops a "__proto__" own property's special case: compare
  // against the parse, and the key order through stringify.
  const fresh = JSON.parse(dec.decode(bytes.subarray(span.start, span.end)));
  if (isObject(fresh.metadata)) delete fresh.metadata.managedFields;
  assert.deepStrictEqual(without.value, fresh, `${where}: cut managedFields`);
  assert.strictEqual(
    JSON.stringify(without.value),
    JSON.stringify(fresh),
    `${where}: cut managedFields keeps the key order`,
  );
  assert.strictEqual(JSON.stringify(fresh), JSON.stringify(want));
}

/** Checks scanWatchLine on `bytes` against JSON.parse; `where` names the case. */
function checkLine(bytes: Uint8Array, wantLabels: boolean, where: string) {
  const ref = reference(bytes);
  let got;
  try {
    got = scanWatchLine(bytes, 42, wantLabels);
  } catch (err) {
    assert.ok(
      !ref.ok,
      `${where}: the scanner threw (${err}), JSON.parse did not`,
    );
    assert.ok(err instanceof StreamDecodeError, `${where}: ${err}`);
    assert.strictEqual(err.reason, "MalformedJson");
    assert.strictEqual(err.line, 42);
    return;
  }
  assert.ok(ref.ok, `${where}: JSON.parse threw, the scanner did not`);
  const v = ref.value;
  if (!isObject(v)) {
    assert.deepStrictEqual(got, { type: undefined, object: undefined }, where);
    return;
  }
  assert.strictEqual(
    got.type,
    typeof v.type === "string" ? v.type : undefined,
    `${where}: type`,
  );
  if (!isObject(v.object)) {
    assert.strictEqual(got.object, undefined, `${where}: object`);
    return;
  }
  assert.ok(got.object, `${where}: an object member gives a span`);
  checkSpan(bytes, got.object, v.object, wantLabels, where);
}

/** Checks scanList on `bytes` against JSON.parse. */
function checkList(bytes: Uint8Array, wantLabels: boolean, where: string) {
  const ref = reference(bytes);
  let got;
  try {
    got = scanList(bytes, wantLabels);
  } catch (err) {
    assert.ok(
      !ref.ok,
      `${where}: the scanner threw (${err}), JSON.parse did not`,
    );
    assert.ok(err instanceof TransportError, `${where}: ${err}`);
    assert.strictEqual(err.reason, "bad-response");
    return;
  }
  assert.ok(ref.ok, `${where}: JSON.parse threw, the scanner did not`);
  const v = ref.value;
  if (!isObject(v)) {
    assert.deepStrictEqual(got, {
      metadata: undefined,
      apiVersion: undefined,
      kind: undefined,
      items: undefined,
    });
    return;
  }
  assert.deepStrictEqual(
    got.metadata,
    isObject(v.metadata) ? v.metadata : undefined,
    `${where}: metadata`,
  );
  assert.deepStrictEqual(got.apiVersion, v.apiVersion, `${where}: apiVersion`);
  assert.deepStrictEqual(got.kind, v.kind, `${where}: kind`);
  const items = v.items;
  if (!Array.isArray(items) || !items.every(isObject)) {
    assert.strictEqual(got.items, undefined, `${where}: items`);
    return;
  }
  assert.ok(got.items, `${where}: items`);
  assert.strictEqual(got.items.length, items.length, `${where}: items`);
  got.items.forEach((span, k) =>
    checkSpan(bytes, span, items[k], wantLabels, `${where} item ${k}`)
  );
}

const event = (type: string, object: unknown) =>
  enc.encode(JSON.stringify({ type, object }));

Deno.test("every object of the bench corpus scans to what JSON.parse gives, managedFields cut to the byte", () => {
  for (let i = 0; i < 3000; i++) {
    const line = event(i % 5 ? "MODIFIED" : "ADDED", fakePod(i, 1000 + i));
    const got = scanWatchLine(line, i + 1, true);
    assert.strictEqual(got.object?.irregular, false, `pod ${i} is regular`);
    assert.strictEqual(got.object?.managedFields.length, 1);
    checkLine(line, true, `pod ${i}`);
    if (i % 10 === 0) checkLine(line, false, `pod ${i}, no labels`);
  }
});

Deno.test("a list of the corpus scans to one span per item and the list's metadata", () => {
  const items = Array.from({ length: 500 }, (_, i) => fakePod(i, 7000 + i));
  const body = enc.encode(JSON.stringify({
    kind: "PodList",
    apiVersion: "v1",
    metadata: {
      resourceVersion: "7500",
      continue: "abc",
      remainingItemCount: 9,
    },
    items,
  }));
  const got = scanList(body, false);
  assert.deepStrictEqual(got.metadata, {
    resourceVersion: "7500",
    continue: "abc",
    remainingItemCount: 9,
  });
  assert.strictEqual(got.items?.length, 500);
  assert.strictEqual(
    got.items[499].name,
    (items[499].metadata as { name: string }).name,
  );
  checkList(body, true, "PodList");
});

/** Hostile lines written out, each with what it probes. */
const HOSTILE: Array<[string, string | Uint8Array]> = [
  [
    "escapes in the name",
    String
      .raw`{"type":"ADDED","object":{"metadata":{"name":"a\"b\\c\/d\u0000e\n\t","namespace":"\ud83d\ude00","uid":"\ud800","resourceVersion":"\udc00x"}}}`,
  ],
  [
    "escaped keys",
    String
      .raw`{"t\u0079pe":"ADDED","\u006fbject":{"m\u0065tadata":{"n\u0061me":"a","managed\u0046ields":[1],"labels":{"\u0061":"\u0062"}}}}`,
  ],
  [
    "__proto__ as a label key",
    `{"type":"ADDED","object":{"metadata":{"labels":{"__proto__":"x","a":"1","__proto__":"y"}}}}`,
  ],
  [
    "__proto__ escaped",
    String
      .raw`{"type":"ADDED","object":{"metadata":{"labels":{"__pro\u0074o__":"x"}}}}`,
  ],
  ["duplicate type", `{"type":"ADDED","object":{},"type":"DELETED"}`],
  [
    "duplicate type, the last not a string",
    `{"type":"ADDED","object":{},"type":3}`,
  ],
  [
    "duplicate object",
    `{"object":{"metadata":{"name":"a"}},"type":"ADDED","object":{"metadata":{"name":"b"}}}`,
  ],
  [
    "duplicate object, the last not an object",
    `{"object":{"metadata":{"name":"a"}},"type":"ADDED","object":null}`,
  ],
  [
    "duplicate metadata",
    `{"type":"ADDED","object":{"metadata":{"name":"a","uid":"u","managedFields":[]},"x":1,"metadata":{"name":"b","managedFields":[2]}}}`,
  ],
  [
    "duplicate metadata, the first irregular",
    `{"type":"ADDED","object":{"metadata":null,"metadata":{"name":"b"}}}`,
  ],
  [
    "duplicate metadata, the last irregular",
    `{"type":"ADDED","object":{"metadata":{"name":"b"},"metadata":7}}`,
  ],
  [
    "duplicate name",
    `{"type":"ADDED","object":{"metadata":{"name":"a","name":"b"}}}`,
  ],
  [
    "duplicate name, the first not a string",
    `{"type":"ADDED","object":{"metadata":{"name":1,"name":"b"}}}`,
  ],
  [
    "duplicate name, the last not a string",
    `{"type":"ADDED","object":{"metadata":{"name":"a","name":null}}}`,
  ],
  [
    "duplicate labels",
    `{"type":"ADDED","object":{"metadata":{"labels":{"a":"1"},"labels":{"b":"2","b":"3","a":"4"}}}}`,
  ],
  ["labels null", `{"type":"ADDED","object":{"metadata":{"labels":null}}}`],
  [
    "a label's number replaced by a string",
    `{"type":"ADDED","object":{"metadata":{"labels":{"a":1,"b":"2","a":"x"}}}}`,
  ],
  [
    "a label's string replaced by a number",
    `{"type":"ADDED","object":{"metadata":{"labels":{"a":"x","a":1}}}}`,
  ],
  [
    "labels of a number",
    `{"type":"ADDED","object":{"metadata":{"labels":{"a":1}}}}`,
  ],
  [
    "labels an array",
    `{"type":"ADDED","object":{"metadata":{"labels":["a"]}}}`,
  ],
  [
    "duplicate items",
    `{"items":[{"metadata":{"name":"a"}}],"items":[{"metadata":{"name":"b"}},{}]}`,
  ],
  [
    "managedFields first, middle, last, repeated",
    `{"type":"ADDED","object":{"metadata":{"managedFields":[1],"managedFields":{},"name":"a","managedFields":2,"uid":"u","managedFields":null,"managedFields":"x"}}}`,
  ],
  [
    "managedFields alone",
    `{"type":"ADDED","object":{"metadata":{"managedFields":[{"manager":"m"}]}}}`,
  ],
  [
    "managedFields twice, alone",
    `{"type":"ADDED","object":{"metadata":{"managedFields":1,"managedFields":2}}}`,
  ],
  [
    "managedFields with whitespace everywhere",
    ` \t{ "type" : "ADDED" , "object" :\r{ "metadata" : { "name" : "a" , "managedFields" : [ 1 , 2 ] , "uid" : "u" , "managedFields" : { } } } } \t`,
  ],
  [
    "whitespace in every gap",
    '\t\r\n {\t\r\n "type"\t\r\n :\t\r\n "ADDED"\t\r\n ,\t\r\n "object"\t\r\n :\t\r\n {\t\r\n }\t\r\n }\t\r\n ',
  ],
  ["empty object and metadata", `{"type":"ADDED","object":{"metadata":{}}}`],
  ["empty everything", `{}`],
  [
    "raw U+2028 and U+2029",
    `{"type":"ADDED","object":{"metadata":{"name":"a\u2028b\u2029c"}}}`,
  ],
  [
    "escaped U+2028",
    String
      .raw`{"type":"ADDED","object":{"metadata":{"name":"a\u2028b\u2029"}}}`,
  ],
  [
    "big and odd numbers",
    `{"type":"ADDED","object":{"spec":[9007199254740993,-0,1e400,-1e-400,0.5e+3,12345678901234567890123]}}`,
  ],
  ["leading zero", `{"type":"ADDED","object":{"spec":01}}`],
  ["a point without digits", `{"type":"ADDED","object":{"spec":1.}}`],
  ["a point first", `{"type":"ADDED","object":{"spec":.5}}`],
  ["a plus sign", `{"type":"ADDED","object":{"spec":+1}}`],
  ["an exponent without digits", `{"type":"ADDED","object":{"spec":1e}}`],
  ["a minus alone", `{"type":"ADDED","object":{"spec":-}}`],
  ["NaN", `{"type":"ADDED","object":{"spec":NaN}}`],
  ["a bad literal", `{"type":"ADDED","object":{"spec":tru}}`],
  ["a literal run on", `{"type":"ADDED","object":{"spec":truex}}`],
  ["a number run on", `{"type":"ADDED","object":{"spec":1x}}`],
  [
    "a raw tab in a string",
    `{"type":"ADDED","object":{"metadata":{"name":"a\tb"}}}`,
  ],
  [
    "a raw control character deep inside",
    `{"type":"ADDED","object":{"spec":{"a":["x\u0001"]}}}`,
  ],
  [
    "a raw DEL in a string",
    `{"type":"ADDED","object":{"metadata":{"name":"a\u007fb"}}}`,
  ],
  [
    "a bad escape",
    String.raw`{"type":"ADDED","object":{"metadata":{"name":"a\xb"}}}`,
  ],
  [
    "a short unicode escape",
    String.raw`{"type":"ADDED","object":{"metadata":{"name":"\u12"}}}`,
  ],
  [
    "a bad unicode escape",
    String.raw`{"type":"ADDED","object":{"spec":"\u12G4"}}`,
  ],
  ["a single-quoted string", `{"type":"ADDED","object":{'a':1}}`],
  ["a trailing comma in an object", `{"type":"ADDED","object":{"a":1,}}`],
  ["a trailing comma in an array", `{"type":"ADDED","object":{"a":[1,]}}`],
  ["a missing comma", `{"type":"ADDED" "object":{}}`],
  ["a missing colon", `{"type" "ADDED"}`],
  ["a non-string key", `{"type":"ADDED","object":{1:2}}`],
  ["a mismatched bracket", `{"type":"ADDED","object":{"a":[1}}}`],
  ["trailing garbage", `{"type":"ADDED","object":{}} x`],
  ["a second document", `{"type":"ADDED","object":{}}{}`],
  ["a stray closing brace", `{"type":"ADDED","object":{}}}`],
  ["a truncated line", `{"type":"ADDED","object":{"metadata":{"name":"a`],
  [
    "truncated after a backslash",
    `{"type":"ADDED","object":{"metadata":{"name":"a\\`,
  ],
  ["truncated in an escape", `{"type":"ADDED","object":{"spec":"\\u00`],
  ["truncated after a key", `{"type":"ADDED","object":{"metadata"`],
  ["only an opening brace", `{`],
  ["empty", ``],
  ["only whitespace", ` \t `],
  ["an array", `[{"type":"ADDED"}]`],
  ["a number", `42`],
  ["a string", `"ADDED"`],
  ["null", `null`],
  ["true", `true`],
  ["type not a string", `{"type":null,"object":{}}`],
  ["object an array", `{"type":"ADDED","object":[]}`],
  ["object a string", `{"type":"ADDED","object":"{}"}`],
  ["metadata a string", `{"type":"ADDED","object":{"metadata":"x"}}`],
  ["name a number", `{"type":"ADDED","object":{"metadata":{"name":5}}}`],
  [
    "namespace null",
    `{"type":"ADDED","object":{"metadata":{"namespace":null}}}`,
  ],
  [
    "resourceVersion an object",
    `{"type":"ADDED","object":{"metadata":{"resourceVersion":{}}}}`,
  ],
  ["a NUL outside strings", `{"type":"ADDED",\u0000"object":{}}`],
  ["a form feed as whitespace", `{"type":"ADDED",\f"object":{}}`],
  ["a non-breaking space as whitespace", `{"type":"ADDED",\u00a0"object":{}}`],
  ["a BOM inside", `{"type":"ADDED",\ufeff"object":{}}`],
  [
    "a BOM in a string",
    `{"type":"ADDED","object":{"metadata":{"name":"\ufeffa"}}}`,
  ],
  ["a non-ASCII key", `{"type":"ADDED","object":{"métadata":{"name":"a"}}}`],
];

/** Byte-level cases: invalid UTF-8 and BOMs, which strings cannot carry. */
function bytesCases(): Array<[string, Uint8Array]> {
  const cat = (...parts: Array<string | number[]>) =>
    new Uint8Array(
      parts.flatMap((p) => typeof p === "string" ? [...enc.encode(p)] : p),
    );
  const ev = (name: number[]) =>
    cat(`{"type":"ADDED","object":{"metadata":{"name":"a`, name, `b"}}}`);
  return [
    [
      "a BOM at the start",
      cat([0xef, 0xbb, 0xbf], `{"type":"ADDED","object":{}}`),
    ],
    ["two BOMs at the start", cat([0xef, 0xbb, 0xbf, 0xef, 0xbb, 0xbf], `{}`)],
    ["a BOM before whitespace", cat([0xef, 0xbb, 0xbf], ` {"type":"ADDED"}`)],
    ["half a BOM", cat([0xef, 0xbb], `{}`)],
    ["a lone continuation byte in a name", ev([0x80])],
    ["0xff in a name", ev([0xff])],
    ["a truncated two-byte sequence in a name", ev([0xc3])],
    ["a truncated three-byte sequence before the quote", ev([0xe2, 0x80])],
    ["an overlong encoding in a name", ev([0xc0, 0xaf])],
    ["a UTF-8 encoded surrogate in a name", ev([0xed, 0xa0, 0x80])],
    [
      "invalid bytes in a label key and value",
      cat(
        `{"type":"ADDED","object":{"metadata":{"labels":{"k`,
        [0xfe],
        `":"v`,
        [0xc3],
        `"}}}}`,
      ),
    ],
    [
      "invalid bytes in the type",
      cat(`{"type":"ADD`, [0xff], `ED","object":{}}`),
    ],
    [
      "invalid bytes in a key",
      cat(`{"type":"ADDED","object":{"meta`, [0x80], `data":{"name":"x"}}}`),
    ],
    [
      "a high byte outside strings",
      cat(`{"type":"ADDED",`, [0xc3, 0xa9], `"object":{}}`),
    ],
    [
      "a truncated sequence before a quote outside strings",
      cat(`{"type":"ADDED","object":{"metadata":{"name":"x"}}`, [0xe2], `}`),
    ],
  ];
}

Deno.test("hostile lines: the scanner refuses exactly what JSON.parse refuses, and reads the rest as it does", () => {
  const cases: Array<[string, Uint8Array]> = [
    ...HOSTILE.map(([what, text]): [string, Uint8Array] => [
      what,
      typeof text === "string" ? enc.encode(text) : text,
    ]),
    ...bytesCases(),
  ];
  for (const [what, bytes] of cases) {
    for (const wantLabels of [true, false]) {
      checkLine(bytes, wantLabels, what);
      checkList(bytes, wantLabels, `${what} (as a list)`);
    }
  }
});

Deno.test("100,000 levels of nesting: no stack overflow, JSON.parse's verdict", () => {
  const deep = 100_000;
  const nest = (open: string, close: string, inner: string) =>
    open.repeat(deep) + inner + close.repeat(deep);
  const lines = [
    `{"type":"ADDED","object":{"metadata":{"name":"a"},"spec":${
      nest("[", "]", "1")
    }}}`,
    `{"type":"ADDED","object":{"metadata":{"name":"a","managedFields":${
      nest('{"a":', "}", "{}")
    }}}}`,
    `{"type":"ADDED","object":{"metadata":{"labels":{"a":${
      nest("[", "]", "")
    }}}}}`,
    // Unbalanced: one bracket short, one too many.
    `{"type":"ADDED","object":{"spec":${nest("[", "]", "").slice(1)}}}`,
    `{"type":"ADDED","object":{"spec":${nest("[", "]", "")}]}}`,
    nest("[", "]", ""),
  ];
  // The values are too deep for a recursive comparison: the verdicts and
  // the metadata (shallow) are compared instead.
  for (const [k, text] of lines.entries()) {
    const line = enc.encode(text);
    const ref = reference(line);
    for (const wantLabels of [true, false]) {
      let got;
      try {
        got = scanWatchLine(line, 1, wantLabels);
      } catch (err) {
        assert.ok(err instanceof StreamDecodeError, `deep line ${k}: ${err}`);
        assert.ok(
          !ref.ok,
          `deep line ${k}: the scanner threw, JSON.parse did not`,
        );
        continue;
      }
      assert.ok(
        ref.ok,
        `deep line ${k}: JSON.parse threw, the scanner did not`,
      );
      const v = ref.value as Record<string, Record<string, unknown>>;
      if (!isObject(v)) {
        assert.deepStrictEqual(got, { type: undefined, object: undefined });
        continue;
      }
      assert.strictEqual(got.type, "ADDED");
      const meta = v.object.metadata as Record<string, unknown> | undefined;
      const span = got.object!;
      assert.strictEqual(span.name, meta?.name);
      assert.strictEqual(
        span.irregular,
        wantLabels && meta?.labels !== undefined,
        `deep line ${k}: labels of an array are irregular`,
      );
      const rest = JSON.parse(dec.decode(cut(line, span)));
      assert.deepStrictEqual(
        Object.keys(rest.metadata ?? {}),
        Object.keys(meta ?? {}).filter((m) => m !== "managedFields"),
      );
    }
  }
  const list = enc.encode(`{"items":[{"spec":${nest("[", "]", "")}}]}`);
  assert.strictEqual(scanList(list, false).items?.length, 1);
});

Deno.test("a malformed line fails like the full path, and the error quotes nothing of it", () => {
  const secret = "c2VjcmV0LXRva2VuLXZhbHVl";
  const line = enc.encode(
    `{"type":"MODIFIED","object":{"kind":"Secret","data":{"token":"${secret}"},}}`,
  );
  const full = (() => {
    try {
      JSON.parse(dec.decode(line));
      return undefined;
    } catch (err) {
      return err as Error;
    }
  })();
  assert.ok(full);
  assert.throws(
    () => scanWatchLine(line, 9, false),
    (e: unknown) => {
      assert.ok(e instanceof StreamDecodeError);
      assert.match(
        e.message,
        /^malformed JSON on line 9 of the stream \(\d+ chars, a MODIFIED event, the parser stopped at column \d+\)$/,
      );
      assert.ok(!e.message.includes(secret));
      assert.ok(!String((e.cause as Error).message).includes(secret));
      assert.strictEqual((e.cause as Error).name, full.name);
      return true;
    },
  );
  assert.throws(
    () => scanList(line, false),
    (e: unknown) => {
      assert.ok(e instanceof TransportError);
      assert.strictEqual(e.reason, "bad-response");
      assert.match(
        e.message,
        /^a list body is not JSON \(\d+ chars, the parser stopped at column \d+\)$/,
      );
      assert.ok(!e.message.includes(secret));
      assert.ok(!String((e.cause as Error).message).includes(secret));
      return true;
    },
  );
});

Deno.test("a list whose items are not all objects, or absent, or null, gives no items", () => {
  for (
    const body of [
      `{"metadata":{"resourceVersion":"1"},"items":[{},1]}`,
      `{"metadata":{"resourceVersion":"1"},"items":null}`,
      `{"metadata":{"resourceVersion":"1"}}`,
      `{"metadata":{"resourceVersion":"1"},"items":{}}`,
      `{"metadata":null,"items":[]}`,
      `{"metadata":[],"items":[ ]}`,
      `[]`,
    ]
  ) {
    checkList(enc.encode(body), true, body);
  }
  assert.deepStrictEqual(scanList(enc.encode(`{"items":[ ]}`), false), {
    metadata: undefined,
    apiVersion: undefined,
    kind: undefined,
    items: [],
  });
  // The list's kind and apiVersion (last wins), and which items have their own.
  const typed = scanList(
    enc.encode(
      `{"kind":"X","apiVersion":"v0","kind":"PodList","items":[{"a":{"kind":1}},{"b":2,"apiVersion":null},{"kind":"K"}],"apiVersion":"v1"}`,
    ),
    false,
  );
  assert.deepStrictEqual([typed.kind, typed.apiVersion], ["PodList", "v1"]);
  assert.deepStrictEqual(typed.items?.map((i) => i.typeMeta), [
    false,
    true,
    true,
  ]);
});

// ---------------------------------------------------------------------------
// Generated lines.

/** mulberry32: small, fast, and the same sequence for the same seed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Writes JSON-ish lines as bytes: mostly valid, with every hostile piece the scanner must handle. */
class Writer {
  out: number[] = [];
  constructor(readonly rnd: () => number) {}
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.rnd() * xs.length)];
  }
  chance(p: number): boolean {
    return this.rnd() < p;
  }
  raw(s: string | number[]) {
    if (typeof s === "string") this.out.push(...enc.encode(s));
    else this.out.push(...s);
  }
  ws() {
    if (this.chance(0.85)) return;
    const n = 1 + Math.floor(this.rnd() * 3);
    for (let i = 0; i < n; i++) this.raw(this.pick([" ", "\t", "\r", "\n"]));
  }
  string(text?: string) {
    this.raw('"');
    if (text !== undefined) this.raw(text);
    else {
      const n = Math.floor(this.rnd() * 5);
      for (let i = 0; i < n; i++) this.raw(this.pick(STRING_PIECES));
    }
    this.raw('"');
  }
  key(name: string) {
    this.ws();
    if (this.chance(0.1) && name.length > 0) {
      // The same key, one character escaped.
      const k = Math.floor(this.rnd() * name.length);
      const u = name.charCodeAt(k).toString(16).padStart(4, "0");
      this.string(`${name.slice(0, k)}\\u${u}${name.slice(k + 1)}`);
    } else this.string(name);
    this.ws();
    this.raw(":");
    this.ws();
  }
  scalar() {
    const r = this.rnd();
    if (r < 0.4) this.string();
    else if (r < 0.7) this.raw(this.pick(NUMBERS));
    else this.raw(this.pick(["true", "false", "null"]));
  }
  value(depth: number) {
    this.ws();
    const r = this.rnd();
    if (depth > 3 || r < 0.5) this.scalar();
    else if (r < 0.75) {
      this.object(depth, OBJECT_KEYS, () => this.value(depth + 1));
    } else this.array(() => this.value(depth + 1));
    this.ws();
  }
  object(
    depth: number,
    keys: readonly string[],
    member: (key: string) => void,
  ) {
    this.raw("{");
    this.ws();
    const n = Math.floor(this.rnd() * 5);
    for (let i = 0; i < n; i++) {
      if (i > 0) this.raw(",");
      const k = this.pick(keys);
      this.key(k);
      member(k);
    }
    this.ws();
    this.raw("}");
    void depth;
  }
  array(element: () => void) {
    this.raw("[");
    this.ws();
    const n = Math.floor(this.rnd() * 4);
    for (let i = 0; i < n; i++) {
      if (i > 0) this.raw(",");
      element();
    }
    this.ws();
    this.raw("]");
  }
  /** An object shaped like a Kubernetes object, with hostile metadata. */
  kubeObject() {
    this.object(1, ["metadata", "metadata", "spec", "kind", "x"], (k) => {
      if (k === "metadata" && this.chance(0.9)) {
        this.object(2, METADATA_KEYS, (m) => {
          if (m === "labels" && this.chance(0.8)) {
            if (this.chance(0.1)) this.raw("null");
            else {
              this.object(3, LABEL_KEYS, () => {
                if (this.chance(0.95)) this.string();
                else this.scalar();
              });
            }
          } else if (m !== "managedFields" && this.chance(0.85)) this.string();
          else this.value(3);
        });
      } else this.value(2);
    });
  }
  event() {
    this.ws();
    this.object(0, ["type", "object", "object", "type", "other"], (k) => {
      if (k === "type" && this.chance(0.9)) {
        this.string(this.pick(["ADDED", "MODIFIED", "DELETED", "BOOKMARK"]));
      } else if (k === "object" && this.chance(0.9)) this.kubeObject();
      else this.value(1);
    });
    this.ws();
  }
  list() {
    this.ws();
    this.object(0, ["kind", "metadata", "items", "items"], (k) => {
      if (k === "items" && this.chance(0.9)) {
        this.array(() => this.chance(0.95) ? this.kubeObject() : this.value(2));
      } else if (k === "metadata" && this.chance(0.8)) {
        this.object(
          1,
          ["resourceVersion", "continue", "remainingItemCount"],
          () => this.scalar(),
        );
      } else this.value(1);
    });
    this.ws();
  }
}

const STRING_PIECES: Array<string | number[]> = [
  "a",
  "web-0",
  "team-1",
  "0c5b-9f3a",
  "12345",
  " ",
  "é",
  "😀",
  "\u2028",
  "\u2029",
  '\\"',
  "\\\\",
  "\\/",
  "\\b",
  "\\f",
  "\\n",
  "\\r",
  "\\t",
  "\\u0000",
  "\\u001f",
  "\\u2028",
  "\\ud83d\\ude00",
  "\\ud800",
  "\\udfff",
  "\\u00E9",
  "\\uFEFF",
  [0xff],
  [0x80],
  [0xc3],
  [0xe2, 0x82],
  [0xf0, 0x9f, 0x98],
  [0xed, 0xa0, 0x80],
  [0xef, 0xbb, 0xbf],
];
const NUMBERS = [
  "0",
  "-0",
  "1",
  "-1",
  "42",
  "3.14",
  "-2.5e-3",
  "1E10",
  "1e+2",
  "1e400",
  "-1e400",
  "9007199254740993",
  "123456789012345678901234567890",
  "0.000001",
  "5e-324",
];
const OBJECT_KEYS = [
  "a",
  "b",
  "a",
  "metadata",
  "name",
  "__proto__",
  "managedFields",
  "ü",
];
const METADATA_KEYS = [
  "name",
  "namespace",
  "uid",
  "resourceVersion",
  "labels",
  "managedFields",
  "managedFields",
  "annotations",
  "name",
  "labels",
  "generateName",
];
const LABEL_KEYS = [
  "app",
  "tier",
  "app",
  "__proto__",
  "constructor",
  "0",
  "k/ü",
  "toString",
];

/** Damages a valid line the ways a stream does (or a hostile peer would). */
function mutate(bytes: number[], rnd: () => number): number[] {
  const at = Math.floor(rnd() * (bytes.length + 1));
  const r = rnd();
  const junk = [
    0x00,
    0x01,
    0x1f,
    0x20,
    0x22,
    0x2c,
    0x3a,
    0x5b,
    0x5c,
    0x5d,
    0x7b,
    0x7d,
    0x2d,
    0x30,
    0x31,
    0x2e,
    0x65,
    0x6e,
    0x74,
    0x66,
    0x75,
    0x80,
    0xc3,
    0xef,
    0xff,
    0x09,
    0x0d,
  ];
  const byte = junk[Math.floor(rnd() * junk.length)];
  if (r < 0.3) return bytes.slice(0, at); // truncated
  if (r < 0.55) return [...bytes.slice(0, at), byte, ...bytes.slice(at)];
  if (r < 0.8) return [...bytes.slice(0, at), ...bytes.slice(at + 1)];
  return [...bytes.slice(0, at), byte, ...bytes.slice(at + 1)];
}

Deno.test("generated watch lines and lists (seeded): the scanner agrees with JSON.parse on each", () => {
  const seed = Number(Deno.env.get("JSON_SCAN_SEED") ?? 0x5eed);
  const rnd = random(seed);
  let valid = 0;
  let invalid = 0;
  for (let n = 0; n < 4000; n++) {
    const w = new Writer(rnd);
    const list = n % 4 === 3;
    if (list) w.list();
    else w.event();
    let bytes = w.out;
    if (rnd() < 0.35) bytes = mutate(bytes, rnd);
    if (rnd() < 0.03) bytes = [0xef, 0xbb, 0xbf, ...bytes];
    const line = new Uint8Array(bytes);
    const where = `seed ${seed} case ${n}: ${JSON.stringify(dec.decode(line))}`;
    const wantLabels = rnd() < 0.5;
    if (reference(line).ok) valid++;
    else invalid++;
    if (list) checkList(line, wantLabels, where);
    else checkLine(line, wantLabels, where);
  }
  // The generator must exercise both verdicts in earnest.
  assert.ok(
    valid > 1000 && invalid > 500,
    `${valid} valid, ${invalid} invalid`,
  );
});
