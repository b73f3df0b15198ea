/**
 * The server's layout thread (a Node.js worker_thread, bundled with
 * cytoscape.js by scripts/build-ui.mjs into dist/ui-server/layout.cjs): the
 * same fcose run as the page's (layout-core.ts), for a large lab's first
 * layout before any page draws it (src/ui/layout.ts). One request per thread.
 */
import { parentPort } from 'node:worker_threads';
import type { LayoutRequest } from '../layout-plan.js';
import { runLayout } from './layout-core.js';

parentPort?.once('message', (r: LayoutRequest) => { parentPort!.postMessage(runLayout(r)); });
