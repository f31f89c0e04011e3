// Dashboard: what is running now (live: refreshed every few seconds), each plan's readiness (its servers'
// replication, its last preflight, its last drill's RTO against the target) and DRS quota use per account and
// region.
import Box from "@cloudscape-design/components/box";
import ColumnLayout from "@cloudscape-design/components/column-layout";
import Container from "@cloudscape-design/components/container";
import ContentLayout from "@cloudscape-design/components/content-layout";
import Header from "@cloudscape-design/components/header";
import ProgressBar from "@cloudscape-design/components/progress-bar";
import SpaceBetween from "@cloudscape-design/components/space-between";
import StatusIndicator from "@cloudscape-design/components/status-indicator";
import Table from "@cloudscape-design/components/table";
import { useEffect } from "react";
import type { Api } from "../api/client";
import type { Execution, ExecutionSummary, Plan, ProtectionGroup, Quotas, SourceServer } from "../api/schema.gen";
import { useApi, useAuth } from "../auth/auth";
import { ErrorAlert } from "../components/ErrorAlert";
import { duration, when } from "../components/format";
import { RouterButton, RouterLink } from "../components/RouterLink";
import { Status } from "../components/status";
import { readinessLevel, replicationOf, scopes, type CompiledWave, type Replication } from "../state/readiness";
import { useLoad } from "../state/useLoad";

const ACTIVE = "PENDING,PREFLIGHT,RUNNING,PAUSED,CLEANING_UP";

interface Running {
  summary: ExecutionSummary;
  view: Execution | null;
}

async function loadRunning(api: Api, signal: AbortSignal): Promise<Running[]> {
  const page = await api.call("listExecutions", { query: { status: ACTIVE, limit: 20 }, signal });
  return Promise.all(page.items.map(async (summary) => ({
    summary,
    view: await api.call("getExecution", { params: { id: summary.id }, signal }).catch(() => null),
  })));
}

interface Readiness {
  plan: Plan;
  replication: Replication | null;
  preflight: { ok: boolean; at: string; failed: number; execution: string } | null;
  drill: Execution | null;
  rtoTargetMs: number | null;
  error: string | null;
}

async function lastPreflight(api: Api, exec: ExecutionSummary | undefined, signal: AbortSignal) {
  if (!exec) return null;
  const page = await api.call("getExecutionEvents", { params: { id: exec.id }, query: { from: 1, limit: 20 }, signal });
  const ev = page.items.find((e) => e.type === "PreflightResult");
  if (!ev) return null;
  const d = ev.data as { ok?: boolean; failed?: number };
  return { ok: !!d.ok, at: ev.at, failed: d.failed ?? 0, execution: exec.id };
}

async function loadReadiness(api: Api, signal: AbortSignal): Promise<Readiness[]> {
  const [plans, groups] = await Promise.all([
    api.all("listPlans", { signal }) as Promise<Plan[]>,
    api.all("listProtectionGroups", { signal }) as Promise<ProtectionGroup[]>,
  ]);
  const servers = new Map<string, Promise<SourceServer[]>>();
  const serversIn = (account?: string, region?: string) => {
    const key = `${account ?? ""}/${region ?? ""}`;
    if (!servers.has(key)) servers.set(key, api.all("listSourceServers", { query: { account, region }, signal }) as Promise<SourceServer[]>);
    return servers.get(key)!;
  };
  return Promise.all(plans.map(async (plan): Promise<Readiness> => {
    try {
      const [version, recent] = await Promise.all([
        api.call("getPlanVersion", { params: { id: plan.id, version: String(plan.latest_version) }, signal }),
        api.call("listExecutions", { query: { plan: plan.id, limit: 50 }, signal }),
      ]);
      const compiled = version.plan as { waves?: CompiledWave[]; rto_target_ms?: number; region?: string; account?: string };
      const waves = compiled.waves ?? [];
      const scope = new Set<string>();
      const all: SourceServer[] = [];
      for (const w of waves) {
        const g = w.servers?.kind === "group" ? groups.find((x) => x.name === w.servers?.group) : undefined;
        const account = g?.account ?? w.account ?? compiled.account;
        const region = g?.region ?? w.region ?? compiled.region;
        const key = `${account ?? ""}/${region ?? ""}`;
        if (scope.has(key)) continue;
        scope.add(key);
        all.push(...(await serversIn(account, region)));
      }
      const drillSummary = recent.items.find((x) => x.mode === "drill" && x.finished);
      const [preflight, drill] = await Promise.all([
        lastPreflight(api, recent.items.find((x) => x.status !== "PENDING"), signal).catch(() => null),
        drillSummary ? api.call("getExecution", { params: { id: drillSummary.id }, signal }) : Promise.resolve(null),
      ]);
      return { plan, replication: replicationOf(waves, all, groups), preflight, drill, rtoTargetMs: compiled.rto_target_ms ?? null, error: null };
    } catch (e) {
      return { plan, replication: null, preflight: null, drill: null, rtoTargetMs: null, error: (e as Error).message };
    }
  }));
}

async function loadQuotas(api: Api, signal: AbortSignal): Promise<(Quotas | { account: string; region: string; error: string })[]> {
  const home = await api.call("getQuotas", { signal });
  const groups = (await api.all("listProtectionGroups", { signal })) as ProtectionGroup[];
  const rest = scopes(groups, home).slice(1);
  const others = await Promise.all(rest.map((s) =>
    api.call("getQuotas", { query: s, signal }).catch((e: Error) => ({ ...s, error: e.message }))));
  return [home, ...others];
}

function progress(v: Execution | null): { value: number; text: string } {
  if (!v || !v.waves.length) return { value: 0, text: "starting" };
  const done = v.waves.filter((w) => ["COMPLETED", "SKIPPED", "FAILED", "CANCELLED"].includes(w.status)).length;
  return { value: Math.round((100 * done) / v.waves.length), text: `${done} of ${v.waves.length} waves done` };
}

export default function Dashboard() {
  const api = useApi();
  const { can } = useAuth();
  useEffect(() => { document.title = "Dashboard · DRS Orchestrator"; }, []);
  const running = useLoad((s) => loadRunning(api, s), [api], { pollMs: 3000 });
  const ready = useLoad((s) => loadReadiness(api, s), [api], { pollMs: 30000 });
  const quotas = useLoad((s) => loadQuotas(api, s), [api], { pollMs: 30000 });

  return (
    <ContentLayout header={<Header variant="h1" description="Running executions, plan readiness and DRS capacity at a glance."
      actions={can("startExecution") ? <RouterButton href="/plans" variant="primary">Run a plan</RouterButton> : undefined}>Dashboard</Header>}>
      <SpaceBetween size="l">
        <Table
          header={<Header counter={running.data ? `(${running.data.length})` : undefined} description="Updated every 3 seconds.">Running now</Header>}
          loading={running.loading && !running.data}
          loadingText="Loading executions"
          items={running.data ?? []}
          trackBy={(r) => r.summary.id}
          variant="container"
          ariaLabels={{ tableLabel: "Running executions" }}
          empty={<Box textAlign="center" color="inherit"><b>Nothing is running</b><Box variant="p" color="inherit">{can("startExecution")
            ? <>Open a <RouterLink href="/plans">recovery plan</RouterLink> and choose Run… to start a drill.</>
            : <>Executions started by an Operator appear here.</>}</Box></Box>}
          columnDefinitions={[
            { id: "plan", header: "Plan", cell: (r) => <RouterLink href={`/executions/${r.summary.id}`}>{r.summary.plan_name ?? r.summary.plan_id}</RouterLink> },
            { id: "mode", header: "Mode", cell: (r) => r.summary.mode },
            { id: "status", header: "Status", cell: (r) => <Status status={r.summary.status} /> },
            { id: "progress", header: "Progress", minWidth: 220, cell: (r) => { const p = progress(r.view); return <ProgressBar value={p.value} additionalInfo={p.text} ariaLabel={`Progress of ${r.summary.plan_name}`} />; } },
            { id: "gates", header: "Waiting for", cell: (r) => { const g = r.view?.gates.filter((x) => x.status === "waiting") ?? []; return g.length ? <StatusIndicator type="warning">approval of {g.map((x) => x.wave).join(", ")}</StatusIndicator> : "—"; } },
            { id: "started", header: "Started", cell: (r) => when(r.summary.started_at ?? r.summary.created_at) },
          ]}
        />
        {running.error ? <ErrorAlert error={running.error} header="Running executions could not be read" /> : null}

        <Table
          header={<Header counter={ready.data ? `(${ready.data.length})` : undefined} description="Each plan's servers as DRS reports them now, its last preflight, and its last drill's recovery time against the plan's target.">Plan readiness</Header>}
          loading={ready.loading && !ready.data}
          loadingText="Checking plans"
          items={ready.data ?? []}
          trackBy={(r) => r.plan.id}
          variant="container"
          ariaLabels={{ tableLabel: "Plan readiness" }}
          wrapLines
          empty={<Box textAlign="center" color="inherit"><b>No recovery plans</b>{can("createPlan") ? <Box variant="p" color="inherit"><RouterLink href="/plans/new">Write a plan</RouterLink></Box> : null}</Box>}
          columnDefinitions={[
            { id: "plan", header: "Plan", minWidth: 140, cell: (r) => <RouterLink href={`/plans/${r.plan.id}`}>{r.plan.name}</RouterLink> },
            { id: "ready", header: "Readiness", minWidth: 220, cell: (r) => {
              if (r.error || !r.replication) return <StatusIndicator type="error">{r.error ?? "unknown"}</StatusIndicator>;
              const level = readinessLevel(r.replication, r.preflight ? r.preflight.ok : null);
              const why = r.replication.problems[0] ?? (r.replication.unhealthy.length ? `${r.replication.unhealthy.length} not replicating` : r.preflight === null ? "no preflight yet" : r.preflight.ok ? "ready" : "last preflight failed");
              return <StatusIndicator type={level === "ok" ? "success" : level}>{why}</StatusIndicator>;
            } },
            { id: "replication", header: "Replication", minWidth: 160, cell: (r) => r.replication ? <span className="num">{r.replication.healthy} of {r.replication.total} healthy{r.replication.maxLagSeconds !== null ? `, lag ≤ ${duration(r.replication.maxLagSeconds * 1000)}` : ""}</span> : "—" },
            { id: "preflight", header: "Last preflight", minWidth: 170, cell: (r) => r.preflight ? <RouterLink href={`/executions/${r.preflight.execution}`}>{r.preflight.ok ? "passed" : `${r.preflight.failed} failed`} · {when(r.preflight.at)}</RouterLink> : "never" },
            { id: "rto", header: "Last drill RTO / target", minWidth: 170, cell: (r) => {
              const rto = r.drill?.rto;
              if (!r.drill) return r.rtoTargetMs ? `no drill yet / ${duration(r.rtoTargetMs)}` : "no drill yet";
              const text = `${duration(rto?.actual_ms)} / ${duration(rto?.target_ms ?? r.rtoTargetMs)}`;
              return <RouterLink href={`/executions/${r.drill.id}`}><StatusIndicator type={rto?.met === false ? "error" : rto?.met ? "success" : "info"}>{text}</StatusIndicator></RouterLink>;
            } },
          ]}
        />
        {ready.error ? <ErrorAlert error={ready.error} header="Plans could not be read" /> : null}

        <Container header={<Header variant="h2" description="DRS service quotas and their current use, per target account and region.">DRS capacity</Header>}>
          {quotas.error ? <ErrorAlert error={quotas.error} header="Quotas could not be read" /> : null}
          {quotas.loading && !quotas.data ? <StatusIndicator type="loading">Reading quotas</StatusIndicator> : null}
          <SpaceBetween size="l">
            {(quotas.data ?? []).map((q) => (
              <section key={`${q.account}/${q.region}`} aria-label={`Quotas of ${q.account} in ${q.region}`}>
                <Box variant="h3">{q.account} · {q.region}</Box>
                {"error" in q ? <StatusIndicator type="error">{q.error}</StatusIndicator> : (
                  <ColumnLayout columns={3} variant="text-grid">
                    {q.quotas.filter((x) => x.value !== null).map((x) => (
                      <ProgressBar key={x.name} label={x.name} value={x.value ? Math.min(100, Math.round((100 * (x.usage ?? 0)) / x.value)) : 0}
                        description={x.usage === null ? "use not reported" : undefined}
                        additionalInfo={`${x.usage ?? "?"} of ${x.value}${x.adjustable ? " (adjustable)" : ""}`} />
                    ))}
                  </ColumnLayout>
                )}
              </section>
            ))}
          </SpaceBetween>
        </Container>
      </SpaceBetween>
    </ContentLayout>
  );
}
