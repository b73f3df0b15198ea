/**
 * The lab's node index, /run/netlab/<lab>/nodes.tsv: one line per running
 * node, `name<TAB>pid<TAB>starttime`. netlab-enter --cli (native/enter-cli.c)
 * reads it to find a node without a JSON parser and without starting Node.js;
 * the start time (field 22 of /proc/PID/stat) tells a reused pid from the
 * node's. The cgroups a command joins are read from the node's PID 1
 * (/proc/PID/cgroup), so no cgroup list is kept.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** File name of the index inside the lab's run directory. */
export const NODE_INDEX = 'nodes.tsv';

/** One line of the index. */
export interface NodeIndexEntry {
  name: string;
  pid: number;
  startTime: number;
}

/** The index text, sorted by name. Pure. @throws TypeError for a name holding a tab or newline. */
export function formatNodeIndex(entries: NodeIndexEntry[]): string {
  return [...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map((e) => {
    if (/[\t\n]/.test(e.name)) throw new TypeError(`node name "${e.name}" holds a tab or newline`);
    return `${e.name}\t${e.pid}\t${e.startTime}\n`;
  }).join('');
}

/** Parses index text; malformed lines are skipped. Pure. */
export function parseNodeIndex(text: string): NodeIndexEntry[] {
  const out: NodeIndexEntry[] = [];
  for (const line of text.split('\n')) {
    const [name, pid, startTime] = line.split('\t');
    if (!name || name.startsWith('#') || !/^\d+$/.test(pid ?? '') || !/^\d+$/.test(startTime ?? '')) continue;
    out.push({ name, pid: Number(pid), startTime: Number(startTime) });
  }
  return out;
}

/** Writes `<labDir>/nodes.tsv` atomically (a reader never sees half a file). */
export function writeNodeIndex(labDir: string, entries: NodeIndexEntry[]): void {
  const path = join(labDir, NODE_INDEX);
  writeFileSync(`${path}.tmp`, formatNodeIndex(entries));
  renameSync(`${path}.tmp`, path);
}

/** Reads `<labDir>/nodes.tsv`; [] when there is none. */
export function readNodeIndex(labDir: string): NodeIndexEntry[] {
  try { return parseNodeIndex(readFileSync(join(labDir, NODE_INDEX), 'utf8')); } catch { return []; }
}
