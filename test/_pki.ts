// Test PKI helpers (a CA, serving and client certificates): the testing module's.
export * from "../lib/testing/_pki.ts";
