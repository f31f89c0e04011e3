// The Run dialog: drill, dry-run or recovery of a plan's version. Each mode says in plain words what will
// happen; a recovery (real instances that are not cleaned up) needs the plan's name typed to start. The
// server's refusal is shown in the dialog, in its words.
import Alert from "@cloudscape-design/components/alert";
import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import FormField from "@cloudscape-design/components/form-field";
import Input from "@cloudscape-design/components/input";
import Modal from "@cloudscape-design/components/modal";
import RadioGroup from "@cloudscape-design/components/radio-group";
import SpaceBetween from "@cloudscape-design/components/space-between";
import { useState } from "react";
import type { Mode } from "../api/schema.gen";
import { useApi } from "../auth/auth";
import { ErrorAlert } from "./ErrorAlert";
import { duration, plural } from "./format";

export interface RunTarget {
  id: string;
  name: string;
  version: number;
  waves: { name: string; approval?: string | null }[];
  rtoTargetMs?: number | null;
  scope?: string;
}

/** What starting the plan in this mode will do, in plain words. */
export function consequences(mode: Mode, t: RunTarget): string {
  const waves = plural(t.waves.length, "wave");
  const gates = t.waves.filter((w) => w.approval).length;
  const gateText = gates ? ` ${plural(gates, "wave")} wait${gates === 1 ? "s" : ""} for your approval before launching.` : "";
  if (mode === "dry-run")
    return `Checks ${t.name} (version ${t.version}) against DRS now: every wave's servers, replication, launch settings and quotas. Nothing is launched and nothing changes.`;
  if (mode === "drill")
    return `Launches drill instances for the ${waves} of ${t.name} (version ${t.version}) in order, runs the plan's checks, measures the recovery time${t.rtoTargetMs ? ` against its ${duration(t.rtoTargetMs)} target` : ""}, then terminates every drill instance. Replication and production are not touched.${gateText}`;
  return `Starts a REAL recovery of ${t.name} (version ${t.version}): DRS launches recovery instances for the ${waves}${t.scope ? ` in ${t.scope}` : ""} from the latest snapshots, to take over from the source servers. They keep running: nothing is cleaned up afterwards.${gateText}`;
}

export function RunDialog({ target, visible, onDismiss, onStarted }: { target: RunTarget; visible: boolean; onDismiss: () => void; onStarted: (executionId: string) => void }) {
  const api = useApi();
  const [mode, setMode] = useState<Mode>("drill");
  const [confirm, setConfirm] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const confirmed = mode !== "recovery" || confirm === target.name;

  const start = async () => {
    setBusy(true);
    setError(null);
    try {
      const a = await api.call("startExecution", {
        body: { plan: target.id, version: target.version, mode, ...(mode === "recovery" ? { confirm } : {}) },
      });
      onStarted(a.id);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  const label = mode === "drill" ? "Start drill" : mode === "dry-run" ? "Start dry run" : "Start recovery";
  return (
    <Modal visible={visible} onDismiss={onDismiss} header={`Run ${target.name}`} size="medium"
      footer={<Box float="right"><SpaceBetween direction="horizontal" size="xs">
        <Button variant="link" onClick={onDismiss}>Cancel</Button>
        <Button variant="primary" onClick={start} loading={busy} disabled={!confirmed} data-testid="start-run">{label}</Button>
      </SpaceBetween></Box>}>
      <SpaceBetween size="l">
        <FormField label="Mode">
          <RadioGroup value={mode} onChange={(e) => { setMode(e.detail.value as Mode); setError(null); }} ariaLabel="Mode"
            items={[
              { value: "drill", label: "Drill", description: "Launch, check, measure, clean up." },
              { value: "dry-run", label: "Dry run", description: "Preflight only: launches nothing." },
              { value: "recovery", label: "Recovery", description: "The real thing: recovery instances that stay." },
            ]} />
        </FormField>
        <Alert type={mode === "recovery" ? "error" : "info"} header={mode === "recovery" ? "This is not a drill" : "What happens"}>
          <span data-testid="run-consequences">{consequences(mode, target)}</span>
        </Alert>
        {mode === "recovery" && (
          <FormField label={`Type the plan's name, ${target.name}, to start the recovery`}>
            <Input value={confirm} onChange={(e) => setConfirm(e.detail.value)} ariaLabel="Plan name to confirm the recovery" placeholder={target.name} />
          </FormField>
        )}
        <ErrorAlert error={error} header="Not started" />
      </SpaceBetween>
    </Modal>
  );
}
