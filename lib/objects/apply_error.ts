// The error of an apply or a delete of applied objects, and what an apply
// returns per object (both live with the error family in lib/errors/).

export {
  type AppliedObject,
  ApplyError,
  type ApplyErrorReason,
} from "../errors/apply_error.ts";
