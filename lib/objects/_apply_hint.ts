// What to do about a server-side apply the server refused with a message
// that does not say it: servers before 1.21 had no default for the
// `protocol` key of `ports` lists in their structured-merge schema, so an
// apply of a Service (or container) port without `protocol` fails with
// HTTP 500 "failed to create typed patch object: .spec.ports: element 0:
// associative list with keys has an element that omits key field
// \"protocol\"". Pure: reads the error, sends nothing.

import { KubernetesApiError } from "../errors/mod.ts";

/** The structured-merge message, as 1.16–1.20 apiservers word it. */
const OMITS_KEY =
  /(?:^|: )\.?([^\s:]+): element (\d+): associative list with keys has an element that omits key field "([^"]+)"/;

/**
 * The field and the fix for an apply the server refused because a list
 * item omits a key field, or undefined when the error is another.
 *
 * @param err What the apply's request threw.
 * @returns Such as `spec.ports[0].protocol: set protocol: TCP; servers
 *   before 1.21 require it for server-side apply`.
 */
export function applyHint(err: unknown): string | undefined {
  if (!(err instanceof KubernetesApiError)) return undefined;
  const m = OMITS_KEY.exec(err.status.message ?? "");
  if (!m) return undefined;
  const [, list, index, key] = m;
  const field = `${list.replace(/^\./, "")}[${index}].${key}`;
  return key === "protocol"
    ? `${field}: set protocol: TCP; servers before 1.21 require it for server-side apply`
    : `${field}: set ${key}; server-side apply needs every key field of a list item`;
}
