// A plan's readiness from what the API tells: which source servers its waves take (a protection group by
// name, a tag query, or explicit ids, resolved against the DRS listing the way the engine resolves them) and
// how their replication is; its last preflight; its last drill's RTO against the target. Pure functions, so
// the dashboard's figures are tested without a server.
import type { ProtectionGroup, SourceServer } from "../api/schema.gen";

export interface Selector {
  kind?: string;
  group?: string;
  tags?: Record<string, string>;
  ids?: string[];
}

export interface CompiledWave {
  name: string;
  servers?: Selector;
  account?: string;
  region?: string;
}

/** Replication states DRS reports for a server that can be recovered now. */
export const HEALTHY_REPLICATION = new Set(["CONTINUOUS"]);

function matchesTags(s: SourceServer, tags: Record<string, string>): boolean {
  return Object.entries(tags).every(([k, v]) => s.tags?.[k] === v);
}

/** The servers a selector takes among `servers`; `groups` resolves a group's own selector. */
export function resolveSelector(sel: Selector | undefined, servers: SourceServer[], groups: ProtectionGroup[]): { servers: SourceServer[]; unknown: string | null } {
  if (!sel) return { servers: [], unknown: "the wave names no servers" };
  if (sel.kind === "group" && sel.group) {
    const g = groups.find((x) => x.name === sel.group);
    if (!g) return { servers: [], unknown: `protection group ${sel.group} does not exist` };
    const inScope = servers.filter((s) => s.account === g.account && s.region === g.region);
    if (g.selector.server_ids) {
      const ids = new Set(g.selector.server_ids);
      return { servers: inScope.filter((s) => ids.has(s.id)), unknown: null };
    }
    return { servers: inScope.filter((s) => matchesTags(s, g.selector.tags ?? {})), unknown: null };
  }
  if (sel.kind === "tags" && sel.tags) return { servers: servers.filter((s) => matchesTags(s, sel.tags!)), unknown: null };
  if (sel.kind === "ids" && sel.ids) {
    const ids = new Set(sel.ids);
    return { servers: servers.filter((s) => ids.has(s.id)), unknown: null };
  }
  return { servers: [], unknown: "the wave's servers cannot be read" };
}

export interface Replication {
  total: number;
  healthy: number;
  /** Servers not replicating continuously, with their state ("STALLED", "DISCONNECTED", ...). */
  unhealthy: { id: string; hostname: string | null; state: string }[];
  /** The largest replication lag among the plan's servers, in seconds. */
  maxLagSeconds: number | null;
  problems: string[];
}

export function replicationOf(waves: CompiledWave[], servers: SourceServer[], groups: ProtectionGroup[]): Replication {
  const seen = new Map<string, SourceServer>();
  const problems: string[] = [];
  for (const w of waves) {
    const r = resolveSelector(w.servers, servers, groups);
    if (r.unknown) problems.push(`wave ${w.name}: ${r.unknown}`);
    else if (!r.servers.length) problems.push(`wave ${w.name}: no source server matches now`);
    for (const s of r.servers) seen.set(s.id, s);
  }
  const all = [...seen.values()];
  const unhealthy = all
    .filter((s) => !HEALTHY_REPLICATION.has(s.replication_state ?? ""))
    .map((s) => ({ id: s.id, hostname: s.hostname, state: s.replication_state ?? "unknown" }));
  const lags = all.map((s) => s.lag_seconds).filter((x): x is number => typeof x === "number");
  return { total: all.length, healthy: all.length - unhealthy.length, unhealthy, maxLagSeconds: lags.length ? Math.max(...lags) : null, problems };
}

/** "ok", "warning" or "error" for the dashboard's readiness column. */
export function readinessLevel(r: Replication, lastPreflightOk: boolean | null): "ok" | "warning" | "error" {
  if (r.problems.length || r.total === 0 || lastPreflightOk === false) return "error";
  if (r.unhealthy.length || lastPreflightOk === null) return "warning";
  return "ok";
}

/** Account and region pairs to show quotas for: the engine's home one first, then every group's. */
export function scopes(groups: Pick<ProtectionGroup, "account" | "region">[], home: { account: string; region: string } | null): { account: string; region: string }[] {
  const out: { account: string; region: string }[] = [];
  const add = (a: string, r: string) => {
    if (a && r && !out.some((x) => x.account === a && x.region === r)) out.push({ account: a, region: r });
  };
  if (home) add(home.account, home.region);
  for (const g of groups) add(g.account, g.region);
  return out;
}
