/**
 * A page's action (a form sent, a button's call): whether it runs, and the error it ended with.
 *
 * @module
 */
import { useState } from "./html.js";

/**
 * `{busy, error, run}`: `run(call)` clears the error, marks the action busy while `call()` runs
 * and keeps what it threw as `error`.
 */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(undefined);
  const run = async (call) => {
    setBusy(true);
    setError(undefined);
    try {
      await call();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, run };
}
