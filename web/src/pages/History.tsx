// Executions, newest first, with filters (status, plan, mode, time) that go to the API as its query
// parameters, page by page; each row opens the execution, and its report.
import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import DateInput from "@cloudscape-design/components/date-input";
import FormField from "@cloudscape-design/components/form-field";
import Header from "@cloudscape-design/components/header";
import Input from "@cloudscape-design/components/input";
import Multiselect from "@cloudscape-design/components/multiselect";
import Select from "@cloudscape-design/components/select";
import SpaceBetween from "@cloudscape-design/components/space-between";
import Table from "@cloudscape-design/components/table";
import { useEffect, useState } from "react";
import { useSearchParams } from "react-router";
import type { ExecutionSummary } from "../api/schema.gen";
import { useApi } from "../auth/auth";
import { ErrorAlert } from "../components/ErrorAlert";
import { between, duration, when } from "../components/format";
import { RouterLink } from "../components/RouterLink";
import { Status } from "../components/status";
import { useLoad } from "../state/useLoad";

const STATUSES = ["PENDING", "PREFLIGHT", "RUNNING", "PAUSED", "COMPLETED", "PARTIAL", "FAILED", "CANCELLED", "CLEANING_UP", "CLEANED"];
const MODES = [{ value: "", label: "Any mode" }, { value: "drill", label: "Drill" }, { value: "dry-run", label: "Dry run" }, { value: "recovery", label: "Recovery" }];

/** The filters in the page's address as the API's query parameters ("" left out). */
export function historyQuery(p: URLSearchParams) {
  const day = (d: string | null, end: boolean) => (d && /^\d{4}-\d{2}-\d{2}$/.test(d) ? new Date(`${d}T00:00:00`).getTime() + (end ? 86400000 : 0) : null);
  const from = day(p.get("from"), false), to = day(p.get("to"), true);
  return {
    status: p.get("status") || undefined,
    plan: p.get("plan") || undefined,
    mode: (p.get("mode") || undefined) as "drill" | "recovery" | "dry-run" | undefined,
    from: from !== null ? new Date(from).toISOString() : undefined,
    to: to !== null ? new Date(to).toISOString() : undefined,
  };
}

export default function History() {
  const api = useApi();
  const [params, setParams] = useSearchParams();
  const [planText, setPlanText] = useState(params.get("plan") ?? "");
  const [pages, setPages] = useState<string[]>([]);
  useEffect(() => { document.title = "Executions · DRS Orchestrator"; }, []);
  const key = params.toString();
  useEffect(() => setPages([]), [key]);
  const cursor = pages[pages.length - 1];
  const list = useLoad((signal) => api.call("listExecutions", { query: { ...historyQuery(params), limit: 25, cursor }, signal }), [api, key, cursor], { pollMs: 5000 });
  const set = (k: string, v: string) => { const p = new URLSearchParams(params); if (v) p.set(k, v); else p.delete(k); setParams(p, { replace: true }); };
  const statuses = (params.get("status") ?? "").split(",").filter(Boolean);

  return (
    <SpaceBetween size="l">
      <Table
        variant="full-page"
        header={<Header variant="h1" description="Every drill, dry run and recovery, newest first. Open one to follow it or read its report.">Executions</Header>}
        items={list.data?.items ?? []}
        loading={list.loading && !list.data}
        loadingText="Loading executions"
        trackBy="id"
        ariaLabels={{ tableLabel: "Executions" }}
        filter={
          <SpaceBetween direction="horizontal" size="s">
            <FormField label="Status">
              <Multiselect selectedOptions={statuses.map((s) => ({ value: s, label: s }))} options={STATUSES.map((s) => ({ value: s, label: s }))}
                onChange={(e) => set("status", e.detail.selectedOptions.map((o) => o.value).join(","))} placeholder="Any status" ariaLabel="Status" />
            </FormField>
            <FormField label="Plan">
              <form onSubmit={(e) => { e.preventDefault(); set("plan", planText.trim()); }}>
                <Input value={planText} onChange={(e) => setPlanText(e.detail.value)} onBlur={() => set("plan", planText.trim())} placeholder="name or id" ariaLabel="Plan" type="search" />
              </form>
            </FormField>
            <FormField label="Mode">
              <Select selectedOption={MODES.find((m) => m.value === (params.get("mode") ?? "")) ?? MODES[0]} options={MODES} onChange={(e) => set("mode", e.detail.selectedOption.value ?? "")} ariaLabel="Mode" />
            </FormField>
            <FormField label="From (day)">
              <DateInput value={params.get("from") ?? ""} onChange={(e) => set("from", e.detail.value)} placeholder="YYYY/MM/DD" ariaLabel="From day" />
            </FormField>
            <FormField label="To (day)">
              <DateInput value={params.get("to") ?? ""} onChange={(e) => set("to", e.detail.value)} placeholder="YYYY/MM/DD" ariaLabel="To day" />
            </FormField>
            <FormField label=" "><Button onClick={() => { setPlanText(""); setParams({}, { replace: true }); }}>Clear filters</Button></FormField>
          </SpaceBetween>
        }
        pagination={<SpaceBetween direction="horizontal" size="xs">
          <Button disabled={!pages.length} onClick={() => setPages(pages.slice(0, -1))} ariaLabel="Newer executions" iconName="angle-left">Newer</Button>
          <Button disabled={!list.data?.next_cursor} onClick={() => setPages([...pages, list.data!.next_cursor!])} ariaLabel="Older executions" iconName="angle-right">Older</Button>
        </SpaceBetween>}
        empty={<Box textAlign="center" color="inherit"><b>No execution matches</b></Box>}
        columnDefinitions={[
          { id: "started", header: "Started", cell: (x: ExecutionSummary) => <RouterLink href={`/executions/${x.id}`}>{when(x.started_at ?? x.created_at)}</RouterLink> },
          { id: "plan", header: "Plan", cell: (x) => x.plan_name ?? x.plan_id },
          { id: "version", header: "Version", cell: (x) => x.plan_version },
          { id: "mode", header: "Mode", cell: (x) => x.mode },
          { id: "status", header: "Status", cell: (x) => <Status status={x.status} /> },
          { id: "outcome", header: "Outcome", cell: (x) => (x.outcome ? <Status status={x.outcome} /> : "—") },
          { id: "took", header: "Took", cell: (x) => duration(between(x.started_at, x.ended_at)) },
          { id: "by", header: "Started by", cell: (x) => x.started_by ?? "—" },
          { id: "report", header: "Report", cell: (x) => <RouterLink href={`/executions/${x.id}/report`}>Report</RouterLink> },
        ]}
      />
      {list.error ? <ErrorAlert error={list.error} header="Executions could not be read" /> : null}
    </SpaceBetween>
  );
}
