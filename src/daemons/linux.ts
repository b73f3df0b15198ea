/**
 * kind: linux — a plain Linux host: no daemon of its own. start() runs the
 * node's `cmd` in the background (output on the node console), or, on an
 * image and without `cmd:`, the image's Entrypoint + Cmd; the applier runs
 * its `exec` lines. Ready as soon as that was started.
 */
import { startMain } from './cmd.js';
import type { Kind } from './kind.js';

const MiB = 1024 ** 2;

export const linux: Kind = {
  facts: {
    name: 'linux',
    summary: 'a plain Linux host (runs cmd/exec)',
    router: false,
    daemon: false,
    switch: false,
    shape: 'host',
    color: '#2e8b57',
    tests: {},
    doctor: [],
    requires: [],
    memoryBytes: MiB, // measured: docs/performance.md (bench/kind-memory.ts)
    noun: ['linux node', 'linux nodes'],
  },
  files: () => [],
  start: startMain,
  ready: async () => {},
};
