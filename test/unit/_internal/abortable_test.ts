// The one abortable wait (lib/_internal/delay.ts `abortable`), which the
// Reflector's list and watch, waitFor and the fetch transport's dials all
// go through, and the one way an unknown error is put into a message
// (lib/_internal/error_text.ts), which apply, deleteApplied and
// auto-detection share.

import assert from "node:assert/strict";
import { abortable, delay } from "../../../lib/_internal/delay.ts";
import { errorText } from "../../../lib/_internal/error_text.ts";

Deno.test("abortable rejects with the signal's reason at once when the callee ignores the abort", async () => {
  const ctl = new AbortController();
  let settle!: (v: string) => void;
  const slow = new Promise<string>((r) => settle = r);
  const waited = abortable(slow, ctl.signal);
  const reason = new Error("stop");
  ctl.abort(reason);
  await assert.rejects(waited, (err) => err === reason);
  settle("late");
});

Deno.test("abortable hands what the abandoned promise resolves to after the abort to dispose", async () => {
  const ctl = new AbortController();
  let settle!: (v: string) => void;
  const slow = new Promise<string>((r) => settle = r);
  const disposed: string[] = [];
  const waited = abortable(slow, ctl.signal, (v) => disposed.push(v));
  ctl.abort(new Error("stop"));
  await assert.rejects(waited);
  settle("a stream to cancel");
  await delay(0);
  assert.deepEqual(disposed, ["a stream to cancel"]);
});

Deno.test("abortable with an already-aborted signal rejects and still disposes the late value", async () => {
  const ctl = new AbortController();
  ctl.abort(new Error("already"));
  const disposed: number[] = [];
  await assert.rejects(
    abortable(Promise.resolve(7), ctl.signal, (v) => disposed.push(v)),
    /already/,
  );
  await delay(0);
  assert.deepEqual(disposed, [7]);
});

Deno.test("abortable passes the value through and disposes nothing when no abort came", async () => {
  const ctl = new AbortController();
  const disposed: number[] = [];
  assert.equal(
    await abortable(Promise.resolve(3), ctl.signal, (v) => disposed.push(v)),
    3,
  );
  await assert.rejects(
    abortable(Promise.reject(new Error("callee failed")), ctl.signal),
    /callee failed/,
  );
  assert.deepEqual(disposed, []);
});

Deno.test("errorText gives the message, adds a cause's message fetch keeps apart, and reads a thrown non-Error", () => {
  assert.equal(errorText(new Error("boom")), "boom");
  assert.equal(
    errorText(
      new TypeError("error sending request", {
        cause: new Error("connection refused"),
      }),
    ),
    "error sending request: connection refused",
  );
  assert.equal(
    errorText(
      new Error("x: connection refused", {
        cause: new Error("connection refused"),
      }),
    ),
    "x: connection refused",
  );
  assert.equal(errorText("plain"), "plain");
  assert.equal(errorText(42), "42");
});
