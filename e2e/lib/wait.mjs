// Bounded waiting: every wait in the e2e layer polls with a deadline and, when the deadline
// passes, fails with a message that says what did not happen and what was seen instead.

/**
 * Polls `probe` until it returns a truthy value, and returns that value.
 *
 * `what` names the awaited event ("viewer decodes video frames"); `detail` (optional) is called
 * once on timeout to describe the last observed state for the error message. A probe that
 * throws an error marked with `fatal: true` (see `fatal()`) ends the wait at once.
 */
export async function until(probe, { what, timeoutMs = 15_000, intervalMs = 200, detail } = {}) {
  if (!what) throw new Error('until(): `what` must name the awaited event');
  const deadline = Date.now() + timeoutMs;
  let lastError;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
      lastError = undefined;
    } catch (e) {
      if (e?.fatal) throw e;
      lastError = e;
    }
    if (Date.now() >= deadline) break;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  let seen = '';
  if (detail) {
    try {
      seen = `\nlast seen: ${await detail()}`;
    } catch (e) {
      seen = `\n(could not describe the last state: ${e})`;
    }
  }
  const err = lastError ? `\nlast probe error: ${lastError.stack ?? lastError}` : '';
  throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}${seen}${err}`);
}

/** An error that makes `until()` give up at once: what was awaited can no longer happen. */
export function fatal(message) {
  return Object.assign(new Error(message), { fatal: true });
}

/** Rejects with `message` if `promise` has not settled within `timeoutMs`. */
export async function within(promise, timeoutMs, message) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms: ${message}`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
