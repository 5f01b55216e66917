// What the compact store's scanner (lib/_wire/json_scan.ts) costs per watch
// event against what the full path costs: scanWatchLine (key fields,
// managedFields ranges, the whole line validated) against
// JSON.parse(decoder.decode(line)), on the bench corpus of realistic Pod
// events (test/_pods.ts, 2.6 KB each), same run, interleaved; printed as ns
// per event with the ratio. Target: the scan at most 1/3 of the parse.
// Needs no cluster: bytes in memory.

import { scanWatchLine } from "../../lib/_wire/json_scan.ts";
import { StreamDecodeError } from "../../lib/errors/mod.ts";
import { fakePod } from "../_pods.ts";

const EVENTS = 3000;
const enc = new TextEncoder();
const decoder = new TextDecoder();
const lines: Uint8Array[] = [];
for (let i = 0; i < EVENTS; i++) {
  lines.push(enc.encode(JSON.stringify({
    type: i % 5 ? "MODIFIED" : "ADDED",
    object: fakePod(i, 1000 + i),
  })));
}
const bytes = lines.reduce((n, l) => n + l.length, 0);

// A stream may carry a truncated or malformed line; the figures must hold
// after one (V8 slows a function that once read past a typed array's end
// down for good, which the scanner avoids), so the scanner sees some first.
for (
  const bad of [
    `{"type":"ADDED","object":{"spec":"abc`,
    `{"type":"ADDED","object":{"spec":[tru`,
    `{"type":"ADDED","object":{"spec":"\\u12`,
    `{"type":"ADDED","object":{"spec":1e`,
    `{"type":"ADDED","object":{"metadata":{"name":"x`,
  ]
) {
  try {
    scanWatchLine(enc.encode(bad), 1, true);
    throw new Error("a malformed line scanned without an error");
  } catch (err) {
    if (!(err instanceof StreamDecodeError)) throw err;
  }
}

const parse = () => {
  for (const line of lines) JSON.parse(decoder.decode(line));
};
const scan = () => {
  for (const line of lines) scanWatchLine(line, 1, false);
};
const scanLabels = () => {
  for (const line of lines) scanWatchLine(line, 1, true);
};

// Alternate the three over the whole corpus, so machine noise hits each
// alike; compare medians of ns per event.
{
  const contenders = [parse, scan, scanLabels];
  const times: number[][] = contenders.map(() => []);
  for (let round = 0; round < 31; round++) {
    contenders.forEach((fn, k) => {
      const t = performance.now();
      fn();
      times[k].push((performance.now() - t) / EVENTS * 1e6);
    });
  }
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[xs.length >> 1];
  const [p, s, l] = times.map(median);
  console.error(
    `json scan, ${EVENTS} Pod events (${
      (bytes / EVENTS).toFixed(0)
    } B each), 31 alternating rounds, median ns per event: ` +
      `JSON.parse(decode(line)) ${p.toFixed(0)}, scanWatchLine ${
        s.toFixed(0)
      } (ratio ${(s / p).toFixed(3)}, target <= 0.333), ` +
      `with labels ${l.toFixed(0)} (ratio ${(l / p).toFixed(3)})`,
  );
}

Deno.bench({
  name: "JSON.parse(decoder.decode(line))",
  group: "read a watch event",
  baseline: true,
  n: 20,
  fn: parse,
});
Deno.bench({
  name: "scanWatchLine(line, no labels)",
  group: "read a watch event",
  n: 20,
  fn: scan,
});
Deno.bench({
  name: "scanWatchLine(line, labels)",
  group: "read a watch event",
  n: 20,
  fn: scanLabels,
});
