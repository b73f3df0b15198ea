/**
 * A temporary NETLAB_RUN_DIR for each test of the current suite (unit tests
 * of what netlab keeps in its run folder; no root needed).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Registers beforeEach/afterEach hooks: a fresh folder as NETLAB_RUN_DIR
 * before each test, removed (and the variable restored) after it. Returns a
 * getter of the folder's path.
 */
export function tempRunDir(label: string): () => string {
  let root = '';
  const saved = process.env.NETLAB_RUN_DIR;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), `netlab-${label}-`));
    process.env.NETLAB_RUN_DIR = root;
  });
  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
    if (saved === undefined) delete process.env.NETLAB_RUN_DIR; else process.env.NETLAB_RUN_DIR = saved;
  });
  return () => root;
}
