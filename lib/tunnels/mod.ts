/**
 * @module
 */

export {
  type AttachOptions,
  execCommand,
  type ExecOptions,
  type ExecResult,
  type ExecSession,
  type ExecStatus,
  exitCodeOf,
  openAttach,
  openExec,
} from "./exec.ts";
export {
  type PortForward,
  portForward,
  type PortForwardOptions,
} from "./port_forward.ts";
export {
  type DeploymentForwardOptions,
  portForwardDeployment,
  portForwardService,
  type ServiceForwardOptions,
  type WorkloadForwardOptions,
  type WorkloadPortForward,
} from "./port_forward_service.ts";
export { type PodName, streamLogs, type StreamLogsOptions } from "./logs.ts";
export {
  LogError,
  type LogErrorReason,
  type LogTarget,
  TunnelError,
  type TunnelErrorReason,
  type TunnelTarget,
} from "../errors/mod.ts";
