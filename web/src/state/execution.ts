// The execution page's state: the execution as the server folds it (GET /executions/{id}), brought up to
// date whenever its event stream says something happened (at most a few times a second however fast the
// events come), the journal events as they stream (each once, in order) for the timeline and the log, and
// which commands the state and the signed-in roles allow. Pure parts are exported for tests.
import { useEffect, useRef, useState } from "react";
import type { Api } from "../api/client";
import { openEventStream, type StreamState } from "../api/sse";
import type { Event as JournalEvent, Execution, Wave } from "../api/schema.gen";

/** Add events to the log: each seq once, in order, keeping at most `max` (the newest). */
export function mergeEvents(log: JournalEvent[], more: JournalEvent[], max = 2000): JournalEvent[] {
  if (!more.length) return log;
  const last = log.length ? log[log.length - 1].seq : 0;
  const fresh = more.filter((e) => e.seq > last).sort((a, b) => a.seq - b.seq);
  const out: JournalEvent[] = [...log];
  for (const e of fresh) if (!out.length || out[out.length - 1].seq < e.seq) out.push(e);
  return out.length > max ? out.slice(out.length - max) : out;
}

/** Calls `fn` at most once per `ms`, the last call always honoured (trailing), never two at once. */
export function throttle(fn: () => Promise<void>, ms: number): { run: () => void; cancel: () => void } {
  let timer: ReturnType<typeof setTimeout> | null = null;
  let lastRun = 0;
  let pending = false;
  let busy = false;
  let cancelled = false;
  const fire = async () => {
    timer = null;
    if (cancelled) return;
    if (busy) { pending = true; return; }
    busy = true;
    pending = false;
    lastRun = Date.now();
    try { await fn(); } finally {
      busy = false;
      if (pending && !cancelled) schedule();
    }
  };
  const schedule = () => {
    if (timer || cancelled) return;
    timer = setTimeout(fire, Math.max(0, lastRun + ms - Date.now()));
  };
  return {
    run: () => { if (busy) pending = true; else schedule(); },
    cancel: () => { cancelled = true; if (timer) clearTimeout(timer); },
  };
}

/** The newest engine time an event carried and the browser time it arrived: the engine's clock as last seen. */
export interface ClockMark { at: number; seenAt: number }

/** The engine's "now" as well as the browser can tell: its own clock, or, when the engine's runs ahead (a
 * simulated region at a speed, a browser clock behind the server's), the newest event's time carried on
 * since it arrived. Never earlier than an event already seen, so "so far" and a running wave's bar never
 * go backwards or below zero. */
export function engineNow(wallNow: number, mark: ClockMark | null): number {
  if (!mark) return wallNow;
  return Math.max(wallNow, mark.at + Math.max(0, wallNow - mark.seenAt));
}

/** The mark after `e` arrived at browser time `seenAt` (the newest engine time wins). */
export function advanceMark(mark: ClockMark | null, e: Pick<JournalEvent, "at">, seenAt: number): ClockMark | null {
  const at = Date.parse(e.at);
  if (!Number.isFinite(at)) return mark;
  return !mark || at > mark.at ? { at, seenAt } : mark;
}

export type Command = "pause" | "resume" | "cancel" | "cleanup";
const ENDED = ["COMPLETED", "PARTIAL", "FAILED", "CANCELLED", "CLEANING_UP", "CLEANED", "CLEANUP_FAILED"];

export function ended(x: Pick<Execution, "status" | "ended_at">): boolean {
  return !!x.ended_at || ENDED.includes(x.status);
}

/** The execution-level commands its state allows now (the signed-in roles are checked separately). */
export function commandsFor(x: Pick<Execution, "status" | "mode" | "ended_at" | "cancel_requested">): Command[] {
  const out: Command[] = [];
  if (x.status === "RUNNING" || x.status === "PREFLIGHT") out.push("pause");
  if (x.status === "PAUSED") out.push("resume");
  if (!ended(x) && !x.cancel_requested) out.push("cancel");
  if (x.mode === "drill" && ended(x) && x.status !== "CLEANED") out.push("cleanup");
  return out;
}

/** What an operator may do to a wave now: approve its gate, retry it after it failed, skip it before it starts. */
export function waveActions(x: Pick<Execution, "status" | "ended_at">, w: Pick<Wave, "status">): ("approve" | "retry" | "skip")[] {
  if (ended(x)) return [];
  const out: ("approve" | "retry" | "skip")[] = [];
  if (w.status === "AWAITING_APPROVAL") out.push("approve");
  if (w.status === "FAILED") out.push("retry");
  if (["PENDING", "WAITING", "AWAITING_APPROVAL"].includes(w.status)) out.push("skip");
  return out;
}

/** One event in a line for the log. `hostOf` names a server by its id. */
export function describeEvent(e: JournalEvent, hostOf: (id: string) => string = (id) => id): string {
  const d = (e.data ?? {}) as Record<string, unknown>;
  const s = (k: string) => (typeof d[k] === "string" ? (d[k] as string) : "");
  switch (e.type) {
    case "ExecutionCreated": return `execution created (${s("mode")} of ${s("plan_name")} version ${d.plan_version ?? "?"})`;
    case "PreflightStarted": return "preflight started";
    case "PreflightResult": return d.ok ? `preflight passed (${d.passed ?? 0} checks)` : `preflight failed: ${d.failed ?? "?"} checks failed`;
    case "ExecutionRunning": return "running";
    case "WaveReady": return `wave ${s("wave")} ready`;
    case "ApprovalRequested": return `wave ${s("wave")} waits for approval${s("prompt") ? `: ${s("prompt")}` : ""}`;
    case "ApprovalGranted": return `wave ${s("wave")} approved by ${s("by")}${s("reason") ? ` (${s("reason")})` : ""}`;
    case "JobRequested": return `wave ${s("wave")}: recovery requested for ${Array.isArray(d.servers) ? d.servers.length : "?"} servers`;
    case "JobStarted": return `DRS job ${s("job_id")} started${d.adopted ? " (adopted)" : ""}`;
    case "JobStartFailed": return `DRS refused the job: ${s("error")}`;
    case "ServerStatus": {
      const parts = [s("launch_status"), s("private_ip") && `ip ${s("private_ip")}`, s("failure")].filter(Boolean);
      return `${hostOf(s("server"))}: ${parts.join(", ") || "updated"}`;
    }
    case "JobEnded": return `DRS job ${s("job_id")} ${s("status").toLowerCase()}`;
    case "HookStarted": return `hook ${s("wave") ? `${s("wave")}/` : ""}${s("hook")} started`;
    case "HookFinished": return `hook ${s("wave") ? `${s("wave")}/` : ""}${s("hook")} ${d.ok ? "passed" : `failed${s("error") ? `: ${s("error")}` : ""}`}`;
    case "HookLog": return `${s("level")}: ${s("message")}`;
    case "WaveRetry": return `wave ${s("wave")} retried (attempt ${d.attempt ?? "?"})${s("by") ? ` by ${s("by")}` : ""}`;
    case "WaveCompleted": return `wave ${s("wave")} ${s("status").toLowerCase()}${s("reason") ? `: ${s("reason")}` : ""}`;
    case "Paused": return `paused by ${s("by")}`;
    case "Resumed": return `resumed by ${s("by")}`;
    case "CancelRequested": return `cancel requested by ${s("by")}${s("reason") ? ` (${s("reason")})` : ""}`;
    case "ExecutionEnded": return `ended ${s("status").toLowerCase()}${s("reason") ? `: ${s("reason")}` : ""}`;
    case "CleanupStarted": return "drill clean-up scheduled";
    case "CleanupExpedited": return `clean-up now, asked by ${s("by")}`;
    case "CleanupRetried": return `clean-up retried by ${s("by")}`;
    case "TerminateRequested": return "terminating the drill's recovery instances";
    case "CleanupDone": return "clean-up done: drill instances terminated";
    case "CleanupFailed": return `clean-up failed: ${s("reason")}`;
    case "NotificationSent": return "notification sent";
    case "NotificationFailed": return `notification failed: ${s("error")}`;
    default: return e.type.replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase();
  }
}

/** Events worth a line in the log (the hooks' host calls and notification requests are left to the journal). */
export function notable(e: JournalEvent): boolean {
  return !["HookCallRequested", "HookCallCompleted", "NotificationRequested", "PreflightChecks", "ServersResolved", "WavePrepared", "TerminateStarted", "TerminateEnded"].includes(e.type);
}

export interface LiveExecution {
  view: Execution | null;
  events: JournalEvent[];
  stream: StreamState;
  streamDetail: string | null;
  error: unknown;
  /** The engine's clock as the newest event showed it (for engineNow). */
  clock: ClockMark | null;
  /** Re-read the execution now (after a command). */
  refresh: () => Promise<void>;
}

/** The execution, live: read once, then re-read as its events stream; the stream reconnects by itself. */
export function useLiveExecution(api: Api, id: string): LiveExecution {
  const [view, setView] = useState<Execution | null>(null);
  const [events, setEvents] = useState<JournalEvent[]>([]);
  const [stream, setStream] = useState<StreamState>("connecting");
  const [detail, setDetail] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [clock, setClock] = useState<ClockMark | null>(null);
  const refreshRef = useRef<() => Promise<void>>(async () => undefined);

  useEffect(() => {
    let alive = true;
    setView(null);
    setEvents([]);
    setError(null);
    setClock(null);
    const load = async () => {
      try {
        const v = await api.call("getExecution", { params: { id } });
        if (alive) { setView(v); setError(null); }
      } catch (e) {
        if (alive) setError(e);
      }
    };
    refreshRef.current = load;
    const t = throttle(load, 300);
    load();
    let batch: JournalEvent[] = [];
    let flush: ReturnType<typeof setTimeout> | null = null;
    const s = openEventStream(api, id, {
      onEvent: (e) => {
        batch.push(e);
        if (!flush) flush = setTimeout(() => {
          const b = batch, seen = Date.now();
          batch = [];
          flush = null;
          if (!alive) return;
          setEvents((log) => mergeEvents(log, b));
          setClock((m) => b.reduce((acc, ev) => advanceMark(acc, ev, seen), m));
        }, 100);
        t.run();
      },
      onState: (st, why) => {
        if (!alive) return;
        setStream(st);
        setDetail(why ?? null);
        if (st === "ended" || st === "live") t.run();
      },
      onError: (e) => { if (alive) setError(e); },
    });
    return () => {
      alive = false;
      s.close();
      t.cancel();
      if (flush) clearTimeout(flush);
    };
  }, [api, id]);

  return { view, events, stream, streamDetail: detail, error, clock, refresh: () => refreshRef.current() };
}
