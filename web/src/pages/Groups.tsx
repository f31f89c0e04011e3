// Protection groups: the list, and deleting one (refused by the server, in its words, while a plan in use
// names it).
import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import Header from "@cloudscape-design/components/header";
import Modal from "@cloudscape-design/components/modal";
import SpaceBetween from "@cloudscape-design/components/space-between";
import Table from "@cloudscape-design/components/table";
import TextFilter from "@cloudscape-design/components/text-filter";
import { useEffect, useState } from "react";
import type { ProtectionGroup } from "../api/schema.gen";
import { useApi, useAuth } from "../auth/auth";
import { ErrorAlert } from "../components/ErrorAlert";
import { plural, tagText, when } from "../components/format";
import { RouterButton, RouterLink } from "../components/RouterLink";
import { useLoad } from "../state/useLoad";

export function selectorText(g: Pick<ProtectionGroup, "selector">): string {
  if (g.selector.server_ids) return plural(g.selector.server_ids.length, "server") + " by id";
  return `tags ${tagText(g.selector.tags)}`;
}

export default function Groups() {
  const api = useApi();
  const { can } = useAuth();
  useEffect(() => { document.title = "Protection groups · DRS Orchestrator"; }, []);
  const groups = useLoad((signal) => api.all("listProtectionGroups", { signal }) as Promise<ProtectionGroup[]>, [api]);
  const [filter, setFilter] = useState("");
  const [selected, setSelected] = useState<ProtectionGroup[]>([]);
  const [confirm, setConfirm] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const items = (groups.data ?? []).filter((g) => !filter || `${g.name} ${g.account} ${g.region} ${selectorText(g)}`.toLowerCase().includes(filter.toLowerCase()));

  const remove = async () => {
    setBusy(true);
    setError(null);
    try {
      for (const g of selected) await api.call("deleteProtectionGroup", { params: { id: g.id }, ifMatch: g.version });
      setConfirm(false);
      setSelected([]);
      await groups.reload();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <SpaceBetween size="l">
      <Table
        variant="full-page"
        header={
          <Header variant="h1" counter={groups.data ? `(${groups.data.length})` : undefined}
            description="Sets of DRS source servers in one account and region: by tag query or by id. A wave of a plan takes a group by name."
            actions={can("createProtectionGroup") || can("deleteProtectionGroup") ? (
              <SpaceBetween direction="horizontal" size="xs">
                {can("deleteProtectionGroup") && <Button disabled={!selected.length} onClick={() => { setError(null); setConfirm(true); }}>Delete</Button>}
                {can("createProtectionGroup") && <RouterButton href="/groups/new" variant="primary">Create group</RouterButton>}
              </SpaceBetween>
            ) : undefined}>
            Protection groups
          </Header>
        }
        loading={groups.loading && !groups.data}
        loadingText="Loading groups"
        items={items}
        trackBy="id"
        selectionType={can("deleteProtectionGroup") ? "single" : undefined}
        selectedItems={selected}
        onSelectionChange={(e) => setSelected(e.detail.selectedItems)}
        ariaLabels={{ tableLabel: "Protection groups", selectionGroupLabel: "Select a group", itemSelectionLabel: (_, g) => `Select ${g.name}`, allItemsSelectionLabel: () => "Select all" }}
        filter={<TextFilter filteringText={filter} onChange={(e) => setFilter(e.detail.filteringText)} filteringPlaceholder="Find groups" filteringAriaLabel="Find groups" />}
        empty={<Box textAlign="center" color="inherit"><b>No protection groups</b><Box variant="p" color="inherit">Create one from the servers DRS replicates.</Box></Box>}
        columnDefinitions={[
          { id: "name", header: "Name", cell: (g) => <RouterLink href={`/groups/${g.id}`}>{g.name}</RouterLink>, sortingField: "name" },
          { id: "account", header: "Account", cell: (g) => g.account },
          { id: "region", header: "Region", cell: (g) => g.region },
          { id: "selector", header: "Servers", cell: (g) => selectorText(g) },
          { id: "version", header: "Version", cell: (g) => g.version },
          { id: "updated", header: "Updated", cell: (g) => when(g.updated_at) },
        ]}
      />
      {groups.error ? <ErrorAlert error={groups.error} header="Groups could not be read" /> : null}
      {can("deleteProtectionGroup") && <Modal visible={confirm} onDismiss={() => setConfirm(false)} header={`Delete ${selected[0]?.name ?? "group"}?`}
        footer={<Box float="right"><SpaceBetween direction="horizontal" size="xs">
          <Button variant="link" onClick={() => setConfirm(false)}>Keep it</Button>
          <Button variant="primary" loading={busy} onClick={remove}>Delete</Button>
        </SpaceBetween></Box>}>
        <SpaceBetween size="m">
          <Box>The group is removed; its servers keep replicating. A plan that names it will no longer validate.</Box>
          <ErrorAlert error={error} header="The group was not deleted" />
        </SpaceBetween>
      </Modal>}
    </SpaceBetween>
  );
}
