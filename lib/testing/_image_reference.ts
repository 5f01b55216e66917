// Image references as the kubelet and containerd's CRI plugin compare them:
// a pod's `image: app:1` is looked up as `docker.io/library/app:1`, but
// `ctr images tag` stores whatever string it is given, so every name this
// package writes into the node's image store is normalised here first.
// The grammar and the normalisation are the distribution project's
// (reference/regexp.go, reference/normalize.go: ParseDockerRef), which both
// the kubelet and containerd use; IPv6 registry hosts are not accepted.

import { TestingError } from "./testing_error.ts";

const COMPONENT = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
const DOMAIN_PART = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const DOMAIN = `${DOMAIN_PART}(?:\\.${DOMAIN_PART})*(?::[0-9]+)?`;
const REFERENCE = new RegExp(
  `^((?:${DOMAIN}/)?${COMPONENT}(?:/${COMPONENT})*)` +
    `(?::([\\w][\\w.-]{0,127}))?` +
    `(?:@([A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}))?$`,
);
const NAME_TOTAL_LENGTH_MAX = 255;

/** A reference taken apart: `docker.io/library/app`, its tag, its digest. */
export interface ImageReference {
  /** The repository with its registry: `docker.io/library/app`. */
  repository: string;
  /** The tag, when there is one (`latest` when neither a tag nor a digest was given). */
  tag?: string;
  /** The digest (`sha256:…`), when there is one. */
  digest?: string;
  /** The whole normalised reference: `docker.io/library/app:1`. */
  full: string;
}

/**
 * Parses and normalises an image reference the way the kubelet does:
 * a name without a registry is on `docker.io`, a one-part name there is
 * under `library/`, and a name without a tag or digest is `:latest`.
 *
 * @param ref The reference, as a pod spec would give it.
 * @param what What the reference is, for the error (`tagImage target`).
 * @returns Its normalised parts.
 * @throws {TestingError} `InvalidOption` when `ref` is not a reference.
 */
export function parseImageReference(ref: string, what: string): ImageReference {
  const bad = (why: string) =>
    new TestingError(
      "InvalidOption",
      `${what}: expected an image reference like "registry.local/app:1" or "app:1", found ${
        JSON.stringify(ref)
      } (${why})`,
    );
  if (typeof ref !== "string" || ref === "") throw bad("empty");
  // distribution refuses these: they read as image IDs, not names.
  if (/^[a-f0-9]{64}$/.test(ref)) throw bad("a 64-hex-digit image ID");
  const m = REFERENCE.exec(ref);
  if (!m) {
    throw bad(
      ref.toLowerCase() !== ref && REFERENCE.test(lowerPath(ref))
        ? "the repository must be lowercase"
        : "not the reference grammar",
    );
  }
  if (m[1].length > NAME_TOTAL_LENGTH_MAX) {
    throw bad(`the name is longer than ${NAME_TOTAL_LENGTH_MAX} characters`);
  }
  const repository = normaliseName(m[1]);
  const tag = m[2] ?? (m[3] ? undefined : "latest");
  const digest = m[3];
  return {
    repository,
    tag,
    digest,
    full: `${repository}${tag ? `:${tag}` : ""}${digest ? `@${digest}` : ""}`,
  };
}

/** `app` → `docker.io/library/app`, `me/app` → `docker.io/me/app`, a registry kept. */
function normaliseName(name: string): string {
  const slash = name.indexOf("/");
  const first = slash < 0 ? "" : name.slice(0, slash);
  const hasDomain = slash >= 0 &&
    (first.includes(".") || first.includes(":") || first === "localhost" ||
      first.toLowerCase() !== first);
  if (!hasDomain) {
    return name.includes("/")
      ? `docker.io/${name}`
      : `docker.io/library/${name}`;
  }
  const domain = first === "index.docker.io" ? "docker.io" : first;
  const rest = name.slice(slash + 1);
  return domain === "docker.io" && !rest.includes("/")
    ? `docker.io/library/${rest}`
    : `${domain}/${rest}`;
}

/** The reference with its repository path (not its registry or tag) lowercased, to tell "uppercase" from other faults. */
function lowerPath(ref: string): string {
  const slash = ref.indexOf("/");
  const first = slash < 0 ? "" : ref.slice(0, slash);
  const keep = /[.:]|^localhost$/.test(first) ? first.length + 1 : 0;
  const [path, ...tail] = ref.slice(keep).split(/(?=[:@])/);
  return ref.slice(0, keep) + path.toLowerCase() + tail.join("");
}
