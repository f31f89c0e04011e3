// An execution's report, laid out to print (no navigation, plain tables): outcome, RTO against the target,
// each wave and server with its times, the hooks, and the timeline of events. The browser's Print (or the
// button) makes a PDF of it for the change record.
import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import Container from "@cloudscape-design/components/container";
import Header from "@cloudscape-design/components/header";
import KeyValuePairs from "@cloudscape-design/components/key-value-pairs";
import SpaceBetween from "@cloudscape-design/components/space-between";
import StatusIndicator from "@cloudscape-design/components/status-indicator";
import Table from "@cloudscape-design/components/table";
import { useEffect } from "react";
import { useParams } from "react-router";
import { useApi } from "../auth/auth";
import { ErrorAlert } from "../components/ErrorAlert";
import { duration, when } from "../components/format";
import { RouterButton } from "../components/RouterLink";
import { Status } from "../components/status";
import { useLoad } from "../state/useLoad";

interface WaveRow { name: string; status: string; reason: string | null; attempts: number; servers: number; launched: number; failed: number; ready_at: string | null; launched_at: string | null; completed_at: string | null; duration_ms: number | null; rto_ms: number | null }
interface ServerRow { id: string; hostname: string; wave: string; status: string; job_id: string | null; ec2_instance_id: string | null; private_ip: string | null; failure: string | null; requested_at: string | null; launched_at: string | null; recovered_at: string | null; rto_ms: number | null }
interface HookRow { wave: string | null; hook: string; ok: boolean; warnings: number; at: string | null; error?: string | null }
interface TimelineRow { seq: number; at: string; type: string }

export default function Report() {
  const { id = "" } = useParams();
  const api = useApi();
  const report = useLoad((signal) => api.call("getExecutionReport", { params: { id }, signal }), [api, id]);
  const r = report.data as (typeof report.data & { duration_ms?: number; servers_total?: number; servers_launched?: number; servers_failed?: number; reason?: string; started_at?: string; ended_at?: string }) | undefined;
  useEffect(() => { document.title = `Report: ${r?.plan_name ?? "execution"} ${r?.mode ?? ""} · DRS Orchestrator`; }, [r]);
  if (!r) return <Box padding="l">{report.error ? <ErrorAlert error={report.error} header="The report could not be read" /> : <StatusIndicator type="loading">Loading the report</StatusIndicator>}</Box>;
  const waves = r.waves as unknown as WaveRow[];
  const servers = r.servers as unknown as ServerRow[];
  const hooks = r.hooks as unknown as HookRow[];
  const timeline = r.timeline as unknown as TimelineRow[];
  return (
    <main style={{ maxWidth: 1200, margin: "0 auto", padding: 24 }}>
      <SpaceBetween size="l">
        <Header variant="h1" description={`Execution ${r.execution_id}`}
          actions={<div className="no-print"><SpaceBetween direction="horizontal" size="xs">
            <RouterButton href={`/executions/${id}`}>Back to the execution</RouterButton>
            <Button variant="primary" iconName="file" onClick={() => window.print()}>Print</Button>
          </SpaceBetween></div>}>
          {r.plan_name} {r.mode} report
        </Header>
        <Container header={<Header variant="h2">Outcome</Header>}>
          <KeyValuePairs columns={4} items={[
            { label: "Outcome", value: <Status status={r.outcome ?? r.status} /> },
            { label: "Recovery time (RTO)", value: <span data-testid="report-rto">{duration(r.rto_ms)}{r.rto_target_ms ? ` against ${duration(r.rto_target_ms)}` : ""} {r.rto_met === true ? "(met)" : r.rto_met === false ? "(missed)" : ""}</span> },
            { label: "Plan version", value: String(r.plan_version ?? "—") },
            { label: "Status", value: <Status status={r.status} /> },
            { label: "Started", value: when(r.started_at) },
            { label: "Ended", value: when(r.ended_at) },
            { label: "Servers", value: `${r.servers_launched ?? "?"} of ${r.servers_total ?? "?"} launched, ${r.servers_failed ?? 0} failed` },
            { label: "Reason", value: r.reason ?? "—" },
          ]} />
        </Container>
        <Table header={<Header variant="h2">Waves</Header>} items={waves} trackBy="name" variant="container" ariaLabels={{ tableLabel: "Waves" }} wrapLines
          columnDefinitions={[
            { id: "name", header: "Wave", cell: (w) => w.name },
            { id: "status", header: "Status", cell: (w) => <Status status={w.status} /> },
            { id: "servers", header: "Servers", cell: (w) => `${w.launched}/${w.servers}${w.failed ? `, ${w.failed} failed` : ""}` },
            { id: "attempts", header: "Attempts", cell: (w) => w.attempts },
            { id: "launched", header: "Launched", cell: (w) => when(w.launched_at) },
            { id: "completed", header: "Completed", cell: (w) => when(w.completed_at) },
            { id: "rto", header: "RTO", cell: (w) => duration(w.rto_ms) },
          ]} />
        <Table header={<Header variant="h2">Servers</Header>} items={servers} trackBy="id" variant="container" ariaLabels={{ tableLabel: "Servers" }} wrapLines
          columnDefinitions={[
            { id: "host", header: "Server", cell: (s) => s.hostname },
            { id: "wave", header: "Wave", cell: (s) => s.wave },
            { id: "status", header: "Status", cell: (s) => (s.failure ? `failed: ${s.failure}` : s.status.toLowerCase()) },
            { id: "instance", header: "EC2 instance", cell: (s) => <span className="mono">{s.ec2_instance_id ?? "—"}</span> },
            { id: "ip", header: "IP", cell: (s) => s.private_ip ?? "—" },
            { id: "launched", header: "Launched", cell: (s) => when(s.launched_at) },
            { id: "rto", header: "RTO", cell: (s) => duration(s.rto_ms) },
          ]} />
        <Table header={<Header variant="h2">Hooks</Header>} items={hooks} trackBy={(h) => `${h.wave}/${h.hook}/${h.at}`} variant="container" ariaLabels={{ tableLabel: "Hooks" }}
          empty={<Box>No hooks.</Box>}
          columnDefinitions={[
            { id: "hook", header: "Hook", cell: (h) => `${h.wave ? `${h.wave} / ` : ""}${h.hook}` },
            { id: "ok", header: "Result", cell: (h) => <Status status={h.ok ? "ok" : "failed"}>{h.ok ? "passed" : `failed${h.error ? `: ${h.error}` : ""}`}{h.warnings ? `, ${h.warnings} warnings` : ""}</Status> },
            { id: "at", header: "At", cell: (h) => when(h.at) },
          ]} />
        <Table header={<Header variant="h2" counter={`(${timeline.length})`}>Timeline</Header>} items={timeline} trackBy="seq" variant="container" ariaLabels={{ tableLabel: "Timeline" }}
          columnDefinitions={[
            { id: "seq", header: "#", cell: (t) => t.seq },
            { id: "at", header: "At", cell: (t) => when(t.at) },
            { id: "type", header: "Event", cell: (t) => t.type },
          ]} />
      </SpaceBetween>
    </main>
  );
}
