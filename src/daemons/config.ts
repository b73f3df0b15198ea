/**
 * A node's daemon configuration as the user gave it (`config:` file or inline
 * text), and checking it on the host with the daemon's own parser before any
 * node starts.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, isAbsolute, join } from 'node:path';
import { NetlabError, TopologyError } from '../errors.js';
import { defaultStoreRoot } from '../image/store.js';
import type { Node } from '../topology/types.js';

/**
 * The text of the node's `config:`, or undefined when it has none.
 * @throws TopologyError at `nodes.<name>.config` when the file cannot be read.
 */
export function userConfig(node: Node): string | undefined {
  const c = node.config;
  if (!c) return undefined;
  if (c.text !== undefined) return c.text;
  try {
    return readFileSync(c.path!, 'utf8');
  } catch (err) {
    throw new TopologyError(`nodes.${node.name}.config`, `cannot read ${c.path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
      'paths are relative to the topology file');
  }
}

/** Where the node's config came from, for messages: the file path or "inline config text". */
export function configSource(node: Node): string {
  return node.config?.path ?? (node.config?.text !== undefined ? 'its inline config text' : 'the config netlab generated');
}

/** Result of running a program on the host. */
export interface HostRun { code: number; output: string; missing: boolean }

/** Runs argv on the host, collecting stdout+stderr; `missing` when the program does not exist. */
export function runOnHost(argv: string[], timeoutMs = 10_000): Promise<HostRun> {
  return new Promise((resolve) => {
    execFile(argv[0]!, argv.slice(1), { timeout: timeoutMs, encoding: 'utf8' }, (err, stdout, stderr) => {
      const e = err as (NodeJS.ErrnoException & { code?: number | string }) | null;
      if (e && e.code === 'ENOENT') resolve({ code: 127, output: '', missing: true });
      else resolve({ code: e ? (typeof e.code === 'number' ? e.code : 1) : 0, output: `${stdout}${stderr}`, missing: false });
    });
  });
}

/**
 * Checks `text` with a parser on the host: writes it to a temporary file,
 * runs `argv(file)`, removes the file — unless the same parser passed the
 * same text before (passedCheckPath; only with `remember`, for a parser whose
 * answer depends on the text alone: vtysh -C, not BIRD's, whose `include`
 * reads other files). Resolves quietly when the parser is not
 * installed (the kind's `requires` reports that) or cannot run.
 * @throws NetlabError naming the node, with the parser's own output, when it rejects the text (exit code 2: the user's config).
 */
export async function checkOnHost(node: Node, daemon: string, fileName: string, text: string, argv: (file: string) => string[], hint: string, remember = false): Promise<void> {
  const passed = remember ? passedCheckPath(argv('FILE'), text) : undefined;
  if (passed && existsSync(passed)) return;
  const dir = mkdtempSync(join(tmpdir(), 'netlab-check-'));
  try {
    const file = join(dir, fileName);
    writeFileSync(file, text);
    const r = await runOnHost(argv(file));
    if (r.missing) return;
    if (r.code === 0) {
      if (passed) try { mkdirSync(join(passed, '..'), { recursive: true }); writeFileSync(passed, ''); } catch { /* a record not kept only costs the next check */ }
      return;
    }
    const msg = r.output.replaceAll(file, fileName).trim();
    throw new NetlabError(`node ${node.name}`, `${daemon} rejects ${configSource(node)}:\n${indent(msg)}`, hint, 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Where the record of a passed check lives: `<store>/checks/<sha256>`, the
 * digest of the checker's argv, its program's identity (path, size, mtime,
 * inode — a new FRR package is a new vtysh) and the config text. A config
 * the same vtysh passed once passes again: `up` of a lab it has run before
 * skips `vtysh -C` (~60 ms of CPU per router). Only passes are kept; a
 * rejected config is checked, and its message made, every time. Undefined
 * when the program is not found on PATH. Reads the file system, writes nothing.
 */
export function passedCheckPath(argv: string[], text: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const prog = argv[0]!;
  const dirs = isAbsolute(prog) ? [''] : (env.PATH ?? '').split(delimiter).filter(Boolean);
  for (const d of dirs) {
    const path = d ? join(d, prog) : prog;
    let st;
    try { st = statSync(path); } catch { continue; }
    if (!st.isFile()) continue;
    const h = createHash('sha256').update(JSON.stringify([argv, path, st.size, st.mtimeMs, st.ino])).update('\0').update(text);
    return join(defaultStoreRoot(env), 'checks', h.digest('hex'));
  }
  return undefined;
}

/** Indents every line by two spaces (daemon output inside an error message). */
export function indent(text: string): string {
  return text.split('\n').map((l) => `  ${l}`).join('\n');
}
