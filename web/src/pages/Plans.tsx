// Recovery plans: the list (name, description, latest version) and the way to write a new one.
import Box from "@cloudscape-design/components/box";
import Header from "@cloudscape-design/components/header";
import Table from "@cloudscape-design/components/table";
import TextFilter from "@cloudscape-design/components/text-filter";
import { useEffect, useState } from "react";
import type { Plan } from "../api/schema.gen";
import { useApi, useAuth } from "../auth/auth";
import { ErrorAlert } from "../components/ErrorAlert";
import { when } from "../components/format";
import { RouterButton, RouterLink } from "../components/RouterLink";
import { useLoad } from "../state/useLoad";

export default function Plans() {
  const api = useApi();
  const { can } = useAuth();
  useEffect(() => { document.title = "Recovery plans · DRS Orchestrator"; }, []);
  const plans = useLoad((signal) => api.all("listPlans", { signal }) as Promise<Plan[]>, [api]);
  const [filter, setFilter] = useState("");
  const items = (plans.data ?? []).filter((p) => !filter || `${p.name} ${p.description ?? ""}`.toLowerCase().includes(filter.toLowerCase()));
  return (
    <>
      <Table
        variant="full-page"
        header={<Header variant="h1" counter={plans.data ? `(${plans.data.length})` : undefined}
          description="Lua scripts that recover an application wave by wave. Open one to edit it, see its waves and versions, or run it."
          actions={can("createPlan") ? <RouterButton href="/plans/new" variant="primary">Write a plan</RouterButton> : undefined}>Recovery plans</Header>}
        loading={plans.loading && !plans.data}
        loadingText="Loading plans"
        items={items}
        trackBy="id"
        ariaLabels={{ tableLabel: "Recovery plans" }}
        filter={<TextFilter filteringText={filter} onChange={(e) => setFilter(e.detail.filteringText)} filteringPlaceholder="Find plans" filteringAriaLabel="Find plans" />}
        empty={<Box textAlign="center" color="inherit"><b>No recovery plans</b></Box>}
        columnDefinitions={[
          { id: "name", header: "Name", cell: (p) => <RouterLink href={`/plans/${p.id}`}>{p.name}</RouterLink> },
          { id: "description", header: "Description", cell: (p) => p.description || "—" },
          { id: "version", header: "Latest version", cell: (p) => p.latest_version },
          { id: "updated", header: "Updated", cell: (p) => when(p.updated_at) },
        ]}
      />
      {plans.error ? <ErrorAlert error={plans.error} header="Plans could not be read" /> : null}
    </>
  );
}
