/**
 * Limits that keep a lab from taking the host: the size of each node's upper
 * layer (its tmpfs, in memory) and the memory of the lab as a whole (its
 * cgroup). docs/nodes.md ("Limits") explains them to users;
 * docs/performance.md has the measurements behind the defaults.
 */
import { readFileSync } from 'node:fs';
import type { LabLimitsSpec } from '../topology/types.js';

/**
 * Default size of a node's upper layer, bytes: 256 MiB. Without a size a
 * tmpfs may grow to half of the host's RAM (tmpfs(5)), per node. An FRR
 * router writes about 100 KiB there (configs, pid files, vty sockets), a
 * linux node next to nothing; 256 MiB leaves room for packet captures and
 * logs, and `resources.upper` raises it.
 */
export const DEFAULT_UPPER_BYTES = 256 * 1024 ** 2;

/** Default memory limit of a lab: this share of the host's MemTotal, so the host keeps the rest. */
export const DEFAULT_LAB_MEMORY_PERCENT = 90;

export type { LabLimitsSpec } from '../topology/types.js';

/** Host memory, bytes, from /proc/meminfo (proc(5)). */
export interface HostMemory {
  totalBytes: number;
  /** MemAvailable: what can be allocated without swapping (Linux ≥ 3.14). */
  availableBytes: number;
}

/** Parses /proc/meminfo text. Pure. Missing fields read as 0. */
export function parseMeminfo(text: string): HostMemory {
  const kib = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0) * 1024;
  return { totalBytes: kib('MemTotal'), availableBytes: kib('MemAvailable') };
}

/** This host's memory (reads /proc/meminfo). */
export function hostMemory(): HostMemory {
  return parseMeminfo(readFileSync('/proc/meminfo', 'utf8'));
}

/**
 * The lab's memory limit in bytes: `limits.memory` (bytes, or a percentage of
 * MemTotal), else DEFAULT_LAB_MEMORY_PERCENT of MemTotal; rounded down to a
 * whole page. Pure.
 */
export function labMemoryBytes(spec: LabLimitsSpec | undefined, host: HostMemory): number {
  const bytes = spec?.memoryBytes ?? host.totalBytes * (spec?.memoryPercent ?? DEFAULT_LAB_MEMORY_PERCENT) / 100;
  return Math.floor(bytes / 4096) * 4096;
}
