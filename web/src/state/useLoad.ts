// Loading data for a page: the last answer stays on screen while the next one comes (no flicker, no layout
// shift when polling), an error is kept to show where the data would be, and a page that is left stops.
import { useCallback, useEffect, useRef, useState } from "react";

export interface Loaded<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => Promise<void>;
}

/** Call `load` now, whenever `deps` change, every `pollMs` when given (and while `poll` is not false). */
export function useLoad<T>(load: (signal: AbortSignal) => Promise<T>, deps: unknown[], opts: { pollMs?: number; poll?: boolean } = {}): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const loadRef = useRef(load);
  loadRef.current = load;
  const current = useRef<AbortController | null>(null);

  const run = useCallback(async () => {
    current.current?.abort();
    const ctl = new AbortController();
    current.current = ctl;
    try {
      const v = await loadRef.current(ctl.signal);
      if (ctl.signal.aborted) return;
      setData(v);
      setError(null);
    } catch (e) {
      if (ctl.signal.aborted || (e as Error)?.name === "AbortError") return;
      setError(e);
    } finally {
      if (!ctl.signal.aborted) setLoading(false);
    }
  }, []);

  useEffect(() => {
    setLoading(true);
    run();
    return () => current.current?.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);

  useEffect(() => {
    if (!opts.pollMs || opts.poll === false) return;
    const t = setInterval(() => { run(); }, opts.pollMs);
    return () => clearInterval(t);
  }, [opts.pollMs, opts.poll, run]);

  return { data, error, loading, reload: run };
}
