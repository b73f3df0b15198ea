/**
 * Where a running lab's nodes are drawn (the web UI's dragged positions), kept
 * in the lab's run folder (ui-positions.json), so every browser that opens
 * the lab — the teacher's projector and each student's laptop — shows the same
 * picture, and the file goes away with the lab (docs/decisions.md, "netlab ui").
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { UsageError } from '../errors.js';
import { labPath } from './paths.js';

/** Position of a drawn element (a node, a LAN, the host) by its id: page pixels, origin anywhere. */
export type Positions = Record<string, { x: number; y: number }>;

/** Most positions a lab keeps: a node, LAN or host each, with room to spare. */
export const MAX_POSITIONS = 100_000;

const FILE = 'ui-positions.json';

/** Positions saved for `lab`; {} when none were saved (or the file is unreadable). */
export function readPositions(lab: string): Positions {
  try {
    const v = JSON.parse(readFileSync(labPath(lab, FILE), 'utf8')) as unknown;
    return checkPositions(v, 'saved positions');
  } catch {
    return {};
  }
}

/**
 * Checks positions from outside (pure): an object of at most MAX_POSITIONS
 * ids (1–200 characters, no control characters) to finite x and y.
 * @throws UsageError naming the first bad entry.
 */
export function checkPositions(v: unknown, where: string): Positions {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new UsageError(where, 'is not an object of id → { x, y }', 'send e.g. { "r1": { "x": 10, "y": 20 } }');
  const entries = Object.entries(v as Record<string, unknown>);
  if (entries.length > MAX_POSITIONS) throw new UsageError(where, `holds ${entries.length} positions; at most ${MAX_POSITIONS}`, 'send the lab\'s own elements only');
  const out: Positions = {};
  for (const [id, p] of entries) {
    const { x, y } = (p ?? {}) as { x?: unknown; y?: unknown };
    // eslint-disable-next-line no-control-regex
    if (!id || id.length > 200 || /[\u0000-\u001f]/.test(id) || typeof x !== 'number' || typeof y !== 'number' || !Number.isFinite(x) || !Number.isFinite(y)) {
      throw new UsageError(`${where}: ${JSON.stringify(id).slice(0, 60)}`, 'is not a position', 'each entry is { "x": number, "y": number }');
    }
    out[id] = { x, y };
  }
  return out;
}

/**
 * Merges `positions` over the saved ones and writes them (atomically: a
 * temporary file renamed over the old one). Resolves with what is saved now.
 * @throws UsageError for bad positions (nothing written).
 */
export function savePositions(lab: string, positions: unknown): Positions {
  const merged = { ...readPositions(lab), ...checkPositions(positions, 'positions') };
  if (Object.keys(merged).length > MAX_POSITIONS) throw new UsageError('positions', `would hold more than ${MAX_POSITIONS}`, 'send the lab\'s own elements only');
  const path = labPath(lab, FILE);
  writeFileSync(`${path}.tmp`, JSON.stringify(merged));
  renameSync(`${path}.tmp`, path);
  return merged;
}
