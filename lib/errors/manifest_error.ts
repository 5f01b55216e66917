// The error of a manifest that cannot be read, and where in a manifest an
// object came from.

import { KubernetesClientError } from "./kubernetes_client_error.ts";

/**
 * Why a manifest cannot be read: `InvalidYaml` (the text is not YAML or JSON
 * within the bounds) or `InvalidObject` (a document is not a Kubernetes
 * object: no `apiVersion`, no `kind`, a `List` whose `items` is not a list).
 */
export type ManifestErrorReason = "InvalidYaml" | "InvalidObject";

/** Where an object of a manifest came from. */
export interface ManifestSource {
  /** The file or name given to `parseManifests`, if any. */
  source?: string;
  /** 0-based index of the document in the stream. */
  document: number;
  /** 0-based index within a `List` document's `items`, if it came from one. */
  item?: number;
  /** 1-based line where the document starts. */
  line: number;
}

/** A manifest that cannot be read, naming where. Never quotes a value. */
export class ManifestError extends KubernetesClientError {
  /** `InvalidYaml` when the text could not be read, `InvalidObject` when a document is not an object of the shape a manifest holds. */
  readonly reason: ManifestErrorReason;
  /** The file or name of the manifest, if given. */
  readonly source: string | undefined;
  /** 0-based document index, when the problem is in one document. */
  readonly document: number | undefined;
  /** 0-based `items` index within a `List` document. */
  readonly item: number | undefined;
  /** 1-based line, when known. */
  readonly line: number | undefined;
  /** 1-based column, when known. */
  readonly column: number | undefined;

  /**
   * Builds the error; the location is prefixed to the message.
   *
   * @param detail What is wrong: expected and found.
   * @param where The manifest, document, item, line and column.
   * @param cause The underlying error.
   */
  constructor(
    detail: string,
    where: Partial<ManifestSource> & { column?: number } = {},
    cause?: unknown,
  ) {
    const parts = [
      where.source ? `manifest ${where.source}` : "manifest",
      where.document === undefined
        ? undefined
        : `document[${where.document}]${
          where.item === undefined ? "" : `.items[${where.item}]`
        }${
          where.line === undefined
            ? ""
            : ` at line ${where.line}${
              where.column === undefined ? "" : `, column ${where.column}`
            }`
        }`,
    ].filter(Boolean);
    super(
      `${parts.join(": ")}: ${detail}`,
      cause === undefined ? undefined : { cause },
    );
    this.name = "ManifestError";
    this.reason = cause instanceof Error && cause.name === "YamlError"
      ? "InvalidYaml"
      : "InvalidObject";
    this.source = where.source;
    this.document = where.document;
    this.item = where.item;
    this.line = where.line;
    this.column = where.column;
  }
}
