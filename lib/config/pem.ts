// PEM values in a kubeconfig: inline base64 (`*-data` keys) or a file path,
// checked once read so a bad value fails naming its field, never quoting it.

import { KubeConfigError } from "../errors/mod.ts";
import { describeFsError } from "../_internal/fs_error.ts";
import { type PemKind, pemProblem } from "../_internal/pem.ts";

/**
 * Decodes a base64 PEM value from a kubeconfig.
 * @throws {KubeConfigError} Naming the field when it is not base64 or not PEM.
 */
export function decodePem(
  data: string,
  where: { file?: string; field?: string },
): string {
  let text: string;
  try {
    const bin = atob(data.replace(/\s+/g, ""));
    text = new TextDecoder("utf-8", { fatal: true }).decode(
      Uint8Array.from(bin, (c) => c.charCodeAt(0)),
    );
  } catch (err) {
    throw new KubeConfigError("is not valid base64", { ...where, cause: err });
  }
  if (!text.includes("-----BEGIN ")) {
    throw new KubeConfigError("does not decode to PEM data", where);
  }
  return text;
}

/** Throws the located error when PEM text is unusable. */
export function checkPem(
  text: string,
  kind: PemKind,
  where: { file?: string; field?: string },
  what = "",
): string {
  const problem = pemProblem(text, kind);
  if (problem) throw new KubeConfigError(`${what}${problem}`, where);
  return text;
}

/** Where a PEM value lives, for {@link readPemValue}. */
export interface PemSource {
  /** The cluster or user entry. */
  obj: Record<string, unknown>;
  /** The file that defined the entry. */
  file?: string;
  /** The field path of a key, for errors. */
  field: (key: string) => string;
}

/**
 * Reads a PEM value given either inline (base64) or as a file path.
 *
 * @param source The entry and how to name its fields.
 * @param dataKey The base64 key, such as `client-key-data`.
 * @param fileKey The path key, such as `client-key`.
 * @returns The PEM text, or `null` when neither is set.
 * @throws {KubeConfigError} When the file cannot be read or does not hold PEM.
 */
export async function readPemValue(
  { obj, file, field }: PemSource,
  dataKey: string,
  fileKey: string,
): Promise<string | null> {
  const kind: PemKind = dataKey === "client-key-data" ? "key" : "certificate";
  const data = obj[dataKey];
  if (typeof data === "string" && data !== "") {
    const where = { file, field: field(dataKey) };
    return checkPem(decodePem(data, where), kind, where);
  }
  const path = obj[fileKey];
  if (typeof path === "string" && path !== "") {
    let text: string;
    try {
      text = await Deno.readTextFile(path);
    } catch (err) {
      throw new KubeConfigError(
        `cannot read ${path}: ${describeFsError(err, path)}`,
        {
          file,
          field: field(fileKey),
          cause: err,
        },
      );
    }
    if (!text.includes("-----BEGIN ")) {
      throw new KubeConfigError(`${path} does not contain PEM data`, {
        file,
        field: field(fileKey),
      });
    }
    return checkPem(text, kind, { file, field: field(fileKey) }, `${path} `);
  }
  return null;
}
