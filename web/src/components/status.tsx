// Status words as CloudScape status indicators: one mapping for executions, waves, servers, gates and hooks,
// so a colour means the same everywhere (green done, blue in progress, grey waiting, red failed).
import StatusIndicator, { type StatusIndicatorProps } from "@cloudscape-design/components/status-indicator";

const TYPES: Record<string, StatusIndicatorProps.Type> = {
  PENDING: "pending", WAITING: "pending", PREFLIGHT: "in-progress", RUNNING: "in-progress", PAUSED: "stopped",
  AWAITING_APPROVAL: "warning", LAUNCHING: "in-progress", RECOVERING: "in-progress", HOOKS: "in-progress",
  COMPLETED: "success", CLEANED: "success", PARTIAL: "warning", FAILED: "error", CANCELLED: "stopped",
  SKIPPED: "stopped", CLEANING_UP: "in-progress", CLEANUP_FAILED: "error",
  // servers (DRS launch status) and gates, hooks
  LAUNCHED: "success", TERMINATED: "stopped", IN_PROGRESS: "in-progress", STARTED: "in-progress",
  waiting: "warning", approved: "success", pending: "pending", closed: "stopped",
  ok: "success", failed: "error", running: "in-progress",
};

const WORDS: Record<string, string> = { AWAITING_APPROVAL: "awaiting approval", CLEANING_UP: "cleaning up",
  CLEANUP_FAILED: "clean-up failed", IN_PROGRESS: "in progress" };

export function statusType(status: string | null | undefined): StatusIndicatorProps.Type {
  return (status && TYPES[status]) || "info";
}

export function statusWords(status: string | null | undefined): string {
  if (!status) return "unknown";
  return WORDS[status] ?? status.toLowerCase().replace(/_/g, " ");
}

export function Status({ status, children }: { status: string | null | undefined; children?: React.ReactNode }) {
  return <StatusIndicator type={statusType(status)}>{children ?? statusWords(status)}</StatusIndicator>;
}

/** Whether an execution status is one it ends in (nothing more will happen but a drill's clean-up). */
export function finished(status: string): boolean {
  return ["COMPLETED", "PARTIAL", "FAILED", "CANCELLED", "CLEANED", "CLEANUP_FAILED"].includes(status);
}
