/**
 * Readiness polling without fixed sleeps: try at once, then back off from
 * 10 ms, doubling, to at most 200 ms between tries, until a deadline. A lab of
 * a hundred routers polls each one a few times in its first second, and then
 * rarely; nothing waits longer than it must.
 */

/** Backoff schedule of poll(), in ms: first delay, factor, cap. */
export const POLL_BACKOFF = { firstMs: 10, factor: 2, maxMs: 200 } as const;

/** What one try of poll() reports: done (with a value) or not yet (with what was seen, for the timeout message). */
export type PollResult<T> = { done: true; value: T } | { done: false; seen: string };

/** Thrown by poll() when the deadline passes; `seen` is the last try's report. */
export class PollTimeout extends Error {
  readonly seen: string;
  constructor(what: string, timeoutMs: number, seen: string) {
    super(`${what}: not ready after ${(timeoutMs / 1000).toFixed(1)} s${seen ? ` (last seen: ${seen})` : ''}`);
    this.name = 'PollTimeout';
    this.seen = seen;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Calls `attempt` until it reports done or `timeoutMs` passes (the last try
 * starts before the deadline). Errors thrown by `attempt` propagate at once:
 * throw for "this will never become ready" (a daemon died), return
 * `{ done: false }` for "not yet".
 * @throws PollTimeout after timeoutMs.
 */
export async function poll<T>(what: string, timeoutMs: number, attempt: () => Promise<PollResult<T>>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let delay: number = POLL_BACKOFF.firstMs;
  for (;;) {
    const r = await attempt();
    if (r.done) return r.value;
    const left = deadline - Date.now();
    if (left <= 0) throw new PollTimeout(what, timeoutMs, r.seen);
    await sleep(Math.min(delay, left));
    delay = Math.min(delay * POLL_BACKOFF.factor, POLL_BACKOFF.maxMs);
  }
}
