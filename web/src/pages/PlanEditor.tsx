// A recovery plan: its Lua source in the editor (validated by the server while typing, problems inline at
// their line and column and listed below), the wave graph of the compiled plan, saving a new version
// (If-Match: a version saved meanwhile by someone else is refused, in the server's words), its versions and a
// diff between two, its recent executions, and the Run dialog. /plans/new writes a new plan.
import Alert from "@cloudscape-design/components/alert";
import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import Container from "@cloudscape-design/components/container";
import ContentLayout from "@cloudscape-design/components/content-layout";
import FormField from "@cloudscape-design/components/form-field";
import Header from "@cloudscape-design/components/header";
import Input from "@cloudscape-design/components/input";
import Link from "@cloudscape-design/components/link";
import SpaceBetween from "@cloudscape-design/components/space-between";
import StatusIndicator from "@cloudscape-design/components/status-indicator";
import Table from "@cloudscape-design/components/table";
import Tabs from "@cloudscape-design/components/tabs";
import { useCallback, useEffect, useMemo, useState } from "react";
import { useNavigate, useParams, useSearchParams } from "react-router";
import type { PlanDiff, PlanVersionSummary, ProtectionGroup, ValidationReport } from "../api/schema.gen";
import { useApi, useAuth } from "../auth/auth";
import { DiffView } from "../components/DiffView";
import { ErrorAlert } from "../components/ErrorAlert";
import { duration, when } from "../components/format";
import { LuaEditor } from "../components/LuaEditor";
import { RouterLink } from "../components/RouterLink";
import { RunDialog, type RunTarget } from "../components/RunDialog";
import { Status } from "../components/status";
import { WaveGraph, type GraphWave } from "../components/WaveGraph";
import { useLoad } from "../state/useLoad";

interface CompiledPlan {
  name?: string;
  rto_target_ms?: number;
  region?: string;
  account?: string;
  waves?: { name: string; depends_on: string[]; approval?: unknown; servers?: { kind?: string; group?: string; tags?: Record<string, string>; ids?: string[] } }[];
}

/** A first plan for a new author: the groups that exist, two waves, a gate. */
export function starterSource(groups: Pick<ProtectionGroup, "name">[]): string {
  const first = groups[0]?.name ?? "my-database-group";
  return `-- A recovery plan: waves of DRS source servers, recovered in order.
-- Each wave names its servers (a protection group, or a tag query) and the waves it waits for.
-- Problems are underlined as you type; the wave graph on the right follows the plan.
return plan {
  name = "my-plan",
  rto_target = "45m",
  waves = {
    wave "database" { servers = group "${first}" },
    wave "web" {
      depends_on = { "database" },
      servers = tags { Tier = "web" },
      approval = "Database recovered: bring up the web tier?",
    },
  },
}
`;
}

function approvalText(a: unknown): string | null {
  if (!a) return null;
  if (typeof a === "string") return a;
  if (typeof a === "object" && a && "message" in a) return String((a as { message: unknown }).message ?? "approval");
  return "approval";
}

export function graphWaves(plan: CompiledPlan | null | undefined): GraphWave[] {
  return (plan?.waves ?? []).map((w) => ({
    name: w.name, depends_on: w.depends_on ?? [], approval: approvalText(w.approval),
    detail: w.servers?.kind === "group" ? `group ${w.servers.group}` : w.servers?.kind === "tags" ? `tags ${Object.entries(w.servers.tags ?? {}).map(([k, v]) => `${k}=${v}`).join(",")}` : w.servers?.ids ? `${w.servers.ids.length} servers` : "",
  }));
}

export default function PlanEditor() {
  const { id } = useParams();
  const isNew = !id;
  const [params, setParams] = useSearchParams();
  const api = useApi();
  const { can } = useAuth();
  const navigate = useNavigate();
  const canWrite = isNew ? can("createPlan") : can("createPlanVersion");
  const canValidate = can("validatePlan");

  const plan = useLoad(async (signal) => (id ? api.call("getPlan", { params: { id }, signal }) : null), [api, id]);
  const latest = plan.data?.latest_version ?? 0;
  const shownVersion = Number(params.get("version")) || latest;
  const version = useLoad(async (signal) => (id && shownVersion ? api.call("getPlanVersion", { params: { id, version: String(shownVersion) }, signal }) : null), [api, id, shownVersion]);
  const groups = useLoad((signal) => (isNew ? (api.all("listProtectionGroups", { signal }) as Promise<ProtectionGroup[]>) : Promise.resolve([])), [api, isNew]);
  const oldVersion = !isNew && shownVersion !== latest;

  const [source, setSource] = useState<string | null>(null);
  const [description, setDescription] = useState("");
  const [report, setReport] = useState<ValidationReport | null>(null);
  const [validateError, setValidateError] = useState<unknown>(null);
  const [saveError, setSaveError] = useState<unknown>(null);
  const [saving, setSaving] = useState(false);
  const [saved, setSaved] = useState<string | null>(null);
  const [focus, setFocus] = useState<{ line: number; column: number; n: number } | null>(null);
  const [running, setRunning] = useState(false);
  const [tab, setTab] = useState("source");

  // the editor starts from the shown version (or the starter), and follows it when another is chosen
  const initial = isNew ? (groups.data ? starterSource(groups.data) : null) : version.data?.source ?? null;
  useEffect(() => { setSource(initial); setReport(null); }, [initial]);
  useEffect(() => { document.title = `${plan.data?.name ?? (isNew ? "New plan" : "Plan")} · DRS Orchestrator`; }, [plan.data, isNew]);

  const validate = useCallback((text: string) => api.call("validatePlan", { body: { source: text, file: `${plan.data?.name ?? "plan"}.lua` } }), [api, plan.data]);
  const onReport = useCallback((r: ValidationReport | null, e: unknown) => { setReport(r); setValidateError(e); }, []);

  const compiled = (report?.plan ?? (source === initial ? version.data?.plan : null) ?? null) as CompiledPlan | null;
  const [lastGood, setLastGood] = useState<CompiledPlan | null>(null);
  useEffect(() => { if (compiled) setLastGood(compiled); }, [compiled]);
  const graphPlan = compiled ?? lastGood;
  const dirty = source !== null && source !== initial;

  const save = async () => {
    if (source === null) return;
    setSaving(true);
    setSaveError(null);
    setSaved(null);
    try {
      if (isNew) {
        const created = await api.call("createPlan", { body: { source, ...(description ? { description } : {}) } });
        navigate(`/plans/${created.plan.id}`, { replace: true });
      } else {
        const v = await api.call("createPlanVersion", { params: { id: id! }, body: { source, ...(description ? { description } : {}) }, ifMatch: latest });
        setSaved(`Saved as version ${v.version}.`);
        setDescription("");
        setParams({}, { replace: true });
        await plan.reload();
      }
    } catch (e) {
      setSaveError(e);
      const problems = (e as { details?: { problems?: ValidationReport["problems"] } }).details?.problems;
      if (problems?.length) setFocus({ line: problems[0].line, column: problems[0].column, n: Date.now() });
    } finally {
      setSaving(false);
    }
  };

  const runTarget: RunTarget | null = plan.data && version.data ? {
    id: plan.data.id, name: plan.data.name, version: version.data.version,
    waves: graphWaves(version.data.plan as CompiledPlan), rtoTargetMs: (version.data.plan as CompiledPlan).rto_target_ms ?? null,
    scope: [(version.data.plan as CompiledPlan).account, (version.data.plan as CompiledPlan).region].filter(Boolean).join(", ") || undefined,
  } : null;

  const problems = report?.problems ?? [];
  const editor = source === null ? <StatusIndicator type="loading">Loading the source</StatusIndicator> : (
    <LuaEditor
      key={`${id ?? "new"}-${shownVersion}-${canWrite && !oldVersion}`}
      value={source}
      onChange={setSource}
      validate={canValidate && canWrite && !oldVersion ? validate : undefined}
      onReport={onReport}
      readOnly={!canWrite || oldVersion}
      label={`Source of ${plan.data?.name ?? "the new plan"} (Lua)`}
      focus={focus}
    />
  );

  return (
    <ContentLayout header={
      <Header variant="h1"
        description={isNew ? "Write the plan in Lua: problems are shown as you type, the waves on the right." : plan.data?.description || undefined}
        actions={<SpaceBetween direction="horizontal" size="xs">
          {!isNew && can("startExecution") && <Button onClick={() => setRunning(true)} disabled={!runTarget || dirty} variant={canWrite ? "normal" : "primary"}>Run…</Button>}
          {canWrite && !oldVersion && <Button variant="primary" onClick={save} loading={saving} disabled={source === null || (!isNew && !dirty)}>{isNew ? "Create plan" : "Save version"}</Button>}
        </SpaceBetween>}>
        {isNew ? "New recovery plan" : plan.data ? `${plan.data.name}` : "Recovery plan"}
      </Header>}>
      <SpaceBetween size="l">
        {plan.error ? <ErrorAlert error={plan.error} header="The plan could not be read" /> : null}
        {version.error ? <ErrorAlert error={version.error} header="The version could not be read" /> : null}
        {oldVersion && <Alert type="info" header={`Version ${shownVersion} of ${latest}`} action={<Button onClick={() => setParams({})}>Go to the latest</Button>}>You are looking at an earlier version; it cannot be changed. Running it runs this version.</Alert>}
        {dirty && !isNew && <Alert type="info">Unsaved changes: save a new version to run them.</Alert>}
        {saved && <Alert type="success" dismissible onDismiss={() => setSaved(null)}>{saved}</Alert>}
        <ErrorAlert error={saveError} header="Not saved" onDismiss={() => setSaveError(null)} />
        <Tabs activeTabId={tab} onChange={(e) => setTab(e.detail.activeTabId)} ariaLabel="Plan views" tabs={[
          {
            id: "source", label: "Source and waves",
            content: (
              <SpaceBetween size="l">
                <Container header={<Header variant="h2" description={canWrite && !oldVersion ? (canValidate ? "Checked by the server while you type." : "") : "Read only."}
                  info={report ? (report.ok ? <StatusIndicator type="success">valid</StatusIndicator> : <StatusIndicator type="error">{problems.length} problem{problems.length === 1 ? "" : "s"}</StatusIndicator>) : undefined}>Source</Header>}>
                  <SpaceBetween size="m">
                    {editor}
                    {canWrite && !oldVersion && (
                      <FormField label="What changed (optional)" description="Kept with the version.">
                        <Input value={description} onChange={(e) => setDescription(e.detail.value)} ariaLabel="What changed" />
                      </FormField>
                    )}
                    <div aria-live="polite" data-testid="problems">
                      {problems.length > 0 && (
                        <Alert type="error" header="Problems">
                          <ul style={{ margin: 0, paddingLeft: 18 }}>
                            {problems.map((p, i) => (
                              <li key={i}>
                                <Link onFollow={() => setFocus({ line: p.line, column: p.column, n: Date.now() })} ariaLabel={`Go to line ${p.line}, column ${p.column}`}>Line {p.line}, column {p.column}</Link>: {p.message}{p.hint ? ` — ${p.hint}` : ""}
                              </li>
                            ))}
                          </ul>
                        </Alert>
                      )}
                    </div>
                    {validateError ? <ErrorAlert error={validateError} header="The plan could not be checked" /> : null}
                  </SpaceBetween>
                </Container>
                <Container header={<Header variant="h2" description={compiled ? "As compiled from the source: each wave waits for the waves it depends on; dashed waves wait for approval." : graphPlan ? "From the last valid source." : undefined}>Waves</Header>}>
                  <WaveGraph waves={graphWaves(graphPlan)} label={`Wave graph of ${plan.data?.name ?? "the plan"}`} />
                  {graphPlan?.rto_target_ms ? <Box variant="small">Recovery time target: {duration(graphPlan.rto_target_ms)}</Box> : null}
                </Container>
              </SpaceBetween>
            ),
          },
          ...(!isNew && id ? [
            { id: "versions", label: "Versions", content: <Versions planId={id} latest={latest} onOpen={(v) => { setParams(v === latest ? {} : { version: String(v) }); setTab("source"); }} /> },
            { id: "executions", label: "Executions", content: <PlanExecutions planId={id} /> },
          ] : []),
        ]} />
      </SpaceBetween>
      {runTarget && running && (
        <RunDialog target={runTarget} visible={running} onDismiss={() => setRunning(false)} onStarted={(execId) => navigate(`/executions/${execId}`)} />
      )}
    </ContentLayout>
  );
}

function Versions({ planId, latest, onOpen }: { planId: string; latest: number; onOpen: (v: number) => void }) {
  const api = useApi();
  const versions = useLoad((signal) => api.all("listPlanVersions", { params: { id: planId }, signal }) as Promise<PlanVersionSummary[]>, [api, planId, latest]);
  const [selected, setSelected] = useState<PlanVersionSummary[]>([]);
  const [diff, setDiff] = useState<PlanDiff | null>(null);
  const [error, setError] = useState<unknown>(null);
  const pair = useMemo(() => [...selected].sort((a, b) => a.version - b.version), [selected]);
  const compare = async () => {
    setError(null);
    try {
      setDiff(await api.call("diffPlanVersions", { params: { id: planId, version: String(pair[0].version) }, query: { to: pair[1].version } }));
    } catch (e) {
      setError(e);
    }
  };
  return (
    <SpaceBetween size="l">
      <Table
        header={<Header counter={versions.data ? `(${versions.data.length})` : undefined} description="Choose two versions to compare them."
          actions={<Button onClick={compare} disabled={pair.length !== 2}>Compare</Button>}>Versions</Header>}
        items={versions.data ?? []}
        loading={versions.loading && !versions.data}
        loadingText="Loading versions"
        trackBy="version"
        selectionType="multi"
        selectedItems={selected}
        onSelectionChange={(e) => setSelected(e.detail.selectedItems.slice(-2))}
        ariaLabels={{ tableLabel: "Versions", selectionGroupLabel: "Versions to compare", itemSelectionLabel: (_, v) => `Version ${v.version}`, allItemsSelectionLabel: () => "All versions" }}
        columnDefinitions={[
          { id: "version", header: "Version", cell: (v) => <Link onFollow={(e) => { e.preventDefault(); onOpen(v.version); }}>Version {v.version}{v.version === latest ? " (latest)" : ""}</Link> },
          { id: "author", header: "Author", cell: (v) => v.author ?? "—" },
          { id: "description", header: "What changed", cell: (v) => v.description || "—" },
          { id: "created", header: "Saved", cell: (v) => when(v.created_at) },
        ]}
      />
      <ErrorAlert error={versions.error || error} header="Versions could not be read" />
      {diff && <Container header={<Header variant="h2">Version {diff.from} → version {diff.to}</Header>}><DiffView diff={diff} /></Container>}
    </SpaceBetween>
  );
}

function PlanExecutions({ planId }: { planId: string }) {
  const api = useApi();
  const list = useLoad((signal) => api.call("listExecutions", { query: { plan: planId, limit: 20 }, signal }), [api, planId], { pollMs: 5000 });
  return (
    <Table
      header={<Header description="The last 20.">Executions of this plan</Header>}
      items={list.data?.items ?? []}
      loading={list.loading && !list.data}
      loadingText="Loading executions"
      trackBy="id"
      ariaLabels={{ tableLabel: "Executions of this plan" }}
      empty={<Box textAlign="center">Not run yet.</Box>}
      columnDefinitions={[
        { id: "started", header: "Started", cell: (x) => <RouterLink href={`/executions/${x.id}`}>{when(x.started_at ?? x.created_at)}</RouterLink> },
        { id: "mode", header: "Mode", cell: (x) => x.mode },
        { id: "version", header: "Version", cell: (x) => x.plan_version },
        { id: "status", header: "Status", cell: (x) => <Status status={x.status} /> },
        { id: "by", header: "Started by", cell: (x) => x.started_by ?? "—" },
      ]}
    />
  );
}
