// The testing module's error; it lives with the library's other errors
// (lib/errors/testing_error.ts), re-exported here for the testing module.

export * from "../errors/testing_error.ts";
