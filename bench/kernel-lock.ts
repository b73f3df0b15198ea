/**
 * The shared machine's kernel lock (/tmp/netlab-kernel.lock, see HELPERS.md):
 * every measurement that creates kernel objects holds it, and only for that one
 * measurement, so other engineers are not starved during a long benchmark run.
 *
 * Held by a `flock(1)` child that keeps the lock while its stdin is open: closing
 * stdin releases it, and so does this process dying (the pipe closes).
 */
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';

export const KERNEL_LOCK = process.env.NETLAB_KERNEL_LOCK ?? '/tmp/netlab-kernel.lock';

/**
 * Runs `fn` while holding the kernel lock; resolves with its result and how
 * long the lock took to get (ms).
 */
export async function withKernelLock<T>(fn: () => Promise<T>, onWait?: () => void): Promise<{ value: T; waitedMs: number }> {
  const t0 = performance.now();
  const holder = spawn('flock', [KERNEL_LOCK, '-c', 'echo locked; exec cat >/dev/null'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const waiting = setTimeout(() => onWait?.(), 1000);
  try {
    await new Promise<void>((res, rej) => {
      let buf = '';
      holder.stdout.setEncoding('utf8').on('data', (d: string) => { buf += d; if (buf.includes('locked')) res(); });
      holder.on('error', rej);
      holder.on('exit', (code) => rej(new Error(`flock ${KERNEL_LOCK} exited with ${code} before taking the lock`)));
    });
  } finally {
    clearTimeout(waiting);
  }
  const waitedMs = performance.now() - t0;
  try {
    return { value: await fn(), waitedMs };
  } finally {
    const done = new Promise<void>((res) => holder.on('close', () => res()));
    holder.stdin.end();
    await done;
  }
}
