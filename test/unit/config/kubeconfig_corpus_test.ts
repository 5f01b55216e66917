// A corpus of malformed kubeconfigs, each with the exact error it must
// produce: from parsing (KubeConfig.parse / readFromPath), from resolving a
// context (fetchContext) and from reading the files a context points at
// (getServerTls / getClientTls / readPem / getAuthHeader).
//
// Every kubeconfig is written to its own directory under a temp dir so that
// `err.file` is a real absolute path. In the expected messages `<FILE>`
// stands for that kubeconfig file and `<DIR>` for its directory.
//
// Many of the texts carry a fake secret (`s3cr3t`); no message may quote it.
//
// Then two fuzzers, each bounded to a couple of seconds: every field of a
// full kubeconfig replaced by values of every other type, and random edits
// of its YAML text. Whatever the mutation, loading, resolving the context,
// reading its CA and credentials and building a client either work or fail
// with a KubeConfigError (or CredentialError) that names the file: never
// another error, never a hang, never the secret.
// Needs no cluster: files in a temp directory.

import assert from "node:assert/strict";
import {
  CredentialError,
  KubeConfig,
  type KubeConfigContext,
  KubeConfigError,
  KubeConfigRestClient,
} from "../../../mod.ts";
import { credentialsFor } from "../../../lib/auth/credentials.ts";

const SECRET = "s3cr3t";
/**
 * A PEM block that passes the loader's checks (base64 of one DER SEQUENCE)
 * and whose base64 text holds `marker` as it is, so a message quoting the
 * block would show it.
 */
function fakePem(label: string, marker: string): string {
  const tail = marker.padEnd(Math.ceil(marker.length / 4) * 4, "A");
  const payload = atob(tail).length;
  const head = btoa(
    String.fromCharCode(0x30, payload + 4, 0x04, payload + 2, 0, 0),
  );
  return `-----BEGIN ${label}-----\n${head}${tail}\n-----END ${label}-----\n`;
}
const CA_PEM = fakePem("CERTIFICATE", "fakeCA");
const CERT_PEM = fakePem("CERTIFICATE", "fakeCert");
const KEY_PEM = fakePem("PRIVATE KEY", "s3cr3tKey");
const CA_B64 = btoa(CA_PEM);
const CERT_B64 = btoa(CERT_PEM);
const KEY_B64 = btoa(KEY_PEM);

/** One malformed kubeconfig and the error it must produce. */
interface BadCase {
  /** The behaviour, used as the step name. */
  name: string;
  /** The kubeconfig text, written to `<FILE>`; omitted: no file is written. */
  yaml?: string;
  /** Other files to write into `<DIR>`, by name. */
  files?: Record<string, string>;
  /** Directories to create in `<DIR>`. */
  dirs?: string[];
  /** What to do; the default is `KubeConfig.readFromPath(<FILE>)`. */
  run?: (file: string, dir: string) => unknown;
  /** The error class; the default is KubeConfigError (and not a subclass). */
  error?: typeof KubeConfigError;
  /** Expected `err.file`, with placeholders; the default is `<FILE>`. */
  file?: string | undefined;
  /** Expected `err.field`. */
  field: string | undefined;
  /** Expected `err.message`, with placeholders. */
  message: string;
  /** Expected class of `err.cause`, when it matters. */
  cause?: new (...args: never[]) => Error;
}

const load = (file: string) => KubeConfig.readFromPath(file);
const parse = async (file: string) =>
  KubeConfig.parse(await Deno.readTextFile(file), file);
const context = async (file: string, name?: string) =>
  (await load(file)).fetchContext(name);
const withContext =
  (use: (ctx: KubeConfigContext) => unknown) => async (file: string) =>
    await use(await context(file));

/** A valid cluster + context around one user body (indented 4 spaces). */
function userConfig(userBody: string): string {
  return `apiVersion: v1
kind: Config
current-context: dev
clusters:
- name: prod
  cluster:
    server: https://10.0.0.1:6443
contexts:
- name: dev
  context:
    cluster: prod
    user: ops
users:
- name: ops
  user:
${userBody}`;
}

/** A valid user + context around one cluster body (indented 4 spaces). */
function clusterConfig(clusterBody: string): string {
  return `apiVersion: v1
kind: Config
current-context: dev
clusters:
- name: prod
  cluster:
${clusterBody}
contexts:
- name: dev
  context:
    cluster: prod
    user: ops
users:
- name: ops
  user:
    token: s3cr3t-value
`;
}

/** A 9-level "billion laughs" document (9^9 values once expanded), then `tail`. */
function aliasBomb(tail: string): string {
  let yaml = "a0: &a0 [x, x, x, x, x, x, x, x, x]\n";
  for (let i = 1; i < 9; i++) {
    yaml += `a${i}: &a${i} [${Array(9).fill(`*a${i - 1}`).join(", ")}]\n`;
  }
  return yaml + tail;
}

const cases: BadCase[] = [
  // --- YAML syntax -------------------------------------------------------
  {
    name: "a YAML syntax error names the line and quotes nothing",
    yaml: `apiVersion: v1
kind: Config
users:
- name: ops
  user:
    token: s3cr3t-value
   bad: [s3cr3t-other
`,
    field: "users[0].user.?",
    message:
      "KubeConfig <FILE>: users[0].user.?: YAML syntax error at line 7, column 4: bad indentation of a mapping entry",
  },
  {
    name: "an unclosed JSON object names the line where the stream ended",
    yaml:
      `{"kind": "Config", "users": [{"name": "ops", "user": {"token": "s3cr3t-value"}}]\n`,
    run: parse,
    field: undefined,
    message:
      "KubeConfig <FILE>: YAML syntax error at line 2, column 1: unexpected end of the stream within a flow collection",
  },
  {
    name: "an unterminated quoted token names the line and quotes nothing",
    yaml: userConfig(`    token: "s3cr3t-value\n`),
    field: "users[0].user.token",
    message:
      "KubeConfig <FILE>: users[0].user.token: YAML syntax error at line 17, column 1: unexpected end of the stream within a double quoted scalar",
  },
  {
    name: "a NUL byte names its own line, not the document's first",
    yaml: userConfig("    token: s3cr3t\0value\n"),
    field: "users[0].user.token",
    message:
      "KubeConfig <FILE>: users[0].user.token: YAML syntax error at line 16, column 18: null byte is not allowed in input",
  },
  {
    name: "several YAML documents in one file are a syntax error, not a crash",
    yaml: "kind: Config\n---\nkind: Config\n",
    field: undefined,
    message:
      "KubeConfig <FILE>: YAML syntax error: expected a single document in the stream, but found more",
  },
  {
    name: "an alias that looks like a password is not quoted",
    yaml: userConfig("    password: *s3cr3t-value\n"),
    field: "users[0].user.password",
    message:
      "KubeConfig <FILE>: users[0].user.password: YAML syntax error at line 16, column 28: unidentified alias (name omitted)",
  },
  {
    name: "a tag that looks like a password is not quoted",
    yaml: userConfig("    password: !!s3cr3t x\n"),
    field: "users[0].user.password",
    message:
      "KubeConfig <FILE>: users[0].user.password: YAML syntax error at line 16, column 25: unknown tag (name omitted)",
  },
  {
    name: "a duplicated key is an error, as for kubectl",
    yaml: userConfig("    token: s3cr3t-one\n    token: s3cr3t-two\n"),
    field: "users[0].user.token",
    message:
      "KubeConfig <FILE>: users[0].user.token: YAML syntax error at line 17, column 5: duplicated mapping key",
  },
  {
    name: "a proxy-url without a scheme says so",
    yaml:
      "kind: Config\nclusters:\n- name: prod\n  cluster:\n    server: https://10.0.0.1\n    proxy-url: localhost:3128\n",
    field: 'clusters["prod"].cluster.proxy-url',
    message:
      'KubeConfig <FILE>: clusters["prod"].cluster.proxy-url: is missing a scheme (http://, https://, socks5://, socks5h://)',
  },
  {
    name: "a server URL with embedded credentials is not quoted in full",
    yaml:
      "kind: Config\nclusters:\n- name: prod\n  cluster:\n    server: https://admin:s3cr3t@[bad\n",
    field: 'clusters["prod"].cluster.server',
    message:
      'KubeConfig <FILE>: clusters["prod"].cluster.server: is not a valid URL: "https://…@[bad"',
  },
  {
    name: "a server URL whose password holds an @ is masked up to the last @",
    yaml:
      "kind: Config\nclusters:\n- name: prod\n  cluster:\n    server: https://admin:AAA@s3cr3t@[bad\n",
    field: 'clusters["prod"].cluster.server',
    message:
      'KubeConfig <FILE>: clusters["prod"].cluster.server: is not a valid URL: "https://…@[bad"',
  },
  {
    name: "a kind given as a mapping is described, not printed",
    yaml: "kind: {token: s3cr3t-value}\n",
    field: "kind",
    message: 'KubeConfig <FILE>: kind: must be "Config", found a mapping',
  },
  {
    name: "a tab used for indentation names the line",
    yaml: "kind: Config\nusers:\n\t- name: ops\n",
    field: "users[0].name",
    message:
      "KubeConfig <FILE>: users[0].name: YAML syntax error at line 3, column 1: tab characters must not be used in indentation",
  },

  {
    name:
      "a tag-like password js-yaml would quote is reported by line and field only",
    yaml: userConfig("    password: !Hunter2^s3cr3t\n"),
    field: "users[0].user.password",
    message:
      "KubeConfig <FILE>: users[0].user.password: YAML syntax error at line 16, column 30: invalid tag (name omitted)",
  },
  {
    name: "an undeclared tag handle that looks like a password is not quoted",
    yaml: userConfig("    password: !s3cr3t!x y\n"),
    field: "users[0].user.password",
    message:
      "KubeConfig <FILE>: users[0].user.password: YAML syntax error at line 16, column 24: undeclared tag handle (name omitted)",
  },
  {
    name: "nesting deeper than 100 levels is rejected by line and field",
    yaml: "kind: Config\nusers: " + "[".repeat(150) + "]".repeat(150) + "\n",
    field: "users",
    message:
      "KubeConfig <FILE>: users: YAML syntax error at line 2, column 107: nested more than 100 levels deep",
  },
  {
    name:
      "an alias bomb is refused before anything walks it, without printing the value",
    yaml: aliasBomb("kind: *a8\n"),
    field: undefined,
    message:
      'KubeConfig <FILE>: expands to more than 1000000 values (YAML aliases used as a "billion laughs" bomb?)',
  },
  {
    name: "an alias bomb hidden in as-groups is refused at load",
    yaml: aliasBomb(
      "users:\n- name: ops\n  user:\n    token: s3cr3t-value\n    as-groups: *a8\n",
    ),
    field: undefined,
    message:
      'KubeConfig <FILE>: expands to more than 1000000 values (YAML aliases used as a "billion laughs" bomb?)',
  },
  {
    name: "a file larger than 16 MiB is refused without being parsed",
    yaml: `kind: Config\n# ${"s3cr3t ".repeat(2_500_000)}\n`,
    run: parse,
    field: undefined,
    message:
      "KubeConfig <FILE>: is 17500016 characters long, more than the 16777216 a kubeconfig may have",
  },

  // --- the document ------------------------------------------------------
  {
    name: "a document that is a list is rejected",
    yaml: "- kind: Config\n- token: s3cr3t-value\n",
    field: "(document)",
    message: "KubeConfig <FILE>: (document): must be a mapping, found a list",
  },
  {
    name: "a document that is a scalar is rejected without quoting it",
    yaml: "s3cr3t-value\n",
    field: "(document)",
    message: "KubeConfig <FILE>: (document): must be a mapping, found a string",
  },
  {
    name: "a kind other than Config is rejected",
    yaml: "apiVersion: v1\nkind: Pod\n",
    field: "kind",
    message: 'KubeConfig <FILE>: kind: must be "Config", found "Pod"',
  },
  {
    name: "an apiVersion other than v1 is rejected",
    yaml: "apiVersion: v2\nkind: Config\n",
    field: "apiVersion",
    message: 'KubeConfig <FILE>: apiVersion: must be "v1", found "v2"',
  },
  {
    name: "a current-context that is not a string is rejected",
    yaml: "apiVersion: v1\nkind: Config\ncurrent-context: 5\n",
    field: "current-context",
    message:
      "KubeConfig <FILE>: current-context: must be a string, found a number",
  },

  // --- named lists -------------------------------------------------------
  {
    name: "clusters given as a mapping instead of a list is rejected",
    yaml: "kind: Config\nclusters:\n  prod:\n    server: https://10.0.0.1\n",
    field: "clusters",
    message: "KubeConfig <FILE>: clusters: must be a list, found a mapping",
  },
  {
    name: "a clusters entry that is a string is rejected by index",
    yaml: "kind: Config\nclusters:\n- prod\n",
    field: "clusters[0]",
    message:
      "KubeConfig <FILE>: clusters[0]: must be a mapping, found a string",
  },
  {
    name: "a users entry without a name is rejected by index",
    yaml: "kind: Config\nusers:\n- user:\n    token: s3cr3t-value\n",
    field: "users[0].name",
    message: "KubeConfig <FILE>: users[0].name: must be a non-empty string",
  },
  {
    name: "a duplicate context name is rejected at the second entry",
    yaml: `kind: Config
contexts:
- name: dev
  context: {cluster: prod}
- name: dev
  context: {cluster: staging}
`,
    field: "contexts[1]",
    message: 'KubeConfig <FILE>: contexts[1]: duplicate name "dev"',
  },
  {
    name: "a cluster body that is a string is rejected",
    yaml:
      "kind: Config\nclusters:\n- name: prod\n  cluster: https://10.0.0.1\n",
    field: 'clusters["prod"].cluster',
    message:
      'KubeConfig <FILE>: clusters["prod"].cluster: must be a mapping, found a string',
  },

  // --- cluster fields ----------------------------------------------------
  {
    name: "a server that is a number is rejected",
    yaml: clusterConfig("    server: 6443"),
    field: 'clusters["prod"].cluster.server',
    message:
      'KubeConfig <FILE>: clusters["prod"].cluster.server: must be a string, found a number',
  },
  {
    name: "a server that is not a URL is rejected",
    yaml: clusterConfig("    server: https://bad host:6443"),
    field: 'clusters["prod"].cluster.server',
    message:
      'KubeConfig <FILE>: clusters["prod"].cluster.server: is not a valid URL: "https://bad host:6443"',
  },
  {
    name: "a server with an ftp:// scheme is rejected",
    yaml: clusterConfig("    server: ftp://10.0.0.1"),
    field: 'clusters["prod"].cluster.server',
    message:
      'KubeConfig <FILE>: clusters["prod"].cluster.server: must use http: or https:, found ftp:',
  },
  {
    name: "a proxy-url with an unsupported scheme is rejected",
    yaml: clusterConfig(
      "    server: https://10.0.0.1\n    proxy-url: ftp://proxy:21",
    ),
    field: 'clusters["prod"].cluster.proxy-url',
    message:
      'KubeConfig <FILE>: clusters["prod"].cluster.proxy-url: must use http: or https: or socks5: or socks5h:, found ftp:',
  },
  {
    name: "insecure-skip-tls-verify given as a string is rejected",
    yaml: clusterConfig(
      '    server: https://10.0.0.1\n    insecure-skip-tls-verify: "true"',
    ),
    field: 'clusters["prod"].cluster.insecure-skip-tls-verify',
    message:
      'KubeConfig <FILE>: clusters["prod"].cluster.insecure-skip-tls-verify: must be true or false, found a string',
  },
  {
    name: "disable-compression given as a number is rejected",
    yaml: clusterConfig(
      "    server: https://10.0.0.1\n    disable-compression: 1",
    ),
    field: 'clusters["prod"].cluster.disable-compression',
    message:
      'KubeConfig <FILE>: clusters["prod"].cluster.disable-compression: must be true or false, found a number',
  },
  {
    name: "certificate-authority-data that is not base64 is rejected",
    yaml: clusterConfig(
      "    server: https://10.0.0.1\n    certificate-authority-data: s3cr3t*not*base64",
    ),
    field: 'clusters["prod"].cluster.certificate-authority-data',
    message:
      'KubeConfig <FILE>: clusters["prod"].cluster.certificate-authority-data: is not valid base64',
  },
  {
    name:
      "certificate-authority-data that decodes to something other than PEM is rejected without quoting it",
    yaml: clusterConfig(
      `    server: https://10.0.0.1\n    certificate-authority-data: ${
        btoa("s3cr3t, not PEM")
      }`,
    ),
    field: 'clusters["prod"].cluster.certificate-authority-data',
    message:
      'KubeConfig <FILE>: clusters["prod"].cluster.certificate-authority-data: does not decode to PEM data',
  },
  {
    name: "a certificate-authority path that is not a string is rejected",
    yaml: clusterConfig(
      "    server: https://10.0.0.1\n    certificate-authority: [ca.crt]",
    ),
    field: 'clusters["prod"].cluster.certificate-authority',
    message:
      'KubeConfig <FILE>: clusters["prod"].cluster.certificate-authority: must be a string, found a list',
  },

  {
    name:
      "certificate-authority-data with garbage between valid markers is rejected",
    yaml: clusterConfig(
      `    server: https://10.0.0.1\n    certificate-authority-data: ${
        btoa(
          "-----BEGIN CERTIFICATE-----\ns3cr3t garbage!\n-----END CERTIFICATE-----\n",
        )
      }`,
    ),
    field: 'clusters["prod"].cluster.certificate-authority-data',
    message:
      'KubeConfig <FILE>: clusters["prod"].cluster.certificate-authority-data: PEM block 1 (CERTIFICATE) is not valid base64',
  },
  {
    name: "a tls-server-name that is not a host name is rejected at load",
    yaml: clusterConfig(
      "    server: https://10.0.0.1\n    tls-server-name: bad name/s3cr3t",
    ),
    field: 'clusters["prod"].cluster.tls-server-name',
    message:
      'KubeConfig <FILE>: clusters["prod"].cluster.tls-server-name: is not a host name',
  },
  {
    name: "a socks5 proxy-url without a host is rejected at load",
    yaml: clusterConfig(
      "    server: https://10.0.0.1\n    proxy-url: socks5://",
    ),
    field: 'clusters["prod"].cluster.proxy-url',
    message:
      'KubeConfig <FILE>: clusters["prod"].cluster.proxy-url: has no host: "socks5://"',
  },
  {
    name: "cluster extensions given as a string are rejected",
    yaml: clusterConfig(
      "    server: https://10.0.0.1\n    extensions: client.authentication.k8s.io/exec",
    ),
    field: 'clusters["prod"].cluster.extensions',
    message:
      'KubeConfig <FILE>: clusters["prod"].cluster.extensions: must be a list, found a string',
  },
  {
    name: "a cluster extension without a name is rejected by index",
    yaml: clusterConfig(
      "    server: https://10.0.0.1\n    extensions:\n    - extension: {audience: s3cr3t}",
    ),
    field: 'clusters["prod"].cluster.extensions[0]',
    message:
      'KubeConfig <FILE>: clusters["prod"].cluster.extensions[0]: must be a mapping with a non-empty string name',
  },

  // --- user fields -------------------------------------------------------
  {
    name: "a token that is a number is rejected without quoting it",
    yaml: userConfig("    token: 12345\n"),
    field: 'users["ops"].user.token',
    message:
      'KubeConfig <FILE>: users["ops"].user.token: must be a string, found a number',
  },
  {
    name: "client-key-data that is not base64 is rejected",
    yaml: userConfig(
      `    client-certificate-data: ${CERT_B64}\n    client-key-data: s3cr3t!key\n`,
    ),
    field: 'users["ops"].user.client-key-data',
    message:
      'KubeConfig <FILE>: users["ops"].user.client-key-data: is not valid base64',
  },
  {
    name: "a client key without a client certificate is rejected",
    yaml: userConfig(`    client-key-data: ${KEY_B64}\n`),
    field: 'users["ops"].user',
    message:
      'KubeConfig <FILE>: users["ops"].user: has a client key but no client-certificate(-data)',
  },
  {
    name: "a client certificate without a client key is rejected",
    yaml: userConfig("    client-certificate: ops.crt\n"),
    field: 'users["ops"].user',
    message:
      'KubeConfig <FILE>: users["ops"].user: has a client certificate but no client-key(-data)',
  },
  {
    name: "as-groups given as a string is rejected",
    yaml: userConfig("    token: s3cr3t-value\n    as-groups: admins\n"),
    field: 'users["ops"].user.as-groups',
    message:
      'KubeConfig <FILE>: users["ops"].user.as-groups: must be a list of strings',
  },
  {
    name: "as-groups holding a number is rejected",
    yaml: userConfig("    as-groups: [admins, 7]\n"),
    field: 'users["ops"].user.as-groups',
    message:
      'KubeConfig <FILE>: users["ops"].user.as-groups: must be a list of strings',
  },
  {
    name: "an as-user-extra value that is not a list is rejected by key",
    yaml: userConfig("    as-user-extra:\n      team: platform\n"),
    field: 'users["ops"].user.as-user-extra.team',
    message:
      'KubeConfig <FILE>: users["ops"].user.as-user-extra.team: must be a list of strings',
  },
  {
    name: "as-user-extra given as a list is rejected",
    yaml: userConfig("    as-user-extra: [team]\n"),
    field: 'users["ops"].user.as-user-extra',
    message:
      'KubeConfig <FILE>: users["ops"].user.as-user-extra: must be a mapping, found a list',
  },
  {
    name: "an auth-provider without a name is rejected",
    yaml: userConfig(
      "    auth-provider:\n      config:\n        access-token: s3cr3t-value\n",
    ),
    field: 'users["ops"].user.auth-provider.name',
    message:
      'KubeConfig <FILE>: users["ops"].user.auth-provider.name: must be a non-empty string',
  },
  {
    name: "an auth-provider config value that is not a string is rejected",
    yaml: userConfig(
      "    auth-provider:\n      name: oidc\n      config:\n        id-token: s3cr3t-value\n        expires-in: 3600\n",
    ),
    field: 'users["ops"].user.auth-provider.config.expires-in',
    message:
      'KubeConfig <FILE>: users["ops"].user.auth-provider.config.expires-in: must be a string, found a number',
  },

  {
    name: "a token with a line break is rejected by field, never quoted",
    yaml: userConfig('    token: "s3cr3t\\nvalue"\n'),
    field: 'users["ops"].user.token',
    message:
      'KubeConfig <FILE>: users["ops"].user.token: holds a line break, which cannot be sent in an HTTP header',
  },
  {
    name: "an as (Impersonate-User) with CR LF is rejected at load",
    yaml: userConfig('    as: "admin\\r\\nX-Evil: s3cr3t"\n'),
    field: 'users["ops"].user.as',
    message:
      'KubeConfig <FILE>: users["ops"].user.as: holds a line break, which cannot be sent in an HTTP header',
  },
  {
    name: "an as-groups entry with a line break is rejected by index",
    yaml: userConfig('    as-groups: [admins, "ops\\ns3cr3t"]\n'),
    field: 'users["ops"].user.as-groups[1]',
    message:
      'KubeConfig <FILE>: users["ops"].user.as-groups[1]: holds a line break, which cannot be sent in an HTTP header',
  },
  {
    name: "an as-user-extra value with a control character is rejected",
    yaml: userConfig('    as-user-extra:\n      team: ["a\\x01s3cr3t"]\n'),
    field: 'users["ops"].user.as-user-extra.team[0]',
    message:
      'KubeConfig <FILE>: users["ops"].user.as-user-extra.team[0]: holds a control character, which cannot be sent in an HTTP header',
  },
  {
    name: "an as-uid beyond Latin-1 is rejected",
    yaml: userConfig('    as-uid: "s3cr3t\\u0100"\n'),
    field: 'users["ops"].user.as-uid',
    message:
      'KubeConfig <FILE>: users["ops"].user.as-uid: holds a character beyond Latin-1, which cannot be sent in an HTTP header',
  },
  {
    name: "a cached auth-provider access-token with a line break is rejected",
    yaml: userConfig(
      '    auth-provider:\n      name: gcp\n      config:\n        access-token: "s3cr3t\\n"\n',
    ),
    field: 'users["ops"].user.auth-provider.config.access-token',
    message:
      'KubeConfig <FILE>: users["ops"].user.auth-provider.config.access-token: holds a line break, which cannot be sent in an HTTP header',
  },
  {
    name: "client-key-data that is base64 but not DER is rejected",
    yaml: userConfig(
      `    client-certificate-data: ${CERT_B64}\n    client-key-data: ${
        btoa(
          "-----BEGIN PRIVATE KEY-----\ns3cr3tAA\n-----END PRIVATE KEY-----\n",
        )
      }\n`,
    ),
    field: 'users["ops"].user.client-key-data',
    message:
      'KubeConfig <FILE>: users["ops"].user.client-key-data: PEM block 1 (PRIVATE KEY) does not hold DER data',
  },
  {
    name: "client-key-data holding only a certificate is rejected",
    yaml: userConfig(
      `    client-certificate-data: ${CERT_B64}\n    client-key-data: ${CERT_B64}\n`,
    ),
    field: 'users["ops"].user.client-key-data',
    message:
      'KubeConfig <FILE>: users["ops"].user.client-key-data: holds no PRIVATE KEY block',
  },
  {
    name: "client-certificate-data with an unterminated block is rejected",
    yaml: userConfig(
      `    client-certificate-data: ${
        btoa(CERT_PEM.replace(/-----END.*\n/, ""))
      }\n    client-key-data: ${KEY_B64}\n`,
    ),
    field: 'users["ops"].user.client-certificate-data',
    message:
      'KubeConfig <FILE>: users["ops"].user.client-certificate-data: PEM block 1 (CERTIFICATE) has no END marker',
  },
  {
    name: "user extensions that are not a list are rejected",
    yaml: userConfig("    token: s3cr3t-value\n    extensions: s3cr3t\n"),
    field: 'users["ops"].user.extensions',
    message:
      'KubeConfig <FILE>: users["ops"].user.extensions: must be a list, found a string',
  },

  // --- exec --------------------------------------------------------------
  {
    name: "an exec plugin without a command is rejected",
    yaml: userConfig(
      "    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n",
    ),
    field: 'users["ops"].user.exec.command',
    message:
      'KubeConfig <FILE>: users["ops"].user.exec.command: must be a non-empty string',
  },
  {
    name: "an exec plugin with an unknown apiVersion is rejected",
    yaml: userConfig(
      "    exec:\n      apiVersion: client.authentication.k8s.io/v2\n      command: get-token\n",
    ),
    field: 'users["ops"].user.exec.apiVersion',
    message:
      'KubeConfig <FILE>: users["ops"].user.exec.apiVersion: must be one of client.authentication.k8s.io/v1alpha1, client.authentication.k8s.io/v1beta1, client.authentication.k8s.io/v1, found "client.authentication.k8s.io/v2"',
  },
  {
    name: "an exec plugin without an apiVersion is rejected",
    yaml: userConfig("    exec:\n      command: get-token\n"),
    field: 'users["ops"].user.exec.apiVersion',
    message:
      'KubeConfig <FILE>: users["ops"].user.exec.apiVersion: is required (one of client.authentication.k8s.io/v1alpha1, client.authentication.k8s.io/v1beta1, client.authentication.k8s.io/v1)',
  },
  {
    name: "an exec v1 plugin without interactiveMode is rejected",
    yaml: userConfig(
      "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: get-token\n",
    ),
    field: 'users["ops"].user.exec.interactiveMode',
    message:
      'KubeConfig <FILE>: users["ops"].user.exec.interactiveMode: must be set for client.authentication.k8s.io/v1',
  },
  {
    name: "an exec plugin with an unknown interactiveMode is rejected",
    yaml: userConfig(
      "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: get-token\n      interactiveMode: Sometimes\n",
    ),
    field: 'users["ops"].user.exec.interactiveMode',
    message:
      'KubeConfig <FILE>: users["ops"].user.exec.interactiveMode: must be Never, IfAvailable or Always, found "Sometimes"',
  },
  {
    name: "an exec env entry without a value is rejected by index",
    yaml: userConfig(`    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: get-token
      env:
      - name: API_KEY
        value: s3cr3t-value
      - name: REGION
`),
    field: 'users["ops"].user.exec.env[1]',
    message:
      'KubeConfig <FILE>: users["ops"].user.exec.env[1]: must have a string name and value',
  },
  {
    name: "exec env given as a mapping is rejected",
    yaml: userConfig(`    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: get-token
      env:
        API_KEY: s3cr3t-value
`),
    field: 'users["ops"].user.exec.env',
    message:
      'KubeConfig <FILE>: users["ops"].user.exec.env: must be a list, found a mapping',
  },
  {
    name: "exec args given as a string are rejected",
    yaml: userConfig(`    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: get-token
      args: --token=s3cr3t-value
`),
    field: 'users["ops"].user.exec.args',
    message:
      'KubeConfig <FILE>: users["ops"].user.exec.args: must be a list of strings',
  },
  {
    name: "an exec given as a string is rejected",
    yaml: userConfig("    exec: get-token --token=s3cr3t-value\n"),
    field: 'users["ops"].user.exec',
    message:
      'KubeConfig <FILE>: users["ops"].user.exec: must be a mapping, found a string',
  },

  // --- contexts ----------------------------------------------------------
  {
    name: "a context whose cluster is not a string is rejected",
    yaml: "kind: Config\ncontexts:\n- name: dev\n  context:\n    cluster: 1\n",
    field: 'contexts["dev"].context.cluster',
    message:
      'KubeConfig <FILE>: contexts["dev"].context.cluster: must be a string, found a number',
  },
  {
    name: "a context naming an undefined cluster fails fetchContext",
    yaml: userConfig("    token: s3cr3t-value\n").replace(
      "    cluster: prod",
      "    cluster: staging",
    ),
    run: (file) => context(file),
    field: 'contexts["dev"].context.cluster',
    message:
      'KubeConfig <FILE>: contexts["dev"].context.cluster: context "dev" names cluster "staging" which is not defined',
  },
  {
    name: "a context naming no cluster fails fetchContext",
    yaml: userConfig("    token: s3cr3t-value\n").replace(
      "    cluster: prod\n",
      "",
    ),
    run: (file) => context(file),
    field: 'contexts["dev"].context.cluster',
    message:
      'KubeConfig <FILE>: contexts["dev"].context.cluster: context "dev" names no cluster',
  },
  {
    name: "a context naming an undefined user fails fetchContext",
    yaml: userConfig("    token: s3cr3t-value\n").replace(
      "    user: ops",
      "    user: ghost",
    ),
    run: (file) => context(file),
    field: 'contexts["dev"].context.user',
    message:
      'KubeConfig <FILE>: contexts["dev"].context.user: context "dev" names user "ghost" which is not defined',
  },
  {
    name: "a requested context that does not exist fails fetchContext",
    yaml: userConfig("    token: s3cr3t-value\n"),
    run: (file) => context(file, "prod"),
    field: undefined,
    message: 'KubeConfig <FILE>: context "prod" (requested) is not defined',
  },
  {
    name: "a current-context naming a missing context fails fetchContext",
    yaml: userConfig("    token: s3cr3t-value\n").replace(
      "current-context: dev",
      "current-context: gone",
    ),
    run: (file) => context(file),
    field: "current-context",
    message:
      'KubeConfig <FILE>: current-context: context "gone" (current-context) is not defined',
  },
  {
    name: "an empty kubeconfig file has no context to fetch",
    yaml: "",
    run: (file) => context(file),
    field: undefined,
    message: "KubeConfig <FILE>: no context named and no current-context set",
  },
  {
    name: "an in-memory config with no file and no context has none to fetch",
    run: () =>
      new KubeConfig({ apiVersion: "v1", kind: "Config" }).fetchContext(),
    file: undefined,
    field: undefined,
    message:
      "KubeConfig: no configuration found (no kubeconfig file, and no context named)",
  },

  // --- files -------------------------------------------------------------
  {
    name: "a missing kubeconfig file says no such file",
    run: load,
    field: undefined,
    message: "KubeConfig <FILE>: no such file",
    cause: Deno.errors.NotFound,
  },
  {
    name: "a kubeconfig path that is a directory says so",
    run: (_file, dir) => load(dir),
    file: "<DIR>",
    field: undefined,
    message: "KubeConfig <DIR>: is a directory",
    cause: Deno.errors.IsADirectory,
  },
  {
    name:
      "a certificate-authority file that does not exist fails getServerTls naming the field",
    yaml: clusterConfig(
      "    server: https://10.0.0.1\n    certificate-authority: missing-ca.crt",
    ),
    run: withContext((ctx) => ctx.getServerTls()),
    field: 'clusters["prod"].cluster.certificate-authority',
    message:
      'KubeConfig <FILE>: clusters["prod"].cluster.certificate-authority: cannot read <DIR>/missing-ca.crt: no such file',
    cause: Deno.errors.NotFound,
  },
  {
    name: "a certificate-authority file without PEM fails getServerTls",
    yaml: clusterConfig(
      "    server: https://10.0.0.1\n    certificate-authority: ca.txt",
    ),
    files: { "ca.txt": "s3cr3t, not a certificate\n" },
    run: withContext((ctx) => ctx.getServerTls()),
    field: 'clusters["prod"].cluster.certificate-authority',
    message:
      'KubeConfig <FILE>: clusters["prod"].cluster.certificate-authority: <DIR>/ca.txt does not contain PEM data',
  },
  {
    name: "a certificate-authority that is a directory fails getServerTls",
    yaml: clusterConfig(
      "    server: https://10.0.0.1\n    certificate-authority: certs",
    ),
    dirs: ["certs"],
    run: withContext((ctx) => ctx.getServerTls()),
    field: 'clusters["prod"].cluster.certificate-authority',
    message:
      'KubeConfig <FILE>: clusters["prod"].cluster.certificate-authority: cannot read <DIR>/certs: is a directory',
    cause: Deno.errors.IsADirectory,
  },
  {
    name:
      "a certificate-authority file with garbage between valid markers fails getServerTls",
    yaml: clusterConfig(
      "    server: https://10.0.0.1\n    certificate-authority: ca.crt",
    ),
    files: {
      "ca.crt":
        "-----BEGIN CERTIFICATE-----\ns3cr3t, not base64\n-----END CERTIFICATE-----\n",
    },
    run: withContext((ctx) => ctx.getServerTls()),
    field: 'clusters["prod"].cluster.certificate-authority',
    message:
      'KubeConfig <FILE>: clusters["prod"].cluster.certificate-authority: <DIR>/ca.crt PEM block 1 (CERTIFICATE) is not valid base64',
  },
  {
    name: "a client-key file holding a certificate fails getClientTls",
    yaml: userConfig(
      "    client-certificate: ops.crt\n    client-key: ops.key\n",
    ),
    files: { "ops.crt": CERT_PEM, "ops.key": CERT_PEM },
    run: withContext((ctx) => ctx.getClientTls()),
    field: 'users["ops"].user.client-key',
    message:
      'KubeConfig <FILE>: users["ops"].user.client-key: <DIR>/ops.key holds no PRIVATE KEY block',
  },
  {
    name: "a client-certificate file that holds no PEM fails getClientTls",
    yaml: userConfig(
      "    client-certificate: ops.crt\n    client-key: ops.key\n",
    ),
    files: { "ops.crt": "s3cr3t, not a certificate\n", "ops.key": KEY_PEM },
    run: withContext((ctx) => ctx.getClientTls()),
    field: 'users["ops"].user.client-certificate',
    message:
      'KubeConfig <FILE>: users["ops"].user.client-certificate: <DIR>/ops.crt does not contain PEM data',
  },
  {
    name:
      "a client-key file that does not exist fails readPem naming the field",
    yaml: userConfig(
      "    client-certificate: ops.crt\n    client-key: ops.key\n",
    ),
    files: { "ops.crt": CERT_PEM },
    run: withContext((ctx) =>
      ctx.readPem("user", "client-key-data", "client-key")
    ),
    field: 'users["ops"].user.client-key',
    message:
      'KubeConfig <FILE>: users["ops"].user.client-key: cannot read <DIR>/ops.key: no such file',
    cause: Deno.errors.NotFound,
  },
  {
    name: "a tokenFile that does not exist is a CredentialError",
    yaml: userConfig("    tokenFile: token\n"),
    run: withContext((ctx) => ctx.getAuthHeader()),
    error: CredentialError,
    field: 'users["ops"].user.tokenFile',
    message:
      'KubeConfig <FILE>: users["ops"].user.tokenFile: cannot read <DIR>/token: no such file',
    cause: Deno.errors.NotFound,
  },
  {
    name: "an empty tokenFile is a CredentialError",
    yaml: userConfig("    tokenFile: token\n"),
    files: { "token": "\n" },
    run: withContext((ctx) => ctx.getAuthHeader()),
    error: CredentialError,
    field: 'users["ops"].user.tokenFile',
    message:
      'KubeConfig <FILE>: users["ops"].user.tokenFile: <DIR>/token is empty',
  },
  {
    name: "an unsupported auth-provider is a CredentialError",
    yaml: userConfig(
      "    auth-provider:\n      name: azure\n      config:\n        access-token: s3cr3t-value\n",
    ),
    run: withContext((ctx) => ctx.getAuthHeader()),
    error: CredentialError,
    field: 'users["ops"].user.auth-provider',
    message:
      'KubeConfig <FILE>: users["ops"].user.auth-provider: auth-provider "azure" is not supported; use an exec credential plugin instead',
  },
];

Deno.test("malformed kubeconfigs fail with exact, located messages", async (t) => {
  const root = await Deno.makeTempDir({ prefix: "kubeconfig_corpus_" });
  try {
    for (const [i, c] of cases.entries()) {
      const dir = `${root}/case${String(i).padStart(2, "0")}`;
      const file = `${dir}/config`;
      await Deno.mkdir(dir);
      if (c.yaml !== undefined) await Deno.writeTextFile(file, c.yaml);
      for (const [name, text] of Object.entries(c.files ?? {})) {
        await Deno.writeTextFile(`${dir}/${name}`, text);
      }
      for (const name of c.dirs ?? []) await Deno.mkdir(`${dir}/${name}`);
      const fill = (s: string) =>
        s.replaceAll("<FILE>", file).replaceAll("<DIR>", dir);

      await t.step(c.name, async () => {
        const expected = c.error ?? KubeConfigError;
        await assert.rejects(
          async () => {
            await (c.run ?? load)(file, dir);
          },
          (e: unknown) => {
            assert.ok(
              e instanceof expected,
              `expected ${expected.name}, got ${e}`,
            );
            assert.equal(e.name, expected.name);
            assert.equal(e.message, fill(c.message));
            assert.equal(e.field, c.field);
            const wantFile = "file" in c ? c.file : "<FILE>";
            assert.equal(
              e.file,
              wantFile === undefined ? undefined : fill(wantFile),
            );
            if (c.cause) {
              assert.ok(
                e.cause instanceof c.cause,
                `expected cause ${c.cause.name}, got ${e.cause}`,
              );
            }
            assert.ok(
              !e.message.includes(SECRET),
              `message quotes the secret: ${e.message}`,
            );
            return true;
          },
        );
      });
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("tolerated kubeconfig forms load", async (t) => {
  const root = await Deno.makeTempDir({ prefix: "kubeconfig_corpus_ok_" });
  const write = async (name: string, text: string) => {
    const file = `${root}/${name}`;
    await Deno.writeTextFile(file, text);
    return file;
  };
  try {
    await t.step("an empty file parses to an empty config", async () => {
      const file = await write("empty", "");
      const config = await KubeConfig.readFromPath(file);
      assert.deepEqual(config.data, { apiVersion: "v1", kind: "Config" });
      assert.deepEqual(config.files, [file]);
    });

    await t.step(
      "<< merge keys are merged, as kubectl (go-yaml) merges them",
      () => {
        const config = KubeConfig.parse(
          `current-context: b
clusters:
- name: c
  cluster: {server: "https://10.0.0.1:6443"}
contexts:
- name: a
  context: &base {cluster: c, user: u}
- name: b
  context:
    <<: *base
    namespace: two
users:
- name: u
  user: {token: t}
`,
          `${root}/merged`,
        );
        assert.deepEqual(config.getContext("b")?.context, {
          cluster: "c",
          user: "u",
          namespace: "two",
        });
      },
    );

    await t.step("a file of comments only parses to an empty config", () => {
      const config = KubeConfig.parse(
        "# nothing here yet\n\n",
        `${root}/comments`,
      );
      assert.deepEqual(config.data, { apiVersion: "v1", kind: "Config" });
    });

    await t.step("missing kind and apiVersion are accepted", async () => {
      const file = await write(
        "no-kind",
        `current-context: dev
clusters:
- name: prod
  cluster:
    server: https://10.0.0.1:6443
contexts:
- name: dev
  context: {cluster: prod, namespace: apps}
`,
      );
      const ctx = (await KubeConfig.readFromPath(file)).fetchContext();
      assert.equal(ctx.cluster.server, "https://10.0.0.1:6443");
      assert.equal(ctx.defaultNamespace, "apps");
    });

    await t.step("a server without a scheme (host:port) is accepted", () => {
      const config = KubeConfig.parse(
        "clusters:\n- name: prod\n  cluster:\n    server: host:6443\ncontexts:\n- name: dev\n  context: {cluster: prod}\n",
        `${root}/no-scheme`,
      );
      assert.equal(config.fetchContext("dev").cluster.server, "host:6443");
    });

    await t.step("empty entry bodies become empty mappings", () => {
      const config = KubeConfig.parse(
        "clusters:\n- name: prod\n  cluster:\nusers:\n- name: ops\n  user:\ncontexts:\n- name: dev\n  context: {cluster: prod, user: ops}\n",
        `${root}/null-bodies`,
      );
      const ctx = config.fetchContext("dev");
      assert.deepEqual(ctx.cluster, {});
      assert.deepEqual(ctx.user, {});
    });

    await t.step(
      "relative file references resolve against the kubeconfig's directory",
      async () => {
        await Deno.mkdir(`${root}/pki`);
        await Deno.writeTextFile(`${root}/pki/ca.crt`, CA_PEM);
        await Deno.writeTextFile(`${root}/pki/ops.crt`, CERT_PEM);
        await Deno.writeTextFile(`${root}/pki/ops.key`, KEY_PEM);
        const file = await write(
          "relative",
          `apiVersion: v1
kind: Config
current-context: dev
clusters:
- name: prod
  cluster:
    server: https://10.0.0.1:6443
    certificate-authority: pki/ca.crt
users:
- name: ops
  user:
    client-certificate: ./pki/ops.crt
    client-key: pki/ops.key
contexts:
- name: dev
  context: {cluster: prod, user: ops}
`,
        );
        const ctx = (await KubeConfig.readFromPath(file)).fetchContext();
        assert.equal(
          ctx.cluster["certificate-authority"],
          `${root}/pki/ca.crt`,
        );
        assert.deepEqual(await ctx.getServerTls(), { serverCert: CA_PEM });
        assert.deepEqual(await ctx.getClientTls(), {
          userCert: CERT_PEM,
          userKey: KEY_PEM,
        });
      },
    );

    await t.step(
      "as-user-extra keys set to null are empty lists, as for kubectl",
      () => {
        const config = KubeConfig.parse(
          "clusters:\n- name: prod\n  cluster: {server: https://10.0.0.1}\nusers:\n- name: ops\n  user:\n    as: admin\n    as-groups:\n    as-user-extra:\n      team:\ncontexts:\n- name: dev\n  context: {cluster: prod, user: ops}\n",
          `${root}/null-extra`,
        );
        const user = config.fetchContext("dev").user;
        assert.deepEqual(user["as-user-extra"], { team: [] });
        assert.deepEqual(user["as-groups"], []);
      },
    );

    await t.step(
      "a CA bundle with openssl -text output beyond Latin-1 around the blocks loads",
      async () => {
        const bundle =
          `Certificate:\n    Subject: O = Zürich Ünïcødé 東京\n${CA_PEM}`;
        const config = KubeConfig.parse(
          `clusters:\n- name: prod\n  cluster:\n    server: https://10.0.0.1\n    certificate-authority-data: ${
            btoa(String.fromCharCode(...new TextEncoder().encode(bundle)))
          }\ncontexts:\n- name: dev\n  context: {cluster: prod}\n`,
          `${root}/text-ca`,
        );
        assert.deepEqual(await config.fetchContext("dev").getServerTls(), {
          serverCert: bundle,
        });
      },
    );

    await t.step("inline base64 PEM data is accepted and decoded", async () => {
      const config = KubeConfig.parse(
        `clusters:
- name: prod
  cluster:
    server: https://10.0.0.1
    certificate-authority-data: ${CA_B64}
users:
- name: ops
  user:
    client-certificate-data: ${CERT_B64}
    client-key-data: ${KEY_B64}
contexts:
- name: dev
  context: {cluster: prod, user: ops}
`,
        `${root}/inline`,
      );
      const ctx = config.fetchContext("dev");
      assert.deepEqual(await ctx.getServerTls(), { serverCert: CA_PEM });
      assert.deepEqual(await ctx.getClientTls(), {
        userCert: CERT_PEM,
        userKey: KEY_PEM,
      });
    });
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

// --- fuzzing ----------------------------------------------------------------

/** A kubeconfig that uses every field the loader reads (exec plugin absent: it would run). */
function fullConfig(): Record<string, unknown> {
  return {
    apiVersion: "v1",
    kind: "Config",
    "current-context": "dev",
    preferences: { colors: true, extensions: [{ name: "p", extension: {} }] },
    clusters: [{
      name: "prod",
      cluster: {
        server: "https://127.0.0.1:6443/base",
        "tls-server-name": "api.example.com",
        "certificate-authority-data": CA_B64,
        "disable-compression": true,
        extensions: [{
          name: "client.authentication.k8s.io/exec",
          extension: { audience: "kube" },
        }],
      },
    }, {
      name: "proxied",
      cluster: {
        server: "http://127.0.0.1:8080",
        "proxy-url": "socks5://127.0.0.1:1080",
        "insecure-skip-tls-verify": false,
      },
    }],
    users: [{
      name: "ops",
      user: {
        token: "s3cr3t-token",
        username: "admin",
        password: "s3cr3t-password",
        "client-certificate-data": CERT_B64,
        "client-key-data": KEY_B64,
        as: "someone",
        "as-uid": "1234",
        "as-groups": ["admins", "ops"],
        "as-user-extra": { team: ["platform"], "scope name": ["a"] },
        extensions: [{ name: "u", extension: [1, 2] }],
      },
    }, {
      name: "legacy",
      user: {
        "auth-provider": {
          name: "gcp",
          config: {
            "access-token": "s3cr3t-access",
            expiry: "2999-01-01T00:00:00Z",
          },
        },
      },
    }, {
      name: "plugin",
      user: {
        exec: {
          apiVersion: "client.authentication.k8s.io/v1",
          command: "/nonexistent/get-token",
          args: ["--x"],
          env: [{ name: "A", value: "s3cr3t-env" }],
          installHint: "install it",
          provideClusterInfo: true,
          interactiveMode: "Never",
        },
      },
    }],
    contexts: [
      {
        name: "dev",
        context: { cluster: "prod", user: "ops", namespace: "apps" },
      },
      { name: "old", context: { cluster: "proxied", user: "legacy" } },
      {
        name: "exec",
        context: { cluster: "prod", user: "plugin", extensions: [] },
      },
    ],
  };
}

/** The same document as block YAML, for text mutations. */
function toYaml(v: unknown, indent = ""): string {
  if (Array.isArray(v)) {
    if (v.length === 0) return " []";
    return v.map((x) =>
      `\n${indent}-${toYaml(x, indent + "  ").replace(/^\n\s*/, " ")}`
    ).join("");
  }
  if (v !== null && typeof v === "object") {
    const entries = Object.entries(v);
    if (entries.length === 0) return " {}";
    return entries.map(([k, x]) =>
      `\n${indent}${JSON.stringify(k)}:${toYaml(x, indent + "  ")}`
    ).join("");
  }
  return ` ${JSON.stringify(v)}`;
}

/**
 * Loads, then for each context resolves it, reads its CA and credentials and
 * builds a client. Returns whether the file loaded, and every error met.
 */
async function exercise(
  text: string,
  file: string,
): Promise<{ loaded: boolean; errors: unknown[] }> {
  let config: KubeConfig;
  try {
    config = KubeConfig.parse(text, file);
  } catch (err) {
    return { loaded: false, errors: [err] };
  }
  const errors: unknown[] = [];
  for (const name of ["dev", "old", "exec", undefined]) {
    try {
      const ctx = config.fetchContext(name);
      const tls = await ctx.getServerTls();
      await credentialsFor(ctx).get();
      new KubeConfigRestClient(ctx, null, {
        caCerts: tls ? [tls.serverCert] : [],
        retry: false,
      }).close();
    } catch (err) {
      errors.push(err);
    }
  }
  return { loaded: true, errors };
}

/**
 * Asserts fuzzed outcomes: each a located KubeConfigError that quotes none of
 * the base document's secrets (mutations themselves never add one: names
 * and URLs they create may be printed).
 */
function assertTyped(
  outcome: { errors: unknown[] },
  file: string,
  what: string,
): void {
  for (const err of outcome.errors) {
    assert.ok(
      err instanceof KubeConfigError,
      `${what}: expected a KubeConfigError, got ${Deno.inspect(err)}`,
    );
    assert.equal(err.file, file, `${what}: ${err.message}`);
    assert.ok(!err.message.includes(SECRET), `${what}: ${err.message}`);
  }
}

/** A small seeded PRNG (mulberry32), so a failure can be replayed. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Every path into a value: object keys and list indexes. */
function paths(
  v: unknown,
  at: (string | number)[] = [],
): (string | number)[][] {
  const out: (string | number)[][] = [at];
  if (Array.isArray(v)) v.forEach((x, i) => out.push(...paths(x, [...at, i])));
  else if (v !== null && typeof v === "object") {
    for (const [k, x] of Object.entries(v)) out.push(...paths(x, [...at, k]));
  }
  return out;
}

function setAt(
  doc: unknown,
  path: (string | number)[],
  value: unknown,
): unknown {
  if (path.length === 0) return value;
  const copy = structuredClone(doc) as Record<string | number, unknown>;
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key] as typeof node;
  node[path[path.length - 1]] = value;
  return copy;
}

const confusions: unknown[] = [
  null,
  0,
  -1.5,
  true,
  "",
  "fuzz\nline",
  "fuzz\u0100",
  "-----BEGIN CERTIFICATE-----\nfuzz\n-----END CERTIFICATE-----",
  [],
  [null],
  ["fuzz"],
  [{}],
  {},
  { name: "fuzz" },
  { extension: null },
];

Deno.test("every field of a kubeconfig given every other type fails typed, or works", async () => {
  const warn = console.warn;
  console.warn = () => {}; // insecure-skip-tls-verify: true warns by design
  const file = "/fuzz/config";
  const started = performance.now();
  let runs = 0;
  try {
    const base = fullConfig();
    assertTyped(await exercise(JSON.stringify(base), file), file, "the base");
    for (const path of paths(base)) {
      for (const value of confusions) {
        const text = JSON.stringify(setAt(base, path, value));
        const what = `${JSON.stringify(path)} = ${JSON.stringify(value)}`;
        const t0 = performance.now();
        assertTyped(await exercise(text, file), file, what);
        assert.ok(performance.now() - t0 < 1000, `${what} took too long`);
        runs++;
      }
    }
  } finally {
    console.warn = warn;
  }
  const elapsed = performance.now() - started;
  assert.ok(runs > 1000, `${runs} mutations`);
  assert.ok(
    elapsed < 15_000,
    `${runs} mutations took ${Math.round(elapsed)} ms`,
  );
});

Deno.test("random edits of a kubeconfig's YAML fail typed, or work, and never hang", async () => {
  const warn = console.warn;
  console.warn = () => {};
  const file = "/fuzz/config.yaml";
  const yaml = toYaml(fullConfig()).replace(/^\n/, "") + "\n";
  assertTyped(await exercise(yaml, file), file, "the base YAML");
  assert.equal(KubeConfig.parse(yaml, file).data.users?.length, 3);
  const pieces = [
    ":",
    "-",
    " ",
    "  ",
    "\n",
    "\t",
    "&a",
    "*a",
    "!",
    "!!str",
    "[",
    "]",
    "{",
    "}",
    '"',
    "'",
    "%",
    "|",
    ">",
    "#",
    "\\",
    "\u0000",
    "é",
    "\u0100",
    "? ",
    ",",
    "<<: *a",
    "null",
    "~",
    "0x1",
    ".inf",
    "fuzz",
  ];
  const seed = 11;
  const rand = prng(seed);
  const pick = <T>(list: T[]) => list[Math.floor(rand() * list.length)];
  const started = performance.now();
  let runs = 0;
  let loaded = 0;
  try {
    while (performance.now() - started < 2500) {
      let text = yaml;
      for (let edits = 1 + Math.floor(rand() * 3); edits > 0; edits--) {
        const at = Math.floor(rand() * text.length);
        const lines = text.split("\n");
        const line = Math.floor(rand() * lines.length);
        switch (Math.floor(rand() * 5)) {
          case 0:
            text = text.slice(0, at) + pick(pieces) + text.slice(at);
            break;
          case 1:
            text = text.slice(0, at) +
              text.slice(at + 1 + Math.floor(rand() * 8));
            break;
          case 2:
            lines.splice(line, 0, lines[Math.floor(rand() * lines.length)]);
            text = lines.join("\n");
            break;
          case 3:
            lines.splice(line, 1);
            text = lines.join("\n");
            break;
          default:
            text = text.slice(0, at);
        }
      }
      const t0 = performance.now();
      const outcome = await exercise(text, file);
      assertTyped(
        outcome,
        file,
        `seed ${seed}, run ${runs}: ${JSON.stringify(text)}`,
      );
      assert.ok(performance.now() - t0 < 1000, `run ${runs} took too long`);
      if (outcome.loaded) loaded++;
      runs++;
    }
  } finally {
    console.warn = warn;
  }
  assert.ok(runs > 200, `only ${runs} edits in the time budget`);
  assert.ok(loaded > 0 && loaded < runs, `${loaded} of ${runs} loaded`);
});
