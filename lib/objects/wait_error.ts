// The error a wait ends with, and the shape of a condition; they live with
// the library's other errors (lib/errors/wait_error.ts), re-exported here
// for the objects layer.

export * from "../errors/wait_error.ts";
