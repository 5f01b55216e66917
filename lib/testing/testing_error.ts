// The testing package's error; it lives with the transport's other errors
// (one base, one errors subpath), re-exported here for this package's files.

export {
  TestingError,
  type TestingErrorReason,
} from "@denokube/transport/errors";
