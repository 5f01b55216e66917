// The one check of a watch event's shape: `type` one of the five, `object`
// an object, a BOOKMARK with its resourceVersion. WatchEventTransformer
// applies it to parsed lines; a compact Reflector's raw watch to the lines
// its scanner does not take itself (BOOKMARK, ERROR, anything irregular).

import type { JSONObject, JSONValue, WatchEvent } from "../contract.ts";
import { StreamDecodeError } from "../errors/mod.ts";
import { showValue } from "../_internal/redact.ts";

/**
 * `raw` as a watch event, objects through `objValidator` and ERROR
 * statuses through `errValidator`.
 *
 * @param raw One parsed line.
 * @param eventNo Its 1-based number in the stream.
 * @param objValidator Turns a raw object into `T` (throws when invalid).
 * @param errValidator Turns an ERROR event's Status into `U`.
 * @returns The event.
 * @throws {StreamDecodeError} When `raw` is not a watch event; it quotes nothing of it.
 */
export function watchEventOf<T, U>(
  raw: JSONValue,
  eventNo: number,
  objValidator: (val: JSONObject) => T,
  errValidator: (val: JSONObject) => U,
): WatchEvent<T, U> {
  const bad = (detail: string) =>
    new StreamDecodeError(
      detail,
      eventNo,
      JSON.stringify(raw) ?? String(raw),
    );
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw bad("watch event is not an object");
  }
  const { type, object } = raw as JSONObject;
  if (
    object === null || typeof object !== "object" || Array.isArray(object)
  ) {
    throw bad("watch event has no object");
  }
  switch (type) {
    case "ADDED":
    case "MODIFIED":
    case "DELETED":
      return { type, object: objValidator(object) };
    case "ERROR":
      return { type, object: errValidator(object) };
    case "BOOKMARK": {
      const meta = object.metadata as JSONObject | undefined;
      const rv = meta && typeof meta === "object"
        ? meta.resourceVersion
        : undefined;
      if (typeof rv !== "string") {
        throw bad("BOOKMARK event without metadata.resourceVersion");
      }
      const annotations = meta!.annotations;
      return {
        type,
        object: {
          metadata: annotations && typeof annotations === "object"
            ? {
              resourceVersion: rv,
              annotations: annotations as Record<string, string>,
            }
            : { resourceVersion: rv },
        },
      };
    }
    default:
      throw bad(`unknown watch event type ${showValue(type)}`);
  }
}
