// The suites' shared cluster: the public testing module's (lib/testing).
export * from "../lib/testing/cluster.ts";
