// The protection group form (create and edit): name, account and region, and the servers: a tag query with
// a live preview of what it matches in DRS now, or servers picked from the discovered list. Servers already
// in another group are shown as conflicts before saving; the server's answer (409 naming the other group,
// 422 naming the field) is shown on the form.
import AttributeEditor from "@cloudscape-design/components/attribute-editor";
import Alert from "@cloudscape-design/components/alert";
import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import Container from "@cloudscape-design/components/container";
import Form from "@cloudscape-design/components/form";
import FormField from "@cloudscape-design/components/form-field";
import Header from "@cloudscape-design/components/header";
import Input from "@cloudscape-design/components/input";
import SegmentedControl from "@cloudscape-design/components/segmented-control";
import Select from "@cloudscape-design/components/select";
import SpaceBetween from "@cloudscape-design/components/space-between";
import StatusIndicator from "@cloudscape-design/components/status-indicator";
import Table from "@cloudscape-design/components/table";
import TextFilter from "@cloudscape-design/components/text-filter";
import { useEffect, useMemo, useState } from "react";
import type { Account, ProtectionGroup, ProtectionGroupInput, SourceServer } from "../api/schema.gen";
import { useApi } from "../auth/auth";
import { ErrorAlert, problemsOf } from "../components/ErrorAlert";
import { tagText } from "../components/format";
import { Status } from "../components/status";
import { useLoad } from "../state/useLoad";

export interface TagRow { key: string; value: string }

/** The tag rows as the API's tags object (empty keys left out); the filters as ?tag=K=V. */
export function tagsOf(rows: TagRow[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const r of rows) if (r.key.trim()) out[r.key.trim()] = r.value;
  return out;
}

/** Servers already in a group other than `self`: what saving would conflict with. */
export function conflictsOf(servers: SourceServer[], self: string): { server: SourceServer; groups: string[] }[] {
  return servers
    .map((server) => ({ server, groups: (server.groups ?? []).filter((g) => g !== self) }))
    .filter((c) => c.groups.length > 0);
}

function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setV(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return v;
}

export function GroupForm({ initial, onSaved, onCancel }: { initial?: ProtectionGroup; onSaved: (g: ProtectionGroup) => void; onCancel: () => void }) {
  const api = useApi();
  const [name, setName] = useState(initial?.name ?? "");
  const [account, setAccount] = useState(initial?.account ?? "");
  const [region, setRegion] = useState(initial?.region ?? "");
  const [mode, setMode] = useState<"tags" | "ids">(initial?.selector.server_ids ? "ids" : "tags");
  const [rows, setRows] = useState<TagRow[]>(
    initial?.selector.tags ? Object.entries(initial.selector.tags).map(([key, value]) => ({ key, value })) : [{ key: "", value: "" }]);
  const [picked, setPicked] = useState<string[]>(initial?.selector.server_ids ?? []);
  const [find, setFind] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const home = useLoad((signal) => api.call("getQuotas", { signal }), [api]);
  const accounts = useLoad((signal) => api.all("listAccounts", { signal }).catch(() => []) as Promise<Account[]>, [api]);
  useEffect(() => {
    if (home.data && !account) setAccount(home.data.account);
    if (home.data && !region) setRegion(home.data.region);
  }, [home.data, account, region]);

  const tags = useDebounced(JSON.stringify(tagsOf(rows)), 300);
  const scopeOk = /^[0-9]{12}$/.test(account) && /^[a-z]{2}(-[a-z]+)+-[0-9]+$/.test(region);
  const preview = useLoad(async (signal) => {
    if (!scopeOk) return [] as SourceServer[];
    const t = JSON.parse(tags) as Record<string, string>;
    if (mode === "tags" && !Object.keys(t).length) return [] as SourceServer[];
    const tag = mode === "tags" ? Object.entries(t).map(([k, v]) => `${k}=${v}`) : undefined;
    return api.all("listSourceServers", { query: { account, region, tag }, signal }) as Promise<SourceServer[]>;
  }, [api, account, region, mode, tags, scopeOk]);

  const servers = preview.data ?? [];
  const taken = mode === "tags" ? servers : servers.filter((s) => picked.includes(s.id));
  const conflicts = conflictsOf(taken, initial?.name ?? name);
  const shown = useMemo(() => servers.filter((s) => !find || `${s.id} ${s.hostname ?? ""} ${tagText(s.tags)}`.toLowerCase().includes(find.toLowerCase())), [servers, find]);

  const accountOptions = [
    ...(home.data ? [{ value: home.data.account, label: home.data.account, description: "this engine's home account" }] : []),
    ...(accounts.data ?? []).filter((a) => a.account_id !== home.data?.account).map((a) => ({ value: a.account_id, label: a.account_id, description: a.name ?? undefined })),
  ];
  const fieldError = (field: string) => problemsOf(error).find((p) => p.path?.startsWith(`body.${field}`))?.message;

  const save = async () => {
    setBusy(true);
    setError(null);
    const body: ProtectionGroupInput = {
      name, account, region,
      selector: mode === "tags" ? { tags: tagsOf(rows) } : { server_ids: picked },
      ...(initial?.launch_overrides ? { launch_overrides: initial.launch_overrides } : {}),
    };
    try {
      const g = initial
        ? await api.call("updateProtectionGroup", { params: { id: initial.id }, body, ifMatch: initial.version })
        : await api.call("createProtectionGroup", { body });
      onSaved(g);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form onSubmit={(e) => { e.preventDefault(); save(); }}>
      <Form
        actions={<SpaceBetween direction="horizontal" size="xs">
          <Button formAction="none" variant="link" onClick={onCancel}>Cancel</Button>
          <Button variant="primary" formAction="submit" loading={busy}>{initial ? "Save changes" : "Create group"}</Button>
        </SpaceBetween>}
      >
        <SpaceBetween size="l">
          <Container header={<Header variant="h2">Group</Header>}>
            <SpaceBetween size="m">
              <FormField label="Name" description="Plans name the group in a wave: servers = group &quot;name&quot;." errorText={fieldError("name")}>
                <Input value={name} onChange={(e) => setName(e.detail.value)} ariaLabel="Group name" placeholder="orders-web" />
              </FormField>
              <SpaceBetween direction="horizontal" size="l">
                <FormField label="Account" errorText={fieldError("account")}>
                  <Select selectedOption={accountOptions.find((o) => o.value === account) ?? (account ? { value: account, label: account } : null)}
                    options={accountOptions} onChange={(e) => setAccount(e.detail.selectedOption.value ?? "")} ariaLabel="Account" placeholder="Choose an account" />
                </FormField>
                <FormField label="Region" errorText={fieldError("region")}>
                  <Input value={region} onChange={(e) => setRegion(e.detail.value)} ariaLabel="Region" placeholder="us-east-1" />
                </FormField>
              </SpaceBetween>
            </SpaceBetween>
          </Container>

          <Container header={<Header variant="h2" description="A tag query is resolved again when each execution starts; ids are fixed.">Servers</Header>}>
            <SpaceBetween size="m">
              <SegmentedControl label="How the group takes its servers" selectedId={mode} onChange={(e) => setMode(e.detail.selectedId as "tags" | "ids")}
                options={[{ id: "tags", text: "Tag query" }, { id: "ids", text: "Pick servers" }]} />
              {mode === "tags" && (
                <AttributeEditor
                  items={rows}
                  onAddButtonClick={() => setRows([...rows, { key: "", value: "" }])}
                  onRemoveButtonClick={(e) => setRows(rows.filter((_, i) => i !== e.detail.itemIndex))}
                  addButtonText="Add tag"
                  removeButtonText="Remove"
                  empty="No tag: add one"
                  definition={[
                    { label: "Tag key", control: (r, i) => <Input value={r.key} ariaLabel={`Tag key ${i + 1}`} placeholder="Tier" onChange={(e) => setRows(rows.map((x, j) => (j === i ? { ...x, key: e.detail.value } : x)))} /> },
                    { label: "Value", control: (r, i) => <Input value={r.value} ariaLabel={`Tag value ${i + 1}`} placeholder="web" onChange={(e) => setRows(rows.map((x, j) => (j === i ? { ...x, value: e.detail.value } : x)))} /> },
                  ]}
                />
              )}
              {conflicts.length > 0 && (
                <Alert type="warning" header={`${conflicts.length} of these servers ${conflicts.length === 1 ? "is" : "are"} already in another group`}>
                  <div data-testid="conflicts">
                    {conflicts.slice(0, 8).map((c) => <div key={c.server.id}>{c.server.hostname ?? c.server.id} is in {c.groups.map((g) => `'${g}'`).join(", ")}</div>)}
                    {conflicts.length > 8 && <div>and {conflicts.length - 8} more</div>}
                  </div>
                  <Box variant="small">A server belongs to one group: the server refuses a group of ids that another group of ids already takes. Narrow the query, or change the other group.</Box>
                </Alert>
              )}
              <Table
                header={<Header variant="h3" counter={mode === "tags" ? `(${servers.length})` : `(${picked.length} picked of ${servers.length})`}
                  description={mode === "tags" ? "What the query matches in DRS now." : "Choose the servers the group takes."}>
                  {mode === "tags" ? "Matching servers" : "Discovered servers"}
                </Header>}
                variant="embedded"
                loading={preview.loading}
                loadingText="Asking DRS"
                items={shown}
                trackBy="id"
                selectionType={mode === "ids" ? "multi" : undefined}
                selectedItems={servers.filter((s) => picked.includes(s.id))}
                onSelectionChange={(e) => setPicked(e.detail.selectedItems.map((s) => s.id))}
                ariaLabels={{ tableLabel: "Servers", selectionGroupLabel: "Pick servers", itemSelectionLabel: (_, s) => `Pick ${s.hostname ?? s.id}`, allItemsSelectionLabel: () => "Pick all shown" }}
                filter={mode === "ids" ? <TextFilter filteringText={find} onChange={(e) => setFind(e.detail.filteringText)} filteringPlaceholder="Find by name, id or tag" filteringAriaLabel="Find servers" /> : undefined}
                empty={<Box textAlign="center" color="inherit">{!scopeOk ? "Choose the account and region." : mode === "tags" && !Object.keys(tagsOf(rows)).length ? "Add a tag to see what it matches." : "No server matches."}</Box>}
                columnDefinitions={[
                  { id: "host", header: "Hostname", cell: (s) => s.hostname ?? "—" },
                  { id: "id", header: "Source server", cell: (s) => <span className="mono">{s.id}</span> },
                  { id: "tags", header: "Tags", cell: (s) => tagText(s.tags) },
                  { id: "repl", header: "Replication", cell: (s) => <Status status={s.replication_state === "CONTINUOUS" ? "COMPLETED" : "PAUSED"}>{s.replication_state?.toLowerCase() ?? "unknown"}</Status> },
                  { id: "groups", header: "In group", cell: (s) => (s.groups?.length ? s.groups.join(", ") : "—") },
                ]}
              />
              {preview.error ? <ErrorAlert error={preview.error} header="DRS could not be asked" /> : null}
              {!preview.loading && !preview.error && scopeOk && <StatusIndicator type="info">Listings are cached by the server for 30 seconds.</StatusIndicator>}
            </SpaceBetween>
          </Container>
          <ErrorAlert error={error} header="The group was not saved" />
        </SpaceBetween>
      </Form>
    </form>
  );
}
