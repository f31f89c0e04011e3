// An API error shown where the action was taken, in the API's own words: the message, the fields it names
// (details.problems), and the request id to find it in the server's log.
import Alert from "@cloudscape-design/components/alert";
import { ApiError, errorText } from "../api/client";

interface Problem { path?: string; message?: string; line?: number; column?: number }

export function problemsOf(e: unknown): Problem[] {
  if (!(e instanceof ApiError) || !e.details || typeof e.details !== "object") return [];
  const p = (e.details as { problems?: unknown }).problems;
  return Array.isArray(p) ? (p as Problem[]) : [];
}

export function ErrorAlert({ error, header, onDismiss }: { error: unknown; header?: string; onDismiss?: () => void }) {
  if (!error) return null;
  const api = error instanceof ApiError ? error : null;
  const problems = problemsOf(error);
  return (
    <Alert type="error" header={header ?? (api ? `${api.code}${api.status ? ` (${api.status})` : ""}` : "Error")}
      dismissible={!!onDismiss} onDismiss={onDismiss}>
      <span data-testid="api-error">{errorText(error)}</span>
      {problems.length > 1 && (
        <ul>
          {problems.map((p, i) => (
            <li key={i}>{p.line ? `line ${p.line}${p.column ? `:${p.column}` : ""}: ` : p.path ? `${p.path}: ` : ""}{p.message}</li>
          ))}
        </ul>
      )}
      {api?.requestId && <div><small>Request id {api.requestId}</small></div>}
    </Alert>
  );
}
