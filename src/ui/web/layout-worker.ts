/**
 * The page's Web Worker for a large lab's "re-layout" (and a large lab the
 * server did not lay out): the fcose run of layout-core.ts off the page's
 * main thread; the page answers clicks meanwhile (src/ui/web/graph.ts).
 */
import type { LayoutRequest } from '../layout-plan.js';
import { runLayout } from './layout-core.js';

const scope = self as unknown as { onmessage: ((e: MessageEvent<LayoutRequest>) => void) | null; postMessage(m: unknown): void };

scope.onmessage = (e) => { scope.postMessage(runLayout(e.data)); };
