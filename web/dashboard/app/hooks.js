/**
 * Data hooks of the pages: one API call, repeated every `everyMs` when given, with its loading
 * and error states.
 *
 * @module
 */
import { useEffect, useState } from "./html.js";
import { api } from "./api.js";

/**
 * `{data, error, loading, reload}` of GET `path`, refreshed every `everyMs` (0: once) and at once
 * by `reload()` (after the page changed what it shows).
 */
export function useApi(path, everyMs = 0) {
  const [state, setState] = useState({ data: undefined, error: undefined, loading: true });
  const [round, setRound] = useState(0);
  useEffect(() => {
    const abort = new AbortController();
    let timer;
    const load = async () => {
      try {
        const data = await api(path, { signal: abort.signal });
        setState({ data, error: undefined, loading: false });
      } catch (error) {
        if (abort.signal.aborted) return;
        setState((old) => ({ data: old.data, error, loading: false }));
      }
      if (everyMs > 0 && !abort.signal.aborted) timer = setTimeout(load, everyMs);
    };
    load();
    return () => {
      abort.abort();
      clearTimeout(timer);
    };
  }, [path, everyMs, round]);
  return { ...state, reload: () => setRound((n) => n + 1) };
}
