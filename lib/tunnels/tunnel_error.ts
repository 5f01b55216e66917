/**
 * The error of the tunnel helpers (exec, attach, port-forward); it lives
 * with the library's other errors (`@denokube/transport/errors`) and is
 * re-exported here for the `./tunnel-error` subpath.
 *
 * @module
 */

export * from "../errors/tunnel_error.ts";
