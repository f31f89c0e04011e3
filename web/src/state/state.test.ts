import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Event as JournalEvent, ProtectionGroup, SourceServer } from "../api/schema.gen";
import { advanceMark, commandsFor, describeEvent, engineNow, mergeEvents, throttle, waveActions } from "./execution";
import { readinessLevel, replicationOf, resolveSelector, scopes } from "./readiness";

const e = (seq: number, type = "WaveReady", data: unknown = { wave: "db" }): JournalEvent => ({ seq, at: "2026-01-01T00:00:00Z", type, data });

describe("the event log", () => {
  it("keeps each seq once, in order, and only the newest past its cap", () => {
    let log = mergeEvents([], [e(2), e(1), e(3)]);
    expect(log.map((x) => x.seq)).toEqual([1, 2, 3]);
    log = mergeEvents(log, [e(3), e(2), e(5), e(4), e(5)]);
    expect(log.map((x) => x.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(mergeEvents(log, [e(6), e(7)], 4).map((x) => x.seq)).toEqual([4, 5, 6, 7]);
  });

  it("says what each event means, naming servers by hostname", () => {
    expect(describeEvent(e(1, "ApprovalRequested", { wave: "web", prompt: "Go?" }))).toBe("wave web waits for approval: Go?");
    expect(describeEvent(e(2, "ServerStatus", { server: "s-1", launch_status: "LAUNCHED", private_ip: "10.0.0.1" }), (id) => (id === "s-1" ? "db-1" : id))).toBe("db-1: LAUNCHED, ip 10.0.0.1");
    expect(describeEvent(e(3, "ExecutionEnded", { status: "COMPLETED", reason: "all waves completed" }))).toBe("ended completed: all waves completed");
    expect(describeEvent(e(4, "SomethingNew", {}))).toBe("something new");
  });
});

describe("what an operator may do", () => {
  it("offers only the commands the execution's state allows", () => {
    expect(commandsFor({ status: "RUNNING", mode: "drill", ended_at: null, cancel_requested: false })).toEqual(["pause", "cancel"]);
    expect(commandsFor({ status: "PAUSED", mode: "drill", ended_at: null, cancel_requested: false })).toEqual(["resume", "cancel"]);
    expect(commandsFor({ status: "RUNNING", mode: "recovery", ended_at: null, cancel_requested: true })).toEqual(["pause"]);
    expect(commandsFor({ status: "CLEANING_UP", mode: "drill", ended_at: "2026-01-01T00:00:00Z", cancel_requested: false })).toEqual(["cleanup"]);
    expect(commandsFor({ status: "CLEANED", mode: "drill", ended_at: "2026-01-01T00:00:00Z", cancel_requested: false })).toEqual([]);
    expect(commandsFor({ status: "COMPLETED", mode: "recovery", ended_at: "2026-01-01T00:00:00Z", cancel_requested: false })).toEqual([]);
  });
  it("offers approve, retry and skip per wave while the execution runs", () => {
    const running = { status: "RUNNING" as const, ended_at: null };
    expect(waveActions(running, { status: "AWAITING_APPROVAL" })).toEqual(["approve", "skip"]);
    expect(waveActions(running, { status: "FAILED" })).toEqual(["retry"]);
    expect(waveActions(running, { status: "LAUNCHING" })).toEqual([]);
    expect(waveActions({ status: "FAILED", ended_at: "2026-01-01T00:00:00Z" }, { status: "FAILED" })).toEqual([]);
  });
});

describe("throttle", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());
  it("runs at most once per interval and always runs the last request", async () => {
    const calls: number[] = [];
    const t = throttle(async () => { calls.push(Date.now()); }, 300);
    for (let i = 0; i < 10; i++) t.run();
    await vi.advanceTimersByTimeAsync(0);
    expect(calls.length).toBe(1);
    t.run();
    t.run();
    await vi.advanceTimersByTimeAsync(299);
    expect(calls.length).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls.length).toBe(2);
    await vi.advanceTimersByTimeAsync(1000);
    expect(calls.length).toBe(2);
    t.cancel();
  });
});

describe("the engine's clock", () => {
  const T = Date.parse("2026-01-01T10:00:00Z");
  const at = (ms: number) => ({ at: new Date(ms).toISOString() });
  it("is the browser's own when the engine is not ahead of it", () => {
    expect(engineNow(T, null)).toBe(T);
    expect(engineNow(T + 5000, advanceMark(null, at(T - 60000), T))).toBe(T + 5000);
  });
  it("follows a simulated region that runs ahead: never before the newest event, carried on since it came", () => {
    // the engine is an hour ahead (a region at 60x after a minute): its event at T+1h arrived at T
    let m = advanceMark(null, at(T + 3600000), T);
    expect(engineNow(T, m)).toBe(T + 3600000);
    expect(engineNow(T + 2000, m)).toBe(T + 3602000);
    // an older event (a replay) does not move it back; a newer one moves it on
    m = advanceMark(m, at(T + 60000), T + 3000);
    expect(engineNow(T + 3000, m)).toBe(T + 3603000);
    m = advanceMark(m, at(T + 7200000), T + 4000);
    expect(engineNow(T + 4000, m)).toBe(T + 7200000);
    // a browser clock that steps back never takes the engine's time below the event it saw
    expect(engineNow(T, m)).toBe(T + 7200000);
  });
  it("ignores an event without a readable time", () => {
    const m = advanceMark(null, at(T), T);
    expect(advanceMark(m, { at: "not a time" }, T + 1)).toBe(m);
  });
});

const srv = (id: string, tags: Record<string, string>, state = "CONTINUOUS", lag = 1): SourceServer => ({
  id, hostname: id, account: "111122223333", region: "us-east-1", tags, replication_state: state, lag_seconds: lag, last_seen_at: null, recovery_instance_id: null, groups: [],
});
const servers = [srv("db1", { Tier: "db" }), srv("db2", { Tier: "db" }, "STALLED", 90), srv("web1", { Tier: "web" }), { ...srv("other", { Tier: "db" }), region: "eu-west-1" }];
const groups = [{ name: "db", account: "111122223333", region: "us-east-1", selector: { tags: { Tier: "db" } } }, { name: "ids", account: "111122223333", region: "us-east-1", selector: { server_ids: ["web1"] } }] as ProtectionGroup[];

describe("plan readiness", () => {
  it("resolves a wave's servers as the engine does: a group in its account and region, tags, ids", () => {
    expect(resolveSelector({ kind: "group", group: "db" }, servers, groups).servers.map((s) => s.id)).toEqual(["db1", "db2"]);
    expect(resolveSelector({ kind: "group", group: "ids" }, servers, groups).servers.map((s) => s.id)).toEqual(["web1"]);
    expect(resolveSelector({ kind: "group", group: "nope" }, servers, groups).unknown).toBe("protection group nope does not exist");
    expect(resolveSelector({ kind: "tags", tags: { Tier: "web" } }, servers, groups).servers.map((s) => s.id)).toEqual(["web1"]);
    expect(resolveSelector({ kind: "ids", ids: ["db1", "gone"] }, servers, groups).servers.map((s) => s.id)).toEqual(["db1"]);
  });
  it("counts healthy replication and the worst lag, and names what is wrong", () => {
    const r = replicationOf([{ name: "d", servers: { kind: "group", group: "db" } }, { name: "w", servers: { kind: "tags", tags: { Tier: "none" } } }], servers, groups);
    expect(r).toMatchObject({ total: 2, healthy: 1, maxLagSeconds: 90, problems: ["wave w: no source server matches now"] });
    expect(r.unhealthy).toEqual([{ id: "db2", hostname: "db2", state: "STALLED" }]);
    expect(readinessLevel(r, true)).toBe("error");
    const ok = replicationOf([{ name: "w", servers: { kind: "group", group: "ids" } }], servers, groups);
    expect(readinessLevel(ok, true)).toBe("ok");
    expect(readinessLevel(ok, null)).toBe("warning");
    expect(readinessLevel(ok, false)).toBe("error");
  });
  it("lists each account and region once, the home one first", () => {
    expect(scopes([{ account: "2", region: "b" }, { account: "1", region: "a" }, { account: "2", region: "b" }], { account: "1", region: "a" }))
      .toEqual([{ account: "1", region: "a" }, { account: "2", region: "b" }]);
  });
});
