// Metadata-only lists and watches: the Accept headers that ask the server
// for PartialObjectMetadata(List), and the one function that makes any
// answer — the server's partial objects or, from a server, transport or
// aggregated API that could not serve them, full objects — into the same
// PartialObjectMetadata shape.
//
// What kube-apiserver 1.20.2 answers (test/integration/watch/
// metadata_only_apiserver_test.ts pins it): a list asked with the List
// form is a PartialObjectMetadataList (built-in kinds, custom resources
// and the aggregator's own APIServices alike) whose items carry `kind` and
// `apiVersion` and the whole `metadata`, managedFields included; a watch
// asked with the item form sends PartialObjectMetadata objects; a media
// type it cannot serve is 406 NotAcceptable unless the Accept header lists
// a plain `application/json` after it, which it then answers with full
// objects. An aggregated API server built on k8s.io/apiserver
// (metrics-server) serves the partial forms as kube-apiserver does; one
// that is not may ignore the `as=` parameter (full objects) or answer 406,
// and the aggregator (1.20.2) hands either answer on as it was — status,
// `Content-Type` and body — with our Accept header forwarded unchanged
// (test/integration/watch/metadata_only_aggregated_test.ts). kubectl's
// `get --raw` sends no Accept header of ours at all and gets full objects.

import type { JSONObject } from "../contract.ts";

/** Asks for a PartialObjectMetadataList, or plain JSON from a server that cannot. */
export const METADATA_LIST_ACCEPT =
  "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json";
/** Asks for PartialObjectMetadata watch events, or plain JSON from a server that cannot. */
export const METADATA_WATCH_ACCEPT =
  "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json";

const API_VERSION = "meta.k8s.io/v1";
const KIND = "PartialObjectMetadata";

/**
 * `obj` as a PartialObjectMetadata: its `metadata` under the
 * `meta.k8s.io/v1` kind, whatever else it carried. The server's own
 * partial objects are returned as they are.
 */
export function toMetadataOnly(obj: JSONObject): JSONObject {
  if (obj.kind === KIND && obj.apiVersion === API_VERSION) {
    let keys = 0;
    for (const _ in obj) keys++;
    if (keys === 3 && "metadata" in obj) return obj;
  }
  return { kind: KIND, apiVersion: API_VERSION, metadata: obj.metadata };
}

/** A list answer with every item as a PartialObjectMetadata. */
export function listToMetadataOnly(list: JSONObject): JSONObject {
  if (list.kind === `${KIND}List` && list.apiVersion === API_VERSION) {
    return list;
  }
  const items = Array.isArray(list.items) ? list.items : [];
  return {
    kind: `${KIND}List`,
    apiVersion: API_VERSION,
    metadata: list.metadata,
    items: items.map((item) =>
      item !== null && typeof item === "object" && !Array.isArray(item)
        ? toMetadataOnly(item)
        : item
    ),
  };
}
