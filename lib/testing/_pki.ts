// Test-only PKI built with the openssl CLI: a CA, a serving certificate and
// client certificates, all X.509 v3 (rustls rejects v1 client certificates).

import { runCommand } from "./_processes.ts";

/** A key pair with its certificate, as PEM files and text. */
export interface IssuedCert {
  certFile: string;
  keyFile: string;
  certPem: string;
  keyPem: string;
}

/** What a certificate is for, and who it names. */
export interface CertRequest {
  /** File stem inside the PKI directory. */
  name: string;
  commonName: string;
  organizations?: string[];
  /** DNS names and IP addresses for a serving certificate. */
  dnsNames?: string[];
  ipAddresses?: string[];
  usage: "server" | "client";
}

async function openssl(args: string[], cwd: string): Promise<void> {
  await runCommand("openssl", args, { cwd });
}

function randomSerial(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  bytes[0] &= 0x7f; // keep the serial positive
  return "0x" +
    Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

async function newKey(dir: string, keyFile: string): Promise<void> {
  await openssl([
    "genpkey",
    "-algorithm",
    "EC",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-out",
    keyFile,
  ], dir);
}

async function readIssued(dir: string, name: string): Promise<IssuedCert> {
  const certFile = `${dir}/${name}.crt`;
  const keyFile = `${dir}/${name}.key`;
  return {
    certFile,
    keyFile,
    certPem: await Deno.readTextFile(certFile),
    keyPem: await Deno.readTextFile(keyFile),
  };
}

/** Creates a self-signed CA named `name` in `dir`. */
export async function createCa(
  dir: string,
  name: string,
  commonName: string,
): Promise<IssuedCert> {
  await newKey(dir, `${name}.key`);
  await openssl([
    "req",
    "-x509",
    "-new",
    "-key",
    `${name}.key`,
    "-subj",
    `/CN=${commonName}`,
    "-days",
    "3650",
    "-set_serial",
    randomSerial(),
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign,digitalSignature",
    "-out",
    `${name}.crt`,
  ], dir);
  return await readIssued(dir, name);
}

/** Issues a v3 certificate signed by `ca`, in `dir`. */
export async function issueCert(
  dir: string,
  ca: IssuedCert,
  req: CertRequest,
): Promise<IssuedCert> {
  await newKey(dir, `${req.name}.key`);
  const subject = `/CN=${req.commonName}` +
    (req.organizations ?? []).map((o) => `/O=${o}`).join("");
  await openssl([
    "req",
    "-new",
    "-key",
    `${req.name}.key`,
    "-subj",
    subject,
    "-out",
    `${req.name}.csr`,
  ], dir);
  const sans = [
    ...(req.dnsNames ?? []).map((d) => `DNS:${d}`),
    ...(req.ipAddresses ?? []).map((ip) => `IP:${ip}`),
  ];
  const ext = [
    "[v3]",
    "basicConstraints=critical,CA:FALSE",
    "keyUsage=critical,digitalSignature",
    `extendedKeyUsage=${req.usage === "server" ? "serverAuth" : "clientAuth"}`,
    "subjectKeyIdentifier=hash",
    "authorityKeyIdentifier=keyid,issuer",
    ...(sans.length ? [`subjectAltName=${sans.join(",")}`] : []),
    "",
  ].join("\n");
  await Deno.writeTextFile(`${dir}/${req.name}.ext`, ext);
  await openssl([
    "x509",
    "-req",
    "-in",
    `${req.name}.csr`,
    "-CA",
    ca.certFile,
    "-CAkey",
    ca.keyFile,
    "-set_serial",
    randomSerial(),
    "-days",
    "3650",
    "-extfile",
    `${req.name}.ext`,
    "-extensions",
    "v3",
    "-out",
    `${req.name}.crt`,
  ], dir);
  return await readIssued(dir, req.name);
}

/** Creates the RSA key pair the apiserver signs service-account tokens with. */
export async function createServiceAccountKeys(
  dir: string,
): Promise<{ privateKeyFile: string; publicKeyFile: string }> {
  await openssl([
    "genpkey",
    "-algorithm",
    "RSA",
    "-pkeyopt",
    "rsa_keygen_bits:2048",
    "-out",
    "sa.key",
  ], dir);
  await openssl(["pkey", "-in", "sa.key", "-pubout", "-out", "sa.pub"], dir);
  return { privateKeyFile: `${dir}/sa.key`, publicKeyFile: `${dir}/sa.pub` };
}
