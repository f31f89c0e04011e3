// A unified diff (the API's source_diff) with added and removed lines marked in colour and in words (for
// screen readers and print), and the plan-level changes (waves and dependencies added, removed, changed).
import Box from "@cloudscape-design/components/box";
import ColumnLayout from "@cloudscape-design/components/column-layout";
import SpaceBetween from "@cloudscape-design/components/space-between";
import type { PlanDiff } from "../api/schema.gen";

export function diffLines(text: string): { kind: "add" | "del" | "hunk" | "ctx"; text: string }[] {
  return text.split("\n").filter((l, i, all) => !(i === all.length - 1 && l === "")).map((l) => {
    if (l.startsWith("+++") || l.startsWith("---") || l.startsWith("@@")) return { kind: "hunk", text: l };
    if (l.startsWith("+")) return { kind: "add", text: l };
    if (l.startsWith("-")) return { kind: "del", text: l };
    return { kind: "ctx", text: l };
  });
}

export function DiffView({ diff }: { diff: PlanDiff }) {
  const lines = diffLines(diff.source_diff);
  const list = (xs: string[]) => (xs.length ? xs.join(", ") : "none");
  return (
    <SpaceBetween size="m">
      <ColumnLayout columns={4} variant="text-grid">
        <div><Box variant="awsui-key-label">Waves added</Box><div>{list(diff.waves.added)}</div></div>
        <div><Box variant="awsui-key-label">Waves removed</Box><div>{list(diff.waves.removed)}</div></div>
        <div><Box variant="awsui-key-label">Waves changed</Box><div>{list(diff.waves.changed)}</div></div>
        <div><Box variant="awsui-key-label">Dependencies</Box><div>
          {diff.dependencies.added.map((e) => `+ ${e.from} → ${e.to}`).concat(diff.dependencies.removed.map((e) => `− ${e.from} → ${e.to}`)).join("; ") || "unchanged"}
        </div></div>
      </ColumnLayout>
      {lines.length ? (
        <pre className="diff" aria-label={`Source changes from version ${diff.from} to ${diff.to}`}>
          {lines.map((l, i) => (
            <span key={i} className={l.kind}>
              {l.kind === "add" && <span className="visually-hidden">added: </span>}
              {l.kind === "del" && <span className="visually-hidden">removed: </span>}
              {l.text || " "}
            </span>
          ))}
        </pre>
      ) : <Box>The sources are the same.</Box>}
    </SpaceBetween>
  );
}
