// Sign-in: an API token (what `drsorch serve --demo` prints, or `drsorch tokens create`), a local user's name
// and password (a console session), or Cognito's Hosted UI when the server is configured for it; deployed on
// AWS (/runtime-config.json), only the Hosted UI, which API Gateway's authorizer needs. Returns to the page
// that was asked for.
import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import Container from "@cloudscape-design/components/container";
import Form from "@cloudscape-design/components/form";
import FormField from "@cloudscape-design/components/form-field";
import Header from "@cloudscape-design/components/header";
import Input from "@cloudscape-design/components/input";
import SpaceBetween from "@cloudscape-design/components/space-between";
import Tabs from "@cloudscape-design/components/tabs";
import Alert from "@cloudscape-design/components/alert";
import { useEffect, useState } from "react";
import { Navigate, useNavigate, useSearchParams } from "react-router";
import { lastMethod, safeNext, useAuth } from "../auth/auth";
import { authorizeUrl } from "../auth/pkce";
import { signInOptions } from "../auth/runtime";
import { ErrorAlert } from "../components/ErrorAlert";
import type { AuthOptions } from "../api/schema.gen";

export default function SignIn() {
  const { me, loading, api, runtime, ended, signInToken, signInPassword } = useAuth();
  const [params] = useSearchParams();
  const next = safeNext(params.get("next"));
  const navigate = useNavigate();
  const [token, setToken] = useState("");
  const [user, setUser] = useState("");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [options, setOptions] = useState<AuthOptions | null>(runtime ? signInOptions(runtime) : null);
  const [tab, setTab] = useState(lastMethod());

  useEffect(() => {
    document.title = "Sign in · DRS Orchestrator";
    if (!runtime) api.call("getAuthOptions").then(setOptions).catch(() => setOptions(null));
  }, [api, runtime]);

  if (!loading && me) return <Navigate to={next} replace />;

  const submit = async (how: "token" | "password") => {
    setBusy(true);
    setError(null);
    try {
      if (how === "token") await signInToken(token);
      else await signInPassword(user, password);
      navigate(next, { replace: true });
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  const cognito = options?.cognito;
  const available = [options?.token !== false && "token", options?.password !== false && "password", cognito && "cognito"]
    .filter((t): t is string => !!t);
  return (
    <main style={{ maxWidth: 560, margin: "48px auto", padding: "0 16px" }}>
      <SpaceBetween size="l">
        <Box variant="h1">DRS Orchestrator</Box>
        {ended && <Alert type="warning" header="Signed out">{ended}</Alert>}
        <Container header={<Header variant="h2" description="Operator console: drills, recoveries and their reports.">Sign in</Header>}>
          <SpaceBetween size="l">
            <ErrorAlert error={error} header="Sign-in failed" />
            <Tabs
              ariaLabel="How to sign in"
              activeTabId={available.includes(tab) ? tab : available[0]}
              onChange={(e) => setTab(e.detail.activeTabId)}
              tabs={[
                ...(options?.token === false ? [] : [{
                  id: "token", label: "API token",
                  content: (
                    <form onSubmit={(e) => { e.preventDefault(); submit("token"); }}>
                      <Form actions={<Button variant="primary" formAction="submit" loading={busy} disabled={!token.trim()}>Sign in with token</Button>}>
                        <FormField label="API token" description="The admin token `make run` printed (drs_…), or one made with drsorch tokens create.">
                          <Input value={token} onChange={(e) => setToken(e.detail.value)} type="password" autoComplete={false} ariaLabel="API token" placeholder="drs_…" autoFocus />
                        </FormField>
                      </Form>
                    </form>
                  ),
                }]),
                ...(options?.password === false ? [] : [{
                  id: "password", label: "User name and password",
                  content: (
                    <form onSubmit={(e) => { e.preventDefault(); submit("password"); }}>
                      <Form actions={<Button variant="primary" formAction="submit" loading={busy} disabled={!user || !password}>Sign in</Button>}>
                        <SpaceBetween size="m">
                          <FormField label="User name" description="A local user (drsorch users add, or Settings › Users).">
                            <Input value={user} onChange={(e) => setUser(e.detail.value)} autoComplete="username" ariaLabel="User name" />
                          </FormField>
                          <FormField label="Password">
                            <Input value={password} onChange={(e) => setPassword(e.detail.value)} type="password" autoComplete="current-password" ariaLabel="Password" />
                          </FormField>
                        </SpaceBetween>
                      </Form>
                    </form>
                  ),
                }]),
                ...(cognito
                  ? [{
                      id: "cognito", label: "Cognito",
                      content: (
                        <SpaceBetween size="m">
                          <Box>Sign in with your organisation's Amazon Cognito user pool (you come back here after).</Box>
                          <Button variant="primary" onClick={async () => { window.location.assign(await authorizeUrl(cognito, next)); }}>
                            Continue to Cognito sign-in
                          </Button>
                        </SpaceBetween>
                      ),
                    }]
                  : []),
              ]}
            />
          </SpaceBetween>
        </Container>
      </SpaceBetween>
    </main>
  );
}
