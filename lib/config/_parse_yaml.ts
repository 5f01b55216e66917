// A kubeconfig being loaded is read with the kubeconfig profile of the one
// YAML module (lib/_internal/yaml.ts: its bounds, its scrubbed reasons, the
// field path of a syntax error); this turns that module's error into the
// kubeconfig's.

import {
  MAX_KUBECONFIG_CHARS,
  parseYamlDocument,
  YamlError,
} from "../_internal/yaml.ts";
import { KubeConfigError } from "../errors/mod.ts";

export { MAX_KUBECONFIG_CHARS };

/**
 * Parses kubeconfig text, bounded in size, depth and alias expansion.
 *
 * @param text The file's text.
 * @param file The file, for errors.
 * @returns The document.
 * @throws {KubeConfigError} Naming the line, column and (when known) the field, never quoting the text.
 */
export function parseKubeConfigYaml(text: string, file: string): unknown {
  try {
    return parseYamlDocument(text, { profile: "kubeconfig" });
  } catch (err) {
    if (!(err instanceof YamlError)) throw err;
    if (err.syntax === undefined) {
      throw new KubeConfigError(err.reason, { file });
    }
    const at = err.line === undefined
      ? ""
      : ` at line ${err.line}, column ${err.column}`;
    throw new KubeConfigError(`YAML syntax error${at}: ${err.syntax}`, {
      file,
      field: err.field,
    });
  }
}
