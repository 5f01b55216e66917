// applyHint reads the structured-merge refusal of servers before 1.21 (a
// list item without a key field, such as a Service port without protocol)
// and names the field and the fix; any other error gets no hint. The
// messages are the ones a 1.20.2 apiserver answers (measured in
// test/integration/objects/apply_protocol_apiserver_test.ts).

import assert from "node:assert/strict";
import { applyHint } from "../../../lib/objects/_apply_hint.ts";
import { apiErrorFromStatus } from "../../../lib/errors/mod.ts";

const refused = (message: string) =>
  apiErrorFromStatus({
    kind: "Status",
    apiVersion: "v1",
    status: "Failure",
    reason: "InternalError",
    code: 500,
    message,
  }, { method: "PATCH", path: "/api/v1/namespaces/a/services/web" });

Deno.test("a Service port without protocol is named with the fix for servers before 1.21", () => {
  assert.equal(
    applyHint(refused(
      'failed to create typed patch object: .spec.ports: element 0: associative list with keys has an element that omits key field "protocol" (and doesn\'t have default value)',
    )),
    "spec.ports[0].protocol: set protocol: TCP; servers before 1.21 require it for server-side apply",
  );
});

Deno.test("a nested list keeps its path and index", () => {
  assert.equal(
    applyHint(refused(
      'failed to create typed patch object: .spec.template.spec.containers[name="web"].ports: element 2: associative list with keys has an element that omits key field "protocol"',
    )),
    'spec.template.spec.containers[name="web"].ports[2].protocol: set protocol: TCP; servers before 1.21 require it for server-side apply',
  );
});

Deno.test("another missing key field is named without the protocol advice", () => {
  assert.equal(
    applyHint(refused(
      '.spec.things: element 1: associative list with keys has an element that omits key field "name"',
    )),
    "spec.things[1].name: set name; server-side apply needs every key field of a list item",
  );
});

Deno.test("other errors get no hint", () => {
  assert.equal(applyHint(refused("etcdserver: request timed out")), undefined);
  assert.equal(
    applyHint(
      new Error(
        '.spec.ports: element 0: associative list with keys has an element that omits key field "protocol"',
      ),
    ),
    undefined,
  );
});
