// The error of `streamLogs`; it lives with the library's other errors
// (lib/errors/log_error.ts), re-exported here for the tunnels layer.

export * from "../errors/log_error.ts";
