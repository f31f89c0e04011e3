// Where Cognito's Hosted UI sends the browser back: the code is exchanged (PKCE) and the access token used
// as the console's credentials; then on to the page that was asked for.
import Box from "@cloudscape-design/components/box";
import Link from "@cloudscape-design/components/link";
import SpaceBetween from "@cloudscape-design/components/space-between";
import Spinner from "@cloudscape-design/components/spinner";
import { useEffect, useRef, useState } from "react";
import { useNavigate } from "react-router";
import { safeNext, useAuth } from "../auth/auth";
import { exchangeCode } from "../auth/pkce";
import { ErrorAlert } from "../components/ErrorAlert";

export default function AuthCallback() {
  const { signInToken } = useAuth();
  const navigate = useNavigate();
  const [error, setError] = useState<unknown>(null);
  const started = useRef(false);
  useEffect(() => {
    if (started.current) return;
    started.current = true;
    (async () => {
      try {
        const t = await exchangeCode(window.location.search);
        await signInToken(t.accessToken, "cognito");
        navigate(safeNext(t.next), { replace: true });
      } catch (e) {
        setError(e);
      }
    })();
  }, [navigate, signInToken]);
  return (
    <main style={{ maxWidth: 560, margin: "48px auto", padding: "0 16px" }}>
      {error ? (
        <SpaceBetween size="m">
          <ErrorAlert error={error} header="Cognito sign-in failed" />
          <Link href="/sign-in">Back to sign-in</Link>
        </SpaceBetween>
      ) : (
        <Box textAlign="center"><Spinner /> Signing in with Cognito…</Box>
      )}
    </main>
  );
}
