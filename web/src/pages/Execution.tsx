// One execution, live over its event stream: status and RTO against the target, the gates waiting with
// Approve, pause / resume / cancel, each wave (graph, timeline, retry, skip), each server (status, recovery
// instance, IP, times), the hooks' output, the drill's clean-up, and the event log. The stream reconnects by
// itself after a drop (Last-Event-ID), and says so while it does. Buttons appear only for what the signed-in
// roles may do and the state allows; the server refuses anything else, and its words are shown here.
import Alert from "@cloudscape-design/components/alert";
import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import Container from "@cloudscape-design/components/container";
import ContentLayout from "@cloudscape-design/components/content-layout";
import ExpandableSection from "@cloudscape-design/components/expandable-section";
import FormField from "@cloudscape-design/components/form-field";
import Header from "@cloudscape-design/components/header";
import Input from "@cloudscape-design/components/input";
import KeyValuePairs from "@cloudscape-design/components/key-value-pairs";
import Modal from "@cloudscape-design/components/modal";
import SpaceBetween from "@cloudscape-design/components/space-between";
import StatusIndicator from "@cloudscape-design/components/status-indicator";
import Table from "@cloudscape-design/components/table";
import { useEffect, useMemo, useState } from "react";
import { useParams } from "react-router";
import type { Execution as ExecutionView, Event as JournalEvent, Wave } from "../api/schema.gen";
import { useApi, useAuth } from "../auth/auth";
import { ErrorAlert } from "../components/ErrorAlert";
import { between, duration, when } from "../components/format";
import { RouterButton, RouterLink } from "../components/RouterLink";
import { Status, statusWords } from "../components/status";
import { WaveGraph } from "../components/WaveGraph";
import { commandsFor, describeEvent, ended, engineNow, notable, useLiveExecution, waveActions, type ClockMark, type Command } from "../state/execution";
import type { OperationId } from "../api/operations.gen";

const COMMAND_OP: Record<Command, OperationId> = { pause: "pauseExecution", resume: "resumeExecution", cancel: "cancelExecution", cleanup: "cleanupExecution" };
const WAVE_OP = { approve: "approveExecution", retry: "retryWave", skip: "skipWave" } as const;

function StreamBadge({ state, detail }: { state: string; detail: string | null }) {
  if (state === "live") return <StatusIndicator type="success">Live</StatusIndicator>;
  if (state === "ended") return <StatusIndicator type="stopped">Finished: no more events</StatusIndicator>;
  if (state === "reconnecting") return <StatusIndicator type="loading">{detail ?? "Reconnecting"}</StatusIndicator>;
  if (state === "closed") return <StatusIndicator type="stopped">Not following</StatusIndicator>;
  return <StatusIndicator type="loading">Connecting</StatusIndicator>;
}

function RtoText({ x, now }: { x: ExecutionView; now: number }) {
  const { target_ms, actual_ms, met } = x.rto;
  if (actual_ms === null || actual_ms === undefined) {
    const sofar = between(x.started_at, x.ended_at ?? new Date(now).toISOString());
    return <span className="num">{target_ms ? `target ${duration(target_ms)}` : "no target"}{sofar !== null && !x.ended_at ? ` · ${duration(sofar)} so far` : ""}</span>;
  }
  return (
    <span data-testid="rto">
      <StatusIndicator type={met === false ? "error" : met ? "success" : "info"}>
        <span className="num">{duration(actual_ms)}{target_ms ? ` against a target of ${duration(target_ms)}` : ""}{met === true ? " (met)" : met === false ? " (missed)" : ""}</span>
      </StatusIndicator>
    </span>
  );
}

/** Bars per wave from ready to completed (now for a wave still going), on one time axis. */
function Timeline({ x, now }: { x: ExecutionView; now: number }) {
  const start = Date.parse(x.started_at ?? x.created_at);
  const endAll = x.ended_at ? Date.parse(x.ended_at) : now;
  const span = Math.max(60000, endAll - start);
  const rowH = 26, left = 150, width = 640;
  const px = (t: number) => left + Math.max(0, Math.min(width, ((t - start) / span) * width));
  return (
    <div className="timeline">
      <svg width="100%" style={{ maxWidth: left + width + 70 }} viewBox={`0 0 ${left + width + 70} ${x.waves.length * rowH + 24}`} role="img" aria-label={`Timeline of ${x.waves.length} waves over ${duration(span)}`}>
        {x.waves.map((w, i) => {
          const a = w.ready_at ? Date.parse(w.ready_at) : null;
          const l = w.launched_at ? Date.parse(w.launched_at) : null;
          const c = w.completed_at ? Date.parse(w.completed_at) : null;
          const y = i * rowH + 4;
          const going = !c && (l || a) && !ended(x);
          const finish = c ?? (going ? now : l ?? a);
          return (
            <g key={w.name}>
              <text x={0} y={y + 15}>{w.name.length > 20 ? `${w.name.slice(0, 19)}…` : w.name}</text>
              {a !== null && l !== null && <rect x={px(a)} y={y + 4} width={Math.max(1, px(l) - px(a))} height={14} fill="#fbd332" opacity={0.6}><title>{`${w.name}: waiting ${duration(l - a)}`}</title></rect>}
              {(l ?? a) !== null && finish !== null && <rect x={px((l ?? a)!)} y={y + 4} width={Math.max(2, px(finish) - px((l ?? a)!))} height={14} rx={3}
                fill={w.status === "FAILED" ? "#d91515" : w.status === "COMPLETED" ? "#037f0c" : "#0972d3"}><title>{`${w.name}: ${statusWords(w.status)} ${duration(finish - (l ?? a)!)}`}</title></rect>}
              {finish !== null && (l ?? a) !== null && <text x={px(finish) + 6} y={y + 15} className="num">{duration(finish - (l ?? a)!)}</text>}
            </g>
          );
        })}
        <text x={left} y={x.waves.length * rowH + 20}>0</text>
        <text x={left + width - 40} y={x.waves.length * rowH + 20} className="num">{duration(span)}</text>
      </svg>
    </div>
  );
}

/** A value whose height does not change as its text does (two lines reserved): nothing below it moves. */
function Fixed({ children }: { children: React.ReactNode }) {
  return <div style={{ minHeight: 44 }}>{children}</div>;
}

/** Whether the window is wide enough for four columns of figures (not on a tablet held upright). */
function useWide(): boolean {
  const query = "(min-width: 1100px)";
  const [wide, setWide] = useState(() => typeof window.matchMedia !== "function" || window.matchMedia(query).matches);
  useEffect(() => {
    if (typeof window.matchMedia !== "function") return;
    const m = window.matchMedia(query);
    const on = () => setWide(m.matches);
    m.addEventListener("change", on);
    return () => m.removeEventListener("change", on);
  }, []);
  return wide;
}

/** The engine's time (engineNow), ticking every second while `active`. */
function useNow(active: boolean, clock: ClockMark | null): number {
  const [wall, setWall] = useState(Date.now());
  useEffect(() => {
    if (!active) return;
    const t = setInterval(() => setWall(Date.now()), 1000);
    return () => clearInterval(t);
  }, [active]);
  return engineNow(wall, clock);
}

export default function Execution() {
  const { id = "" } = useParams();
  const api = useApi();
  const { can } = useAuth();
  const live = useLiveExecution(api, id);
  const x = live.view;
  const now = useNow(!!x && !x.ended_at, live.clock);
  const wide = useWide();
  const [busy, setBusy] = useState<string | null>(null);
  const [actionError, setActionError] = useState<unknown>(null);
  const [confirmCancel, setConfirmCancel] = useState(false);
  const [reason, setReason] = useState("");
  const [notice, setNotice] = useState<string | null>(null);
  useEffect(() => { document.title = `${x?.plan_name ?? "Execution"} ${x ? statusWords(x.status) : ""} · DRS Orchestrator`; }, [x?.plan_name, x?.status, x]);

  const servers = useMemo(() => (x?.waves ?? []).flatMap((w) => w.servers.map((s) => ({ ...s, wave: w.name }))), [x]);
  const hostOf = useMemo(() => { const m = new Map(servers.map((s) => [s.id, s.hostname])); return (sid: string) => m.get(sid) ?? sid; }, [servers]);
  const log = useMemo(() => live.events.filter(notable).slice(-300).reverse(), [live.events]);
  const cleanupAt = useMemo(() => {
    const e = [...live.events].reverse().find((ev: JournalEvent) => ev.type === "CleanupStarted");
    const after = (e?.data as { after_ms?: number } | undefined)?.after_ms;
    return typeof after === "number" ? after : null;
  }, [live.events]);

  const act = async (key: string, run: () => Promise<unknown>, done?: string) => {
    setBusy(key);
    setActionError(null);
    setNotice(null);
    try {
      await run();
      if (done) setNotice(done);
      await live.refresh();
    } catch (e) {
      setActionError(e);
    } finally {
      setBusy(null);
    }
  };
  const command = (c: Command) => act(c, () => api.call(COMMAND_OP[c], { params: { id }, body: reason ? { reason } : undefined }),
    c === "cleanup" ? "Clean-up started: the drill's recovery instances are being terminated." : undefined);
  const waveCommand = (kind: keyof typeof WAVE_OP, w: Wave) => act(`${kind}:${w.name}`, () => api.call(WAVE_OP[kind], { params: { id }, body: { wave: w.name, ...(reason ? { reason } : {}) } }),
    kind === "approve" ? `Wave ${w.name} approved.` : kind === "retry" ? `Wave ${w.name} will be retried.` : `Wave ${w.name} will be skipped.`);

  const allowed = x ? commandsFor(x).filter((c) => can(COMMAND_OP[c])) : [];
  const waiting = x?.gates.filter((g) => g.status === "waiting") ?? [];

  if (!x) {
    return (
      <ContentLayout header={<Header variant="h1">Execution</Header>}>
        {live.error ? <ErrorAlert error={live.error} header="The execution could not be read" /> : <StatusIndicator type="loading">Loading the execution</StatusIndicator>}
      </ContentLayout>
    );
  }

  return (
    <ContentLayout header={
      <Header variant="h1"
        description={<span>{x.mode} of <RouterLink href={`/plans/${x.plan_id}`}>{x.plan_name}</RouterLink> version {x.plan_version} · started by {x.started_by ?? "?"} · <StreamBadge state={live.stream} detail={live.streamDetail} /></span>}
        actions={<SpaceBetween direction="horizontal" size="xs">
          {allowed.includes("pause") && <Button onClick={() => command("pause")} loading={busy === "pause"}>Pause</Button>}
          {allowed.includes("resume") && <Button onClick={() => command("resume")} loading={busy === "resume"}>Resume</Button>}
          {allowed.includes("cancel") && <Button onClick={() => setConfirmCancel(true)}>Cancel…</Button>}
          <RouterButton href={`/executions/${id}/report`} iconName="file">Report</RouterButton>
        </SpaceBetween>}>
        <span data-testid="execution-title">{x.plan_name} {x.mode}: <Status status={x.status} /></span>
      </Header>}>
      <SpaceBetween size="l">
        {live.error ? <ErrorAlert error={live.error} header="The execution could not be read" /> : null}
        <ErrorAlert error={actionError} header="The command was refused" onDismiss={() => setActionError(null)} />
        {notice && <Alert type="success" dismissible onDismiss={() => setNotice(null)}>{notice}</Alert>}

        <Container header={<Header variant="h2">Summary</Header>}>
          <KeyValuePairs columns={wide ? 4 : 2} items={[
            { label: "Status", value: <Fixed>{<span data-testid="status"><Status status={x.status} />{x.cancel_requested && !ended(x) ? " (cancelling)" : ""}</span>}</Fixed> },
            { label: "Outcome", value: <Fixed>{x.outcome ? <Status status={x.outcome} /> : "—"}</Fixed> },
            { label: "Recovery time (RTO)", value: <Fixed>{<RtoText x={x} now={now} />}</Fixed> },
            { label: "Reason", value: <Fixed>{x.reason ?? "—"}</Fixed> },
            { label: "Started", value: <Fixed>{when(x.started_at ?? x.created_at)}</Fixed> },
            { label: "Ended", value: <Fixed>{when(x.ended_at)}</Fixed> },
            { label: "Waves", value: <Fixed>{<span className="num">{x.waves.filter((w) => w.status === "COMPLETED").length} of {x.waves.length} completed</span>}</Fixed> },
            { label: "Servers", value: <Fixed>{<span className="num">{servers.filter((s) => s.launched_at).length} of {servers.length} launched</span>}</Fixed> },
          ]} />
        </Container>

        {x.gates.length > 0 && (
          <Table
            header={<Header variant="h2" counter={`(${x.gates.length})`} description="Waves that wait for a person before they launch."
              actions={can("approveExecution") && waiting.length > 0 ? <Input value={reason} onChange={(e) => setReason(e.detail.value)} ariaLabel="Reason for the approval (optional)" placeholder="Reason (optional, kept in the journal)" /> : undefined}>Approvals</Header>}
            items={x.gates}
            trackBy="wave"
            ariaLabels={{ tableLabel: "Approval gates" }}
            columnDefinitions={[
              { id: "wave", header: "Wave", cell: (g) => g.wave, width: 140 },
              { id: "message", header: "Question", cell: (g) => g.message },
              { id: "status", header: "Status", width: 220, cell: (g) => <Status status={g.status}>{g.status === "waiting" ? `waiting since ${when(g.requested_at).slice(11)}` : g.status === "approved" ? `approved by ${g.approved_by ?? "?"}` : g.status}</Status> },
              { id: "who", header: "Who may approve", width: 180, cell: (g) => (g.approvers.length ? g.approvers.join(", ") : "Operators, Approvers") },
              { id: "act", header: "Action", width: 170, cell: (g) => g.status !== "waiting" ? "—"
                : can("approveExecution") ? <Button variant="primary" onClick={() => waveCommand("approve", x.waves.find((w) => w.name === g.wave)!)} loading={busy === `approve:${g.wave}`}>Approve {g.wave}</Button>
                  : "your role may not approve" },
            ]}
          />
        )}

        {x.mode === "drill" && (
          <Container header={<Header variant="h2" actions={allowed.includes("cleanup") ? <Button onClick={() => command("cleanup")} loading={busy === "cleanup"}>{(x.status as string) === "CLEANUP_FAILED" ? "Try the clean-up again" : "Clean up now"}</Button> : undefined}>Drill clean-up</Header>}>
            <span data-testid="cleanup-state">
              {!ended(x) ? <StatusIndicator type="pending">When the drill ends its recovery instances are terminated (after exec.keep_for, or now with Clean up now).</StatusIndicator>
                : x.status === "CLEANED" ? <StatusIndicator type="success">Cleaned up: the drill's recovery instances are terminated.</StatusIndicator>
                : (x.status as string) === "CLEANUP_FAILED" ? <StatusIndicator type="error">The clean-up gave up: {x.reason}. Terminate the instances listed below, or try again.</StatusIndicator>
                  : cleanupAt && cleanupAt > now ? <StatusIndicator type="pending">The drill's recovery instances are kept for inspection until {when(new Date(cleanupAt).toISOString())}, then terminated.</StatusIndicator>
                    : <StatusIndicator type="in-progress">Terminating the drill's recovery instances.</StatusIndicator>}
            </span>
          </Container>
        )}

        <Container header={<Header variant="h2" description="Each wave starts when the waves it depends on have completed.">Waves</Header>}>
          <SpaceBetween size="m">
            <WaveGraph waves={x.waves.map((w) => ({ name: w.name, depends_on: w.depends_on, approval: w.approval, status: w.status }))} label={`Waves of ${x.plan_name} and their status`} />
            <Timeline x={x} now={now} />
          </SpaceBetween>
        </Container>

        <Table
          header={<Header variant="h2" counter={`(${x.waves.length})`}>Wave status</Header>}
          items={x.waves}
          trackBy="name"
          ariaLabels={{ tableLabel: "Waves" }}
          columnDefinitions={[
            { id: "name", header: "Wave", cell: (w) => w.name, width: 160 },
            { id: "status", header: "Status", cell: (w) => <span data-wave-status={w.name}><Status status={w.status} /></span>, width: 190 },
            { id: "servers", header: "Servers", cell: (w) => <span className="num">{w.servers.filter((s) => s.launched_at).length}/{w.servers.length} launched</span>, width: 140 },
            { id: "launched", header: "Launched", cell: (w) => when(w.launched_at), width: 170 },
            { id: "took", header: "Took", cell: (w) => <span className="num">{duration(between(w.launched_at ?? w.ready_at, w.completed_at))}</span>, width: 100 },
            { id: "reason", header: "Note", cell: (w) => w.reason ?? (w.attempt && w.attempt > 1 ? `attempt ${w.attempt}` : "—") },
            { id: "actions", header: "Actions", width: 220, cell: (w) => {
              const acts = waveActions(x, w).filter((a) => a !== "approve" && can(WAVE_OP[a]));
              return acts.length ? <SpaceBetween direction="horizontal" size="xs">
                {acts.includes("retry") && <Button variant="inline-link" onClick={() => waveCommand("retry", w)} loading={busy === `retry:${w.name}`} ariaLabel={`Retry wave ${w.name}`}>Retry</Button>}
                {acts.includes("skip") && <Button variant="inline-link" onClick={() => waveCommand("skip", w)} loading={busy === `skip:${w.name}`} ariaLabel={`Skip wave ${w.name}`}>Skip</Button>}
              </SpaceBetween> : "—";
            } },
          ]}
        />

        <Container header={<Header variant="h2" description={`The journal as it streams (newest first; ${live.events.length} events).`}>Events</Header>}>
          <div className="event-log" tabIndex={0} role="log" aria-label="Execution events" aria-live="off">
            <table style={{ width: "100%", borderCollapse: "collapse" }}>
              <tbody>
                {log.map((e) => (
                  <tr key={e.seq}>
                    <td className="num" style={{ width: 60, color: "#5f6b7a" }}>{e.seq}</td>
                    <td className="num" style={{ width: 170 }}>{when(e.at)}</td>
                    <td>{describeEvent(e, hostOf)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </Container>
        <Table
          header={<Header variant="h2" counter={`(${servers.length})`} description="Each source server's recovery: its DRS job, the recovery instance and its address, and the times RTO is measured from.">Servers</Header>}
          items={servers}
          trackBy="id"
          ariaLabels={{ tableLabel: "Servers" }}
          wrapLines={false}
          empty={<Box textAlign="center">The servers are known once the preflight has resolved them.</Box>}
          columnDefinitions={[
            { id: "host", header: "Server", cell: (s) => s.hostname, width: 160 },
            { id: "wave", header: "Wave", cell: (s) => s.wave, width: 110 },
            { id: "status", header: "Status", cell: (s) => <Status status={s.failure ? "FAILED" : s.launch_status}>{s.failure ? `failed: ${s.failure}` : (s.launch_status ?? "not launched").toLowerCase().replace(/_/g, " ")}</Status>, width: 150 },
            { id: "instance", header: "Recovery instance", cell: (s) => <span className="mono">{s.recovery_instance_id ?? "—"}</span>, width: 190 },
            { id: "ec2", header: "EC2 state", cell: (s) => s.ec2_state ?? "—", width: 110 },
            { id: "ip", header: "Private IP", cell: (s) => <span className="mono">{s.private_ip ?? "—"}</span>, width: 130 },
            { id: "requested", header: "Requested", cell: (s) => when(s.requested_at), width: 170 },
            { id: "launched", header: "Launched", cell: (s) => when(s.launched_at), width: 170 },
            { id: "hooks", header: "Checks passed", cell: (s) => when(s.hooks_passed_at), width: 170 },
          ]}
        />

        <Container header={<Header variant="h2" counter={`(${x.hooks.length})`} description="The plan's Lua hooks and what they printed.">Hooks</Header>}>
          {x.hooks.length === 0 ? <Box>No hook has run yet.</Box> : (
            <SpaceBetween size="xs">
              {x.hooks.map((h, i) => (
                <ExpandableSection key={`${h.wave}/${h.hook}/${i}`} headerText={`${h.wave ? `${h.wave} / ` : ""}${h.hook}`}
                  headerInfo={<Status status={h.status}>{h.status}{h.warnings ? `, ${h.warnings} warnings` : ""}{h.error ? `: ${h.error}` : ""}</Status>}>
                  {h.output.length ? (
                    <pre className="hook-output">{h.output.map((o) => `${when(o.at)} ${o.level.padEnd(5)} ${o.message}${o.where ? `  (${o.where})` : ""}`).join("\n")}</pre>
                  ) : <Box>No output.</Box>}
                </ExpandableSection>
              ))}
            </SpaceBetween>
          )}
        </Container>

      </SpaceBetween>

      <Modal visible={confirmCancel} onDismiss={() => setConfirmCancel(false)} header={`Cancel this ${x.mode}?`}
        footer={<Box float="right"><SpaceBetween direction="horizontal" size="xs">
          <Button variant="link" onClick={() => setConfirmCancel(false)}>Keep it running</Button>
          <Button variant="primary" loading={busy === "cancel"} onClick={async () => { await command("cancel"); setConfirmCancel(false); }}>Cancel the {x.mode}</Button>
        </SpaceBetween></Box>}>
        <SpaceBetween size="m">
          <Box>Nothing more is launched and no more hooks run. {x.mode === "drill" ? "The drill then cleans up its recovery instances." : "Instances already launched are left as they are."}</Box>
          <FormField label="Reason (optional)"><Input value={reason} onChange={(e) => setReason(e.detail.value)} ariaLabel="Reason for cancelling" /></FormField>
          <ErrorAlert error={actionError} header="Not cancelled" />
        </SpaceBetween>
      </Modal>
    </ContentLayout>
  );
}
