// An execution's event stream (GET /api/v1/executions/{id}/events as text/event-stream) read with fetch, so
// the same credentials as every other call go with it (EventSource cannot send a bearer token). Reconnects
// after a network drop, a server restart or `event: dropped`, sending Last-Event-ID so the journal fills
// the gap: no event is lost or shown twice (events are handed on in sequence order, each seq once).
// Stops at `event: end` (the execution has finished) or when closed. Where the API cannot stream (API Gateway
// in the AWS deployment answers 406), it reads the same journal as JSON pages instead, every `pollMs`, with
// the same guarantees: each event once, in order, until the execution has finished.
import { ApiError, toApiError, type Api } from "./client";
import type { Event as JournalEvent } from "./schema.gen";

export type StreamState = "connecting" | "live" | "reconnecting" | "ended" | "closed";

export interface StreamHandlers {
  /** Each journal event, in order, exactly once. */
  onEvent: (e: JournalEvent) => void;
  /** The stream's state, to show the operator (live, reconnecting after a drop, ended). */
  onState?: (s: StreamState, detail?: string) => void;
  /** A failure that stops the stream for good (401, 403, 404): in the API's words. */
  onError?: (e: ApiError) => void;
}

export interface StreamOptions {
  /** Events after this seq are wanted (0: from the start of the journal). */
  after?: number;
  /** The first wait before reconnecting, in ms (the server's `retry:` replaces it). */
  retryMs?: number;
  /** The longest wait between reconnections, in ms. */
  maxRetryMs?: number;
  /** How often to read the journal where the API cannot stream (406), in ms. */
  pollMs?: number;
}

/** One parsed server-sent event. */
export interface SseMessage {
  id?: string;
  event: string;
  data: string;
  retry?: number;
}

/** Splits a text/event-stream into messages; feed it chunks as they come (they may end mid-line). */
export class SseParser {
  private buf = "";
  private id: string | undefined;
  private event = "";
  private data: string[] = [];
  private retry: number | undefined;

  push(chunk: string): SseMessage[] {
    this.buf += chunk;
    const out: SseMessage[] = [];
    for (;;) {
      const m = /\r\n|\r|\n/.exec(this.buf);
      if (!m) break;
      // a lone \r at the end may be the first half of \r\n: wait for the next chunk
      if (m[0] === "\r" && m.index === this.buf.length - 1) break;
      const line = this.buf.slice(0, m.index);
      this.buf = this.buf.slice(m.index + m[0].length);
      if (line === "") {
        if (this.data.length || this.event || this.retry !== undefined) {
          out.push({ id: this.id, event: this.event || "message", data: this.data.join("\n"), retry: this.retry });
        }
        this.id = undefined;
        this.event = "";
        this.data = [];
        this.retry = undefined;
        continue;
      }
      if (line.startsWith(":")) continue; // a comment: the heartbeat
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? "" : line.slice(colon + 1);
      if (value.startsWith(" ")) value = value.slice(1);
      if (field === "data") this.data.push(value);
      else if (field === "event") this.event = value;
      else if (field === "id") this.id = value;
      else if (field === "retry" && /^\d+$/.test(value)) this.retry = Number(value);
    }
    return out;
  }
}

export interface EventStream {
  close(): void;
  /** The last seq handed on. */
  lastSeq(): number;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => { clearTimeout(t); resolve(); }, { once: true });
  });

/** Open the stream of one execution; it runs until `event: end`, a final error, or close(). */
export function openEventStream(api: Api, execId: string, h: StreamHandlers, opts: StreamOptions = {}): EventStream {
  const stop = new AbortController();
  let last = opts.after ?? 0;
  let retry = opts.retryMs ?? 2000;
  const maxRetry = opts.maxRetryMs ?? 15000;
  const pollMs = opts.pollMs ?? 2000;
  let polling = false; // the API answered 406 to text/event-stream: JSON pages from now on
  let state: StreamState = "connecting";
  const setState = (s: StreamState, detail?: string) => {
    if (state === s && !detail) return;
    state = s;
    h.onState?.(s, detail);
  };

  /** A failed answer: "again" after a pause the server may name (503, 429), else reported and "fatal". */
  async function failed(r: Response): Promise<"again" | "fatal"> {
    const e = await toApiError(r);
    if (r.status === 401) api.onUnauthorized?.(e);
    if (r.status === 503 || r.status === 429) {
      const after = Number(r.headers.get("Retry-After"));
      if (after > 0) retry = Math.min(after * 1000, maxRetry);
      setState("reconnecting", e.message);
      return "again";
    }
    h.onError?.(e);
    return "fatal";
  }

  /** Hand on the events after `last`, in order, each once. */
  function deliver(ev: JournalEvent) {
    if (typeof ev.seq !== "number" || ev.seq <= last) return; // seen already
    last = ev.seq;
    h.onEvent(ev);
  }

  /** Read the journal as JSON pages after `last` until the execution has finished (the API cannot stream). */
  async function poll(): Promise<"end" | "again" | "fatal"> {
    for (;;) {
      const r = await api.raw(`/api/v1/executions/${encodeURIComponent(execId)}/events?from=${last + 1}&limit=500`, {
        headers: { Accept: "application/json", ...api.authHeaders("GET") }, credentials: "same-origin",
        signal: stop.signal, cache: "no-store",
      });
      if (!r.ok) return failed(r);
      const page = (await r.json()) as { items?: JournalEvent[]; next_cursor?: string | null; finished?: boolean };
      if (state !== "live") setState("live", `reading every ${Math.round(pollMs / 1000)} s (this API does not stream)`);
      for (const ev of page.items ?? []) deliver(ev);
      if (page.finished) return "end";
      if (page.next_cursor) continue; // more at once
      await sleep(pollMs, stop.signal);
      if (stop.signal.aborted) return "again";
    }
  }

  async function once(): Promise<"end" | "again" | "fatal"> {
    if (polling) return poll();
    const headers: Record<string, string> = { Accept: "text/event-stream", ...api.authHeaders("GET") };
    if (last > 0) headers["Last-Event-ID"] = String(last);
    const r = await api.raw(`/api/v1/executions/${encodeURIComponent(execId)}/events`, {
      headers, credentials: "same-origin", signal: stop.signal, cache: "no-store",
    });
    if (r.status === 406) { // no streaming here (API Gateway): the journal as JSON pages instead
      await r.body?.cancel().catch(() => undefined);
      polling = true;
      return poll();
    }
    if (!r.ok) return failed(r);
    if (!r.body) throw new Error("the event stream has no body");
    setState("live");
    const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
    const parser = new SseParser();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return "again"; // the connection ended without `end`: reconnect from the last id
        for (const m of parser.push(value)) {
          if (m.retry !== undefined) retry = Math.max(250, m.retry);
          if (m.event === "end") return "end";
          if (m.event === "dropped") return "again";
          if (!m.data) continue;
          let ev: JournalEvent;
          try {
            ev = JSON.parse(m.data) as JournalEvent;
          } catch {
            continue;
          }
          deliver(ev);
        }
      }
    } finally {
      reader.cancel().catch(() => undefined);
    }
  }

  let failures = 0; // reconnections since the stream was last live: the wait doubles with each
  (async () => {
    while (!stop.signal.aborted) {
      let outcome: "end" | "again" | "fatal";
      try {
        outcome = await once();
      } catch (e) {
        if (stop.signal.aborted) break;
        outcome = "again";
        setState("reconnecting", `the connection dropped (${(e as Error).message}); reconnecting`);
      }
      if (stop.signal.aborted) break;
      if (outcome === "end") { setState("ended"); break; }
      if (outcome === "fatal") { setState("closed"); break; }
      const was = state as StreamState; // set by once() meanwhile
      if (was === "live") failures = 0;
      if (was !== "reconnecting") setState("reconnecting", "the connection ended; reconnecting");
      await sleep(Math.min(retry * 2 ** failures, maxRetry), stop.signal);
      failures++;
    }
  })();

  return {
    close() {
      if (!stop.signal.aborted) {
        stop.abort();
        if (state !== "ended") setState("closed");
      }
    },
    lastSeq: () => last,
  };
}

export { ApiError };
