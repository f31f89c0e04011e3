// One protection group: its definition, the servers it takes in DRS now (and ids DRS does not know), and
// editing it (with If-Match: a change made meanwhile by someone else is refused, in the server's words).
import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import Container from "@cloudscape-design/components/container";
import ContentLayout from "@cloudscape-design/components/content-layout";
import Header from "@cloudscape-design/components/header";
import KeyValuePairs from "@cloudscape-design/components/key-value-pairs";
import SpaceBetween from "@cloudscape-design/components/space-between";
import Table from "@cloudscape-design/components/table";
import { useEffect, useState } from "react";
import { useNavigate, useParams } from "react-router";
import { useApi, useAuth } from "../auth/auth";
import { ErrorAlert } from "../components/ErrorAlert";
import { tagText, when } from "../components/format";
import { Status } from "../components/status";
import { useLoad } from "../state/useLoad";
import { GroupForm } from "./GroupForm";
import { selectorText } from "./Groups";

export default function GroupDetail() {
  const { id = "" } = useParams();
  const api = useApi();
  const { can } = useAuth();
  const navigate = useNavigate();
  const [editing, setEditing] = useState(false);
  const group = useLoad((signal) => api.call("getProtectionGroup", { params: { id }, signal }), [api, id]);
  const servers = useLoad((signal) => api.call("getProtectionGroupServers", { params: { id }, signal }), [api, id]);
  useEffect(() => { document.title = `${group.data?.name ?? "Protection group"} · DRS Orchestrator`; }, [group.data]);
  const g = group.data;

  if (editing && g)
    return (
      <ContentLayout header={<Header variant="h1">Edit {g.name}</Header>}>
        <GroupForm initial={g} onSaved={() => { setEditing(false); group.reload(); servers.reload(); }} onCancel={() => setEditing(false)} />
      </ContentLayout>
    );

  return (
    <ContentLayout header={<Header variant="h1" actions={g && can("updateProtectionGroup") ? <Button onClick={() => setEditing(true)}>Edit</Button> : undefined}>{g?.name ?? "Protection group"}</Header>}>
      <SpaceBetween size="l">
        {group.error ? <ErrorAlert error={group.error} header="The group could not be read" /> : null}
        {g && (
          <Container header={<Header variant="h2">Definition</Header>}>
            <KeyValuePairs columns={4} items={[
              { label: "Account", value: g.account },
              { label: "Region", value: g.region },
              { label: "Servers", value: selectorText(g) },
              { label: "Version", value: `${g.version} · updated ${when(g.updated_at)}` },
            ]} />
          </Container>
        )}
        <Table
          header={<Header variant="h2" counter={servers.data ? `(${servers.data.servers.length})` : undefined} description="As DRS reports them now."
            actions={<Button iconName="refresh" ariaLabel="Refresh the servers" onClick={() => servers.reload()} />}>Servers</Header>}
          loading={servers.loading && !servers.data}
          loadingText="Asking DRS"
          items={servers.data?.servers ?? []}
          trackBy="id"
          ariaLabels={{ tableLabel: "Servers of the group" }}
          empty={<Box textAlign="center">No server matches the group now.</Box>}
          columnDefinitions={[
            { id: "host", header: "Hostname", cell: (s) => s.hostname ?? "—" },
            { id: "id", header: "Source server", cell: (s) => <span className="mono">{s.id}</span> },
            { id: "tags", header: "Tags", cell: (s) => tagText(s.tags) },
            { id: "repl", header: "Replication", cell: (s) => <Status status={s.replication_state === "CONTINUOUS" ? "COMPLETED" : "PAUSED"}>{s.replication_state?.toLowerCase() ?? "unknown"}</Status> },
            { id: "lag", header: "Lag", cell: (s) => (s.lag_seconds === null ? "—" : `${s.lag_seconds} s`) },
          ]}
        />
        {servers.data?.missing.length ? <ErrorAlert error={new Error(`DRS does not know ${servers.data.missing.join(", ")}`)} header="Missing servers" /> : null}
        {servers.error ? <ErrorAlert error={servers.error} header="DRS could not be asked" /> : null}
        <Box><Button variant="link" onClick={() => navigate("/groups")}>Back to protection groups</Button></Box>
      </SpaceBetween>
    </ContentLayout>
  );
}
