/**
 * The store's locks: flock(2) on a file under <store>/locks. The kernel drops
 * a flock when its holder dies, also by kill -9, so a crashed pull never
 * leaves a lock behind; whoever takes the lock next finds either a complete
 * layer or only temporary files, which it removes.
 *
 * One process must not hold a shared and an exclusive lock on the same file
 * through two descriptors (they conflict with each other): each lock name is
 * taken once per process at a time.
 */
import { closeSync, openSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { flock, LOCK_EX, LOCK_NB, LOCK_SH, LOCK_UN } from './libc.js';
import type { Store } from './store.js';

/** Options of withLock. */
export interface LockOptions {
  /** Shared (several holders; e.g. `up` using images) instead of exclusive. */
  shared?: boolean;
  /** Called once when the lock is busy, before waiting (e.g. to say "waiting for another pull"). */
  onWait?: () => void;
  /** Stop waiting (rejects with signal.reason). */
  signal?: AbortSignal;
}

/** A held lock; release() once. */
export interface HeldLock {
  release(): void;
}

/**
 * Takes lock `name` (see Store.lockPath), waiting (polling every 20-200 ms)
 * while another process holds it.
 */
export async function takeLock(store: Store, name: string, opts: LockOptions = {}): Promise<HeldLock> {
  const fd = openSync(store.lockPath(name), 'a', 0o600);
  const op = (opts.shared ? LOCK_SH : LOCK_EX) | LOCK_NB;
  try {
    let delay = 20;
    let waited = false;
    while (!flock(fd, op)) {
      if (!waited) opts.onWait?.();
      waited = true;
      if (opts.signal?.aborted) throw opts.signal.reason;
      await sleep(delay);
      delay = Math.min(delay * 2, 200);
    }
  } catch (err) {
    closeSync(fd);
    throw err;
  }
  let held = true;
  return {
    release(): void {
      if (!held) return;
      held = false;
      flock(fd, LOCK_UN);
      closeSync(fd);
    },
  };
}

/** Runs `fn` holding lock `name`; releases it however fn ends. */
export async function withLock<T>(store: Store, name: string, fn: () => Promise<T> | T, opts: LockOptions = {}): Promise<T> {
  const lock = await takeLock(store, name, opts);
  try {
    return await fn();
  } finally {
    lock.release();
  }
}

/** Takes lock `name` only if it is free right now; undefined when another process holds it. */
export function tryLock(store: Store, name: string, shared = false): HeldLock | undefined {
  const fd = openSync(store.lockPath(name), 'a', 0o600);
  if (!flock(fd, (shared ? LOCK_SH : LOCK_EX) | LOCK_NB)) {
    closeSync(fd);
    return undefined;
  }
  let held = true;
  return { release(): void { if (held) { held = false; flock(fd, LOCK_UN); closeSync(fd); } } };
}
