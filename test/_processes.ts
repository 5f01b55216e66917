// Process helpers for tests: the testing module's.
export * from "../lib/testing/_processes.ts";
