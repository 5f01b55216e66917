// The library's internal helpers, in one place (and the one place to swap
// for `@std/*` should JSR become reachable): paths, file and process error
// wording, logging, abortable timers, redaction and URL masking, base64, URL
// schemes, bytes on the wire, quiet cleanup.
// Never exported from deno.json.

export * from "./fs_error.ts";
export * from "./log.ts";
export * from "./delay.ts";
export * from "./path.ts";
export * from "./redact.ts";
export * from "./base64.ts";
export * from "./url.ts";
export * from "./bytes.ts";
export * from "./close.ts";
