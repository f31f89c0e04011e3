// How times, durations and counts read in the console (one place, so every page says them alike).

/** 1513000 -> "25m 13s"; 45000 -> "45s"; 3723000 -> "1h 2m 3s"; null -> "—". */
export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return "—";
  const neg = ms < 0;
  let s = Math.round(Math.abs(ms) / 1000);
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  const parts: string[] = [];
  if (h) parts.push(`${h}h`);
  if (m || (h && s)) parts.push(`${m}m`);
  if (s || (!h && !m)) parts.push(`${s}s`);
  return (neg ? "-" : "") + parts.join(" ");
}

/** An ISO-8601 time as the operator's local date and time ("2026-12-03 09:47:06"), or "—". */
export function when(iso: string | null | undefined): string {
  if (!iso) return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** Milliseconds between two ISO times (null when either is missing). */
export function between(from: string | null | undefined, to: string | null | undefined): number | null {
  if (!from || !to) return null;
  const a = Date.parse(from), b = Date.parse(to);
  return Number.isNaN(a) || Number.isNaN(b) ? null : b - a;
}

/** "1 server", "3 servers". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** Tags as "App=orders, Tier=db". */
export function tagText(tags: Record<string, string> | null | undefined): string {
  return Object.entries(tags ?? {}).map(([k, v]) => `${k}=${v}`).join(", ");
}
