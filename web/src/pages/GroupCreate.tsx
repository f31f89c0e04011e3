// Create a protection group from discovered source servers (GroupForm).
import ContentLayout from "@cloudscape-design/components/content-layout";
import Header from "@cloudscape-design/components/header";
import { useEffect } from "react";
import { useNavigate } from "react-router";
import { GroupForm } from "./GroupForm";

export default function GroupCreate() {
  const navigate = useNavigate();
  useEffect(() => { document.title = "Create protection group · DRS Orchestrator"; }, []);
  return (
    <ContentLayout header={<Header variant="h1" description="Choose the DRS source servers the group takes: by tags, or one by one.">Create protection group</Header>}>
      <GroupForm onSaved={(g) => navigate(`/groups/${g.id}`)} onCancel={() => navigate("/groups")} />
    </ContentLayout>
  );
}
