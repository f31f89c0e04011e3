// The wave graph: a plan's waves as a layered DAG (dagre, left to right: a wave stands right of every wave it
// depends on), each wave coloured by its status when an execution is shown. The layout depends only on the
// plan, never on statuses, so nothing moves while events stream. Read by screen readers as a list of waves
// with what each depends on and its status.
import dagre from "@dagrejs/dagre";
import { useMemo } from "react";
import { statusWords } from "./status";

export interface GraphWave {
  name: string;
  depends_on: string[];
  approval?: string | null;
  status?: string;
  /** A short second line: "4 servers", "tags Tier=db". */
  detail?: string;
}

const W = 184, H = 58;

const FILL: Record<string, [string, string]> = {
  COMPLETED: ["#e9f7ea", "#037f0c"], FAILED: ["#fdeceb", "#d91515"], CANCELLED: ["#f4f4f4", "#5f6b7a"],
  SKIPPED: ["#f4f4f4", "#5f6b7a"], AWAITING_APPROVAL: ["#fffce6", "#8d6605"], LAUNCHING: ["#e8f4fd", "#0972d3"],
  RECOVERING: ["#e8f4fd", "#0972d3"], HOOKS: ["#e8f4fd", "#0972d3"], WAITING: ["#ffffff", "#5f6b7a"], PENDING: ["#ffffff", "#5f6b7a"],
};

export interface Layout {
  width: number;
  height: number;
  nodes: { name: string; x: number; y: number }[];
  edges: { from: string; to: string; points: { x: number; y: number }[] }[];
}

/** Where each wave and arrow goes (pure: the same plan always gives the same picture). */
export function layoutWaves(waves: Pick<GraphWave, "name" | "depends_on">[]): Layout {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: "LR", nodesep: 24, ranksep: 56, marginx: 8, marginy: 8 });
  g.setDefaultEdgeLabel(() => ({}));
  const names = new Set(waves.map((w) => w.name));
  for (const w of waves) g.setNode(w.name, { width: W, height: H });
  for (const w of waves) for (const d of w.depends_on) if (names.has(d)) g.setEdge(d, w.name);
  dagre.layout(g);
  const gg = g.graph();
  return {
    width: Math.max(W + 16, Math.ceil(gg.width ?? 0)),
    height: Math.max(H + 16, Math.ceil(gg.height ?? 0)),
    nodes: waves.map((w) => ({ name: w.name, x: g.node(w.name).x, y: g.node(w.name).y })),
    edges: g.edges().map((e) => ({ from: e.v, to: e.w, points: g.edge(e).points ?? [] })),
  };
}

function path(points: { x: number; y: number }[]): string {
  if (!points.length) return "";
  return points.map((p, i) => `${i ? "L" : "M"}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(" ");
}

export function WaveGraph({ waves, label }: { waves: GraphWave[]; label: string }) {
  const shape = useMemo(() => JSON.stringify(waves.map((w) => [w.name, w.depends_on])), [waves]);
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const layout = useMemo(() => layoutWaves(waves), [shape]);
  const byName = new Map(waves.map((w) => [w.name, w]));
  if (!waves.length) return <div className="wave-graph" role="note">No waves yet.</div>;
  return (
    <div className="wave-graph">
      <svg width={layout.width} height={layout.height} viewBox={`0 0 ${layout.width} ${layout.height}`} role="img" aria-labelledby="wave-graph-title">
        <title id="wave-graph-title">{label}</title>
        <defs>
          <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
            <path d="M 0 0 L 10 5 L 0 10 z" fill="#5f6b7a" />
          </marker>
        </defs>
        {layout.edges.map((e) => <path key={`${e.from}->${e.to}`} className="edge" d={path(e.points)} markerEnd="url(#arrow)" />)}
        {layout.nodes.map((n) => {
          const w = byName.get(n.name)!;
          const [fill, stroke] = FILL[w.status ?? ""] ?? ["#ffffff", "#0972d3"];
          const title = `${w.name}${w.status ? `: ${statusWords(w.status)}` : ""}`;
          return (
            <g key={n.name} className="node" transform={`translate(${n.x - W / 2},${n.y - H / 2})`} data-wave={n.name} data-status={w.status ?? ""}>
              <rect width={W} height={H} rx={8} fill={fill} stroke={stroke} strokeDasharray={w.approval ? "6 3" : undefined} />
              <text x={12} y={22} fill="#000716">{w.name.length > 22 ? `${w.name.slice(0, 21)}…` : w.name}{w.approval ? " ⏸" : ""}</text>
              <text className="sub" x={12} y={42} fill="#414d5c">{w.status ? statusWords(w.status) : w.detail ?? ""}</text>
              <title>{title}</title>
            </g>
          );
        })}
      </svg>
      <ul className="visually-hidden" aria-label="Waves">
        {waves.map((w) => (
          <li key={w.name}>{w.name}{w.depends_on.length ? `, after ${w.depends_on.join(", ")}` : ", first"}{w.approval ? ", behind an approval gate" : ""}{w.status ? `: ${statusWords(w.status)}` : ""}</li>
        ))}
      </ul>
    </div>
  );
}
