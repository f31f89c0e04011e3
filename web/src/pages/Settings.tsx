// Settings: target accounts (added after the server has assumed their role), local users and API tokens (a
// new token is shown once), notification targets (the SNS topics each plan's latest version notifies, with
// the events), and the audit log. Admin-only parts are hidden from other roles (and refused by the server).
import Alert from "@cloudscape-design/components/alert";
import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import Container from "@cloudscape-design/components/container";
import ContentLayout from "@cloudscape-design/components/content-layout";
import CopyToClipboard from "@cloudscape-design/components/copy-to-clipboard";
import Form from "@cloudscape-design/components/form";
import FormField from "@cloudscape-design/components/form-field";
import Header from "@cloudscape-design/components/header";
import Input from "@cloudscape-design/components/input";
import Modal from "@cloudscape-design/components/modal";
import Select from "@cloudscape-design/components/select";
import SpaceBetween from "@cloudscape-design/components/space-between";
import Table from "@cloudscape-design/components/table";
import Tabs from "@cloudscape-design/components/tabs";
import { useEffect, useState, type ReactNode } from "react";
import { useNavigate, useParams } from "react-router";
import type { Account, AuditEntry, Plan, RoleName, Token, TokenCreated, User } from "../api/schema.gen";
import { useApi, useAuth } from "../auth/auth";
import { ErrorAlert } from "../components/ErrorAlert";
import { when } from "../components/format";
import { Status } from "../components/status";
import { useLoad } from "../state/useLoad";

const ROLES: RoleName[] = ["Viewer", "Approver", "Operator", "PlanAuthor", "Admin"];
const ROLE_TEXT: Record<RoleName, string> = {
  Viewer: "reads everything", Approver: "opens approval gates", Operator: "starts, controls and approves executions",
  PlanAuthor: "writes groups and plans", Admin: "everything, with users, tokens, accounts and the audit log",
};
const roleOptions = ROLES.map((r) => ({ value: r, label: r, description: ROLE_TEXT[r] }));

/** A small "add" form in a modal: its fields, the call, the server's refusal shown inside. */
function AddDialog({ title, visible, onDismiss, submit, children, submitText }: { title: string; visible: boolean; onDismiss: () => void; submit: () => Promise<void>; children: ReactNode; submitText: string }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => { if (visible) setError(null); }, [visible]);
  return (
    <Modal visible={visible} onDismiss={onDismiss} header={title}>
      <form onSubmit={async (e) => {
        e.preventDefault();
        setBusy(true);
        setError(null);
        try { await submit(); } catch (x) { setError(x); } finally { setBusy(false); }
      }}>
        <Form actions={<SpaceBetween direction="horizontal" size="xs"><Button formAction="none" variant="link" onClick={onDismiss}>Cancel</Button><Button variant="primary" formAction="submit" loading={busy}>{submitText}</Button></SpaceBetween>}>
          <SpaceBetween size="m">{children}<ErrorAlert error={error} header="Not done" /></SpaceBetween>
        </Form>
      </form>
    </Modal>
  );
}

function Accounts() {
  const api = useApi();
  const { can } = useAuth();
  const list = useLoad((signal) => api.all("listAccounts", { signal }) as Promise<Account[]>, [api]);
  const [adding, setAdding] = useState(false);
  const [f, setF] = useState({ account_id: "", name: "", role_arn: "", external_id: "" });
  const [selected, setSelected] = useState<Account[]>([]);
  const [error, setError] = useState<unknown>(null);
  return (
    <SpaceBetween size="m">
      <Table
        header={<Header counter={list.data ? `(${list.data.length})` : undefined} description="Accounts other than the engine's own, reached by assuming a role (with an external id)."
          actions={can("createAccount") ? <SpaceBetween direction="horizontal" size="xs">
            <Button disabled={!selected.length} onClick={async () => { setError(null); try { await api.call("deleteAccount", { params: { account_id: selected[0].account_id } }); setSelected([]); list.reload(); } catch (e) { setError(e); } }}>Remove</Button>
            <Button variant="primary" onClick={() => setAdding(true)}>Add account</Button>
          </SpaceBetween> : undefined}>Target accounts</Header>}
        items={list.data ?? []} loading={list.loading && !list.data} loadingText="Loading accounts" trackBy="account_id"
        selectionType={can("deleteAccount") ? "single" : undefined} selectedItems={selected} onSelectionChange={(e) => setSelected(e.detail.selectedItems)}
        ariaLabels={{ tableLabel: "Target accounts", selectionGroupLabel: "Accounts", itemSelectionLabel: (_, a) => `Select ${a.account_id}`, allItemsSelectionLabel: () => "All" }}
        empty={<Box textAlign="center">Only the engine's own account. Add one to recover servers replicated in another account.</Box>}
        columnDefinitions={[
          { id: "id", header: "Account", cell: (a) => a.account_id },
          { id: "name", header: "Name", cell: (a) => a.name ?? "—" },
          { id: "role", header: "Role", cell: (a) => <span className="mono">{a.role_arn}</span> },
          { id: "caller", header: "Assumed as", cell: (a) => a.caller_arn ?? "—" },
          { id: "validated", header: "Checked", cell: (a) => when(a.validated_at) },
        ]}
      />
      <ErrorAlert error={list.error || error} header="Accounts" />
      <AddDialog title="Add a target account" visible={adding} onDismiss={() => setAdding(false)} submitText="Check and add"
        submit={async () => {
          await api.call("createAccount", { body: { account_id: f.account_id, role_arn: f.role_arn, ...(f.name ? { name: f.name } : {}), ...(f.external_id ? { external_id: f.external_id } : {}) } });
          setAdding(false);
          setF({ account_id: "", name: "", role_arn: "", external_id: "" });
          list.reload();
        }}>
        <Box>The server assumes the role and asks STS who it is before adding the account; AWS's answer is shown if that fails.</Box>
        <FormField label="Account id"><Input value={f.account_id} onChange={(e) => setF({ ...f, account_id: e.detail.value })} ariaLabel="Account id" placeholder="444455556666" /></FormField>
        <FormField label="Name (optional)"><Input value={f.name} onChange={(e) => setF({ ...f, name: e.detail.value })} ariaLabel="Account name" /></FormField>
        <FormField label="Role ARN"><Input value={f.role_arn} onChange={(e) => setF({ ...f, role_arn: e.detail.value })} ariaLabel="Role ARN" placeholder="arn:aws:iam::444455556666:role/DRSOrchestratorCrossAccount" /></FormField>
        <FormField label="External id (optional)"><Input value={f.external_id} onChange={(e) => setF({ ...f, external_id: e.detail.value })} ariaLabel="External id" /></FormField>
      </AddDialog>
    </SpaceBetween>
  );
}

function Users() {
  const api = useApi();
  const list = useLoad((signal) => api.all("listUsers", { signal }) as Promise<User[]>, [api]);
  const [adding, setAdding] = useState(false);
  const [f, setF] = useState({ name: "", role: "Operator" as RoleName, password: "" });
  const [error, setError] = useState<unknown>(null);
  const update = async (u: User, body: { role?: RoleName; disabled?: boolean }) => {
    setError(null);
    try { await api.call("updateUser", { params: { id: u.id }, body }); list.reload(); } catch (e) { setError(e); }
  };
  return (
    <SpaceBetween size="m">
      <Table
        header={<Header counter={list.data ? `(${list.data.length})` : undefined} description="People who sign in to the console with a name and password."
          actions={<Button variant="primary" onClick={() => setAdding(true)}>Add user</Button>}>Users</Header>}
        items={list.data ?? []} loading={list.loading && !list.data} loadingText="Loading users" trackBy="id"
        ariaLabels={{ tableLabel: "Users" }}
        empty={<Box textAlign="center">No local users.</Box>}
        columnDefinitions={[
          { id: "name", header: "Name", cell: (u) => u.name },
          { id: "role", header: "Role", cell: (u) => <Select selectedOption={roleOptions.find((o) => o.value === u.role) ?? null} options={roleOptions} ariaLabel={`Role of ${u.name}`} expandToViewport onChange={(e) => update(u, { role: e.detail.selectedOption.value as RoleName })} /> , minWidth: 160 },
          { id: "state", header: "State", cell: (u) => <Status status={u.disabled ? "CANCELLED" : "COMPLETED"}>{u.disabled ? "disabled" : "active"}</Status> },
          { id: "last", header: "Last sign-in", cell: (u) => when(u.last_login_at) },
          { id: "act", header: "Actions", cell: (u) => <Button variant="inline-link" onClick={() => update(u, { disabled: !u.disabled })} ariaLabel={`${u.disabled ? "Enable" : "Disable"} ${u.name}`}>{u.disabled ? "Enable" : "Disable"}</Button> },
        ]}
      />
      <ErrorAlert error={list.error || error} header="Users" />
      <AddDialog title="Add a user" visible={adding} onDismiss={() => setAdding(false)} submitText="Add user"
        submit={async () => { await api.call("createUser", { body: f }); setAdding(false); setF({ name: "", role: "Operator", password: "" }); list.reload(); }}>
        <FormField label="Name"><Input value={f.name} onChange={(e) => setF({ ...f, name: e.detail.value })} ariaLabel="User name" autoComplete={false} /></FormField>
        <FormField label="Role"><Select selectedOption={roleOptions.find((o) => o.value === f.role)!} options={roleOptions} onChange={(e) => setF({ ...f, role: e.detail.selectedOption.value as RoleName })} ariaLabel="Role" /></FormField>
        <FormField label="Password" description="At least 12 characters."><Input type="password" value={f.password} onChange={(e) => setF({ ...f, password: e.detail.value })} ariaLabel="Password" autoComplete="new-password" /></FormField>
      </AddDialog>
    </SpaceBetween>
  );
}

function Tokens() {
  const api = useApi();
  const list = useLoad((signal) => api.all("listTokens", { signal }) as Promise<Token[]>, [api]);
  const [adding, setAdding] = useState(false);
  const [f, setF] = useState({ name: "", role: "Operator" as RoleName, expires_in: "90d" });
  const [created, setCreated] = useState<TokenCreated | null>(null);
  const [error, setError] = useState<unknown>(null);
  return (
    <SpaceBetween size="m">
      {created && (
        <Alert type="success" header={`Token ${created.name} created: copy it now, it is not shown again`} dismissible onDismiss={() => setCreated(null)}>
          <SpaceBetween size="xs">
            <span className="secret" data-testid="new-token">{created.token}</span>
            <CopyToClipboard textToCopy={created.token} copyButtonText="Copy token" copySuccessText="Token copied" copyErrorText="Could not copy: select and copy it" />
            <Box variant="small">Send it as Authorization: Bearer &lt;token&gt;. Role {created.role}{created.expires_at ? `, expires ${when(created.expires_at)}` : ", no expiry"}.</Box>
          </SpaceBetween>
        </Alert>
      )}
      <Table
        header={<Header counter={list.data ? `(${list.data.length})` : undefined} description="For automation: each has one role; only a prefix is kept visible."
          actions={<Button variant="primary" onClick={() => setAdding(true)}>Create token</Button>}>API tokens</Header>}
        items={list.data ?? []} loading={list.loading && !list.data} loadingText="Loading tokens" trackBy="id"
        ariaLabels={{ tableLabel: "API tokens" }}
        empty={<Box textAlign="center">No tokens.</Box>}
        columnDefinitions={[
          { id: "name", header: "Name", cell: (t) => t.name },
          { id: "prefix", header: "Token", cell: (t) => <span className="mono">{t.prefix}…</span> },
          { id: "role", header: "Role", cell: (t) => t.role },
          { id: "status", header: "Status", cell: (t) => <Status status={t.status === "active" ? "COMPLETED" : "CANCELLED"}>{t.status}</Status> },
          { id: "expires", header: "Expires", cell: (t) => when(t.expires_at) },
          { id: "used", header: "Last used", cell: (t) => when(t.last_used_at) },
          { id: "act", header: "Actions", cell: (t) => t.status === "active" ? <Button variant="inline-link" ariaLabel={`Revoke ${t.name}`} onClick={async () => { setError(null); try { await api.call("revokeToken", { params: { id: t.id } }); list.reload(); } catch (e) { setError(e); } }}>Revoke</Button> : "—" },
        ]}
      />
      <ErrorAlert error={list.error || error} header="Tokens" />
      <AddDialog title="Create an API token" visible={adding} onDismiss={() => setAdding(false)} submitText="Create token"
        submit={async () => { const t = await api.call("createToken", { body: { name: f.name, role: f.role, ...(f.expires_in ? { expires_in: f.expires_in } : {}) } }); setCreated(t); setAdding(false); setF({ name: "", role: "Operator", expires_in: "90d" }); list.reload(); }}>
        <FormField label="Name"><Input value={f.name} onChange={(e) => setF({ ...f, name: e.detail.value })} ariaLabel="Token name" placeholder="ci" /></FormField>
        <FormField label="Role"><Select selectedOption={roleOptions.find((o) => o.value === f.role)!} options={roleOptions} onChange={(e) => setF({ ...f, role: e.detail.selectedOption.value as RoleName })} ariaLabel="Token role" /></FormField>
        <FormField label="Expires in" description="A duration (90d, 12h); empty: never."><Input value={f.expires_in} onChange={(e) => setF({ ...f, expires_in: e.detail.value })} ariaLabel="Expires in" /></FormField>
      </AddDialog>
    </SpaceBetween>
  );
}

interface Target { topic: string; plan: string; planId: string; events: string[] }

function Notifications() {
  const api = useApi();
  const list = useLoad(async (signal) => {
    const plans = (await api.all("listPlans", { signal })) as Plan[];
    const out: Target[] = [];
    for (const p of plans) {
      const v = await api.call("getPlanVersion", { params: { id: p.id, version: String(p.latest_version) }, signal });
      const n = (v.plan as { notify?: { sns?: string[] | string; events?: string[] } }).notify;
      const topics = Array.isArray(n?.sns) ? n!.sns : n?.sns ? [n.sns] : [];
      for (const t of topics) out.push({ topic: t, plan: p.name, planId: p.id, events: n?.events ?? [] });
    }
    return out;
  }, [api]);
  return (
    <SpaceBetween size="m">
      <Table
        header={<Header counter={list.data ? `(${list.data.length})` : undefined} description="Where executions are announced: the SNS topics each plan names in notify = { sns = ..., events = ... } (its latest version). Change them in the plan.">Notification targets</Header>}
        items={list.data ?? []} loading={list.loading && !list.data} loadingText="Reading plans" trackBy={(t) => `${t.planId}/${t.topic}`}
        ariaLabels={{ tableLabel: "Notification targets" }}
        empty={<Box textAlign="center">No plan notifies anyone.</Box>}
        columnDefinitions={[
          { id: "topic", header: "SNS topic", cell: (t) => <span className="mono">{t.topic}</span> },
          { id: "plan", header: "Plan", cell: (t) => t.plan },
          { id: "events", header: "Events", cell: (t) => (t.events.length ? t.events.join(", ") : "every event (execution started, waves, approvals, end, clean-up)") },
        ]}
      />
      <ErrorAlert error={list.error} header="Plans could not be read" />
    </SpaceBetween>
  );
}

function Audit() {
  const api = useApi();
  const [actor, setActor] = useState("");
  const [action, setAction] = useState("");
  const [applied, setApplied] = useState({ actor: "", action: "" });
  const list = useLoad((signal) => api.call("listAudit", { query: { actor: applied.actor || undefined, action: applied.action || undefined, limit: 100 }, signal }), [api, applied.actor, applied.action]);
  return (
    <SpaceBetween size="m">
      <Table
        header={<Header description="Every change made through the API: who, what, when, from where. Newest first (100 at a time).">Audit log</Header>}
        filter={<form onSubmit={(e) => { e.preventDefault(); setApplied({ actor, action }); }}>
          <SpaceBetween direction="horizontal" size="s">
            <Input value={actor} onChange={(e) => setActor(e.detail.value)} placeholder="Actor" ariaLabel="Actor" type="search" />
            <Input value={action} onChange={(e) => setAction(e.detail.value)} placeholder="Action (execution.start)" ariaLabel="Action" type="search" />
            <Button formAction="submit">Filter</Button>
          </SpaceBetween>
        </form>}
        items={list.data?.items ?? []} loading={list.loading && !list.data} loadingText="Loading the audit log" trackBy="id"
        ariaLabels={{ tableLabel: "Audit log" }}
        empty={<Box textAlign="center">No entries.</Box>}
        columnDefinitions={[
          { id: "at", header: "When", cell: (a: AuditEntry) => when(a.at) },
          { id: "actor", header: "Actor", cell: (a) => `${a.actor}${a.role ? ` (${a.role})` : ""}` },
          { id: "action", header: "Action", cell: (a) => a.action },
          { id: "target", header: "Target", cell: (a) => a.target ?? "—" },
          { id: "source", header: "From", cell: (a) => a.source ?? "—" },
          { id: "details", header: "Details", cell: (a) => (a.details ? <span className="mono">{JSON.stringify(a.details).slice(0, 120)}</span> : "—") },
        ]}
      />
      <ErrorAlert error={list.error} header="The audit log could not be read" />
    </SpaceBetween>
  );
}

export default function Settings() {
  const { tab = "accounts" } = useParams();
  const navigate = useNavigate();
  const { can } = useAuth();
  useEffect(() => { document.title = "Settings · DRS Orchestrator"; }, []);
  const tabs = [
    can("listAccounts") && { id: "accounts", label: "Target accounts", content: <Accounts /> },
    can("listUsers") && { id: "users", label: "Users", content: <Users /> },
    can("listTokens") && { id: "tokens", label: "API tokens", content: <Tokens /> },
    can("listPlans") && { id: "notifications", label: "Notification targets", content: <Notifications /> },
    can("listAudit") && { id: "audit", label: "Audit log", content: <Audit /> },
  ].filter(Boolean) as { id: string; label: string; content: ReactNode }[];
  return (
    <ContentLayout header={<Header variant="h1" description={can("listUsers") ? undefined : "Users, tokens and the audit log are for admins."}>Settings</Header>}>
      <Container>
        <Tabs activeTabId={tabs.some((t) => t.id === tab) ? tab : tabs[0]?.id} onChange={(e) => navigate(`/settings/${e.detail.activeTabId}`)} tabs={tabs} ariaLabel="Settings" />
      </Container>
    </ContentLayout>
  );
}
