import { describe, expect, it } from "vitest";
import { Api } from "./client";
import { openEventStream, SseParser, type StreamState } from "./sse";
import type { Event as JournalEvent } from "./schema.gen";

describe("SseParser", () => {
  it("splits messages across chunks, CRLF or LF, skips comments, joins data lines", () => {
    const p = new SseParser();
    expect(p.push("retry: 2000\n\nid: 4")).toEqual([{ id: undefined, event: "message", data: "", retry: 2000 }]);
    expect(p.push("2\r\nevent: WaveReady\r\ndata: {\"a\":\r")).toEqual([]);
    expect(p.push("\ndata: 1}\r\n\r\n: heartbeat\n\n")).toEqual([{ id: "42", event: "WaveReady", data: "{\"a\":\n1}", retry: undefined }]);
    expect(p.push("event: end\ndata: \n\n")).toEqual([{ id: undefined, event: "end", data: "", retry: undefined }]);
  });
});

function ev(seq: number): JournalEvent {
  return { seq, at: "2026-01-01T00:00:00.000Z", type: "WaveReady", data: { wave: `w${seq}` } };
}
const frame = (e: JournalEvent) => `id: ${e.seq}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`;

/** A response whose body is these chunks, then (unless `hang`) the end of the connection. */
function stream(chunks: string[]): Response {
  const enc = new TextEncoder();
  return new Response(new ReadableStream({
    start(c) { for (const x of chunks) c.enqueue(enc.encode(x)); c.close(); },
  }), { status: 200, headers: { "Content-Type": "text/event-stream" } });
}

/** Opens a stream on an API whose n-th request gets answers[n]; `ask` records each request. Resolves once the
 * stream has ended, with the events handed on and the states it went through. */
async function runUntilEnded(answers: (() => Response)[], ask: (u: RequestInfo | URL, init?: RequestInit) => void,
  opts: { retryMs: number; pollMs?: number }): Promise<{ got: number[]; states: StreamState[] }> {
  let n = 0;
  const api = new Api({ fetch: (async (u: RequestInfo | URL, init?: RequestInit) => {
    ask(u, init);
    return answers[n++]();
  }) as typeof fetch });
  api.credentials = { kind: "token", token: "drs_t" };
  const got: number[] = [];
  const states: StreamState[] = [];
  await new Promise<void>((resolve) => {
    openEventStream(api, "e1", { onEvent: (e) => got.push(e.seq), onState: (s) => { states.push(s); if (s === "ended") resolve(); } }, opts);
  });
  return { got, states };
}

describe("openEventStream", () => {
  it("reconnects after a drop with Last-Event-ID and hands on each event once, in order, until end", async () => {
    const asked: (string | null)[] = [];
    const answers = [
      () => stream(["retry: 10\n\n", frame(ev(1)), frame(ev(2)), frame(ev(3)).slice(0, 12)]), // dropped mid-event
      () => { throw new TypeError("network down"); },                                         // still down
      () => stream([frame(ev(3)), frame(ev(4)), "event: dropped\ndata: \n\n"]),                // the server dropped us
      () => stream([frame(ev(4)), frame(ev(5)), "event: end\ndata: \n\n"]),                    // replays 4: seen
    ];
    const { got, states } = await runUntilEnded(answers, (_u, init) => asked.push(new Headers(init?.headers).get("Last-Event-ID")),
      { retryMs: 5 });
    expect(got).toEqual([1, 2, 3, 4, 5]);
    expect(asked).toEqual([null, "2", "2", "4"]);
    expect(states[0]).toBe("live");
    expect(states).toContain("reconnecting");
    expect(states[states.length - 1]).toBe("ended");
  });

  it("stops for good on 404 and reports it in the API's words; asks for sign-in on 401", async () => {
    let unauthorized = 0;
    const api = new Api({ fetch: (async () => new Response(JSON.stringify({ error: { code: "NotFound", message: "no execution 'e1'", request_id: "r" } }), { status: 404 })) as typeof fetch,
      onUnauthorized: () => unauthorized++ });
    const err = await new Promise<string>((resolve) => openEventStream(api, "e1", { onEvent: () => undefined, onError: (e) => resolve(e.message) }, { retryMs: 5 }));
    expect(err).toBe("no execution 'e1'");
    const api401 = new Api({ fetch: (async () => new Response(JSON.stringify({ error: { code: "Unauthorized", message: "expired", request_id: "r" } }), { status: 401 })) as typeof fetch,
      onUnauthorized: () => unauthorized++ });
    await new Promise<void>((resolve) => openEventStream(api401, "e1", { onEvent: () => undefined, onError: () => resolve() }, { retryMs: 5 }));
    expect(unauthorized).toBe(1);
  });

  it("waits Retry-After when the server has no stream to spare (503), then goes on", async () => {
    let n = 0;
    const api = new Api({ fetch: (async () => (++n === 1
      ? new Response(JSON.stringify({ error: { code: "ServiceUnavailable", message: "too many event streams", request_id: "r" } }), { status: 503, headers: { "Retry-After": "0" } })
      : stream([frame(ev(1)), "event: end\ndata: \n\n"]))) as typeof fetch });
    const got: number[] = [];
    await new Promise<void>((resolve) => openEventStream(api, "e1", { onEvent: (e) => got.push(e.seq), onState: (s) => s === "ended" && resolve() }, { retryMs: 5 }));
    expect(got).toEqual([1]);
  });

  it("where the API cannot stream (406, API Gateway) reads the journal as JSON pages: each event once, in order, until finished", async () => {
    const asked: string[] = [];
    const page = (items: JournalEvent[], finished: boolean, next: string | null = null) =>
      new Response(JSON.stringify({ items, next_cursor: next, last_seq: 0, finished }), { status: 200, headers: { "Content-Type": "application/json" } });
    const answers = [
      () => new Response(JSON.stringify({ error: { code: "not_acceptable", message: "event streams are not served through API Gateway" } }), { status: 406 }),
      () => page([ev(1), ev(2)], false, "3"), // more at once
      () => page([ev(3)], false),              // then a pause
      () => page([ev(3), ev(4)], false),       // 3 again (a retried read): handed on once
      () => page([ev(5)], true),
    ];
    const { got, states } = await runUntilEnded(answers,
      (u, init) => asked.push(`${new Headers(init?.headers).get("Accept")} ${String(u).replace(/^.*\/events/, "")}`),
      { retryMs: 5, pollMs: 5 });
    expect(got).toEqual([1, 2, 3, 4, 5]);
    expect(asked).toEqual(["text/event-stream ", "application/json ?from=1&limit=500", "application/json ?from=3&limit=500",
      "application/json ?from=4&limit=500", "application/json ?from=5&limit=500"]);
    expect(states).toEqual(["live", "ended"]);
  });

  it("close() stops it", async () => {
    const api = new Api({ fetch: (async (_u: RequestInfo | URL, init?: RequestInit) => new Promise<Response>((_, reject) => {
      init?.signal?.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError")));
    })) as typeof fetch });
    const states: StreamState[] = [];
    const s = openEventStream(api, "e1", { onEvent: () => undefined, onState: (x) => states.push(x) });
    s.close();
    await new Promise((r) => setTimeout(r, 20));
    expect(states).toEqual(["closed"]);
  });
});
