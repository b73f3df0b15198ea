/**
 * A large lab's first layout, computed by the server (docs/decisions.md,
 * "netlab ui: a large lab is laid out by the server"): the page's own fcose
 * run (src/ui/web/layout-core.ts), bundled for Node.js at build time
 * (dist/ui-server/layout.cjs), in a worker_thread so that the server keeps
 * answering pages and terminals meanwhile.
 */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { layoutRequest, type LayoutReply, type Positions } from './layout-plan.js';
import type { LabView } from './protocol.js';

/** Lays a drawn lab out, holding `fixed` where they are; resolves with every drawn element's position. */
export type LayoutFn = (view: LabView, fixed: Positions) => Promise<Positions>;

/** The bundled layout thread of this package (this file is dist/src/ui/layout.js). */
export function layoutThreadFile(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '../../ui-server/layout.cjs');
}

/** A layout thread that runs longer than this is stopped (a page lays the lab out itself then), ms. */
export const LAYOUT_THREAD_LIMIT_MS = 60_000;

/**
 * Lays `view` out in a worker thread (cytoscape-fcose, the page's options:
 * src/ui/layout-plan.ts). The thread does not keep the process alive and is
 * ended after its answer, or after `limitMs`.
 * @throws Error (rejects) when the thread file is not built, the layout fails
 *   (its message), or it took longer than `limitMs`.
 */
export function layoutInThread(view: LabView, fixed: Positions, { file = layoutThreadFile(), limitMs = LAYOUT_THREAD_LIMIT_MS } = {}): Promise<Positions> {
  if (!existsSync(file)) return Promise.reject(new Error(`the layout thread is not built (no ${file}; npm run build bundles it)`));
  return new Promise<Positions>((resolvePositions, reject) => {
    const worker = new Worker(file);
    worker.unref();
    const timer = setTimeout(() => { finish(new Error(`the layout took over ${limitMs} ms`)); }, limitMs);
    timer.unref();
    let done = false;
    const finish = (err: Error | undefined, positions?: Positions): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      void worker.terminate();
      if (err) reject(err); else resolvePositions(positions!);
    };
    worker.once('message', (m: LayoutReply) => finish(m.positions ? undefined : new Error(m.error ?? 'the layout gave no positions'), m.positions));
    worker.once('error', (err) => finish(err));
    worker.once('exit', (code) => finish(new Error(`the layout thread ended (exit ${code}) before answering`)));
    worker.postMessage(layoutRequest(view, fixed));
  });
}
