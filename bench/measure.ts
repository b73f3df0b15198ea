/**
 * One measurement: a tool brings a graph up, the lab idles, the tool takes it
 * down — under the kernel lock, with a leakcheck snapshot around it; the host
 * is let go idle before, and the time it stays busy after down is measured.
 */
import { performance } from 'node:perf_hooks';
import { withKernelLock } from './kernel-lock.js';
import { leakSnapshot, loadAvg1, memAvailableSteadyKiB, sleep, waitHostIdle } from './host.js';
import type { BenchGraph, TopoKind } from './topo-gen.js';

export type ToolName = 'netlab' | 'mininet' | 'floor';
export const TOOL_NAMES: readonly ToolName[] = ['netlab', 'mininet', 'floor'];

/** A named phase of up or down and its duration (ms), as the tool reports it. */
export interface Phase { name: string; ms: number }

/** What one step (up or down) cost. CPU and RSS are null where the tool cannot tell. */
export interface Step {
  wallMs: number;
  /** CPU (user + sys) of the tool's own processes, ms. */
  cpuMs: number | null;
  /** CPU of the whole host during the step (includes kernel workers and other users), ms. */
  hostCpuMs: number;
  maxRssKiB: number | null;
  phases: Phase[];
}

/** A tool driven by the benchmark for one graph. Each method throws on failure. */
export interface ToolRun {
  up(): Promise<Step>;
  down(): Promise<Step>;
  /** Best-effort removal after a failure (never touches objects that are not this run's). */
  cleanup(): Promise<void>;
  /** After up, untimed: what is not as asked (e.g. links not up), or null. */
  verify?(): Promise<string | null>;
}

/**
 * Checks `ip -o link` output of one namespace: every interface but lo is
 * administratively up and has carrier (LOWER_UP), and there are `expect` of them.
 * Returns what is wrong, or null.
 */
export function checkLinks(where: string, ipOutput: string, expect: number): string | null {
  const ifaces = ipOutput.split('\n').filter(Boolean).map((l) => {
    const m = /^\d+:\s+([^:@\s]+)[^<]*<([^>]*)>/.exec(l);
    return m ? { name: m[1]!, flags: m[2]!.split(',') } : null;
  }).filter((x): x is { name: string; flags: string[] } => x !== null && x.name !== 'lo');
  const bad = ifaces.filter((i) => !i.flags.includes('UP') || !i.flags.includes('LOWER_UP')).map((i) => i.name);
  if (ifaces.length !== expect) return `${where}: ${ifaces.length} interfaces, expected ${expect}`;
  return bad.length ? `${where}: ${bad.join(', ')} not up (no UP or LOWER_UP)` : null;
}

/** Nodes to spot-check after up: the first, the middle and the last, with their interface counts. */
export function sampleNodes(g: BenchGraph): { node: string; index: number; ifaces: number }[] {
  const idx = [...new Set([0, Math.floor(g.nodes.length / 2), g.nodes.length - 1])];
  return idx.map((i) => {
    const node = g.nodes[i]!;
    return { node, index: i, ifaces: g.links.reduce((k, [a, b]) => k + (a.node === node ? 1 : 0) + (b.node === node ? 1 : 0), 0) };
  });
}

export interface Measurement {
  tool: ToolName;
  topo: TopoKind;
  /** '' or a variant name (e.g. 'addressing' for netlab with default address pools). */
  variant: string;
  asked: number;
  nodes: number;
  links: number;
  up: Step | null;
  down: Step | null;
  /**
   * ms the host stayed busy after down returned (the kernel dismantling the
   * namespaces; waitHostIdle); null when it did not settle within the timeout.
   */
  settledMs: number | null;
  /** Host memory used per running idle node, KiB (MemAvailable before up − while idle, / nodes). */
  memPerNodeKiB: number | null;
  /** 1-minute load average when the measurement began. */
  load1: number;
  error?: string;
  /** What the check after up found wrong (the lab was not fully up), if anything. */
  warning?: string;
  /** leakcheck's report when the host differed afterwards. */
  leak?: string;
}

export interface MeasureOptions {
  repoRoot: string;
  /** How long the lab idles before memory is read, ms. */
  idleMs?: number;
  log?: (line: string) => void;
}

/** Measures one tool on one graph (holds the kernel lock for the whole of it). */
export async function measure(tool: ToolName, variant: string, g: BenchGraph, run: ToolRun, opts: MeasureOptions): Promise<Measurement> {
  const m: Measurement = {
    tool, topo: g.kind, variant, asked: g.asked, nodes: g.nodes.length, links: g.links.length,
    up: null, down: null, settledMs: null, memPerNodeKiB: null, load1: loadAvg1(),
  };
  const log = opts.log ?? (() => {});
  const { value } = await withKernelLock(async () => {
    const idle = await waitHostIdle(20_000);
    if (idle === null) log('  the host is not idle (someone else is busy): measuring anyway, see the load');
    m.load1 = loadAvg1();
    const leak = leakSnapshot(opts.repoRoot);
    let upDone = false;
    try {
      const mem0 = await memAvailableSteadyKiB();
      m.up = await run.up();
      upDone = true;
      const problem = await run.verify?.();
      if (problem) { m.warning = problem; log(`  WARNING: ${tool} ${g.kind} ${g.asked} is not fully up: ${problem}`); }
      await sleep(opts.idleMs ?? 2000);
      m.memPerNodeKiB = (mem0 - await memAvailableSteadyKiB()) / g.nodes.length;
      m.down = await run.down();
      m.settledMs = await waitHostIdle(Math.max(30_000, g.nodes.length * 30));
    } catch (err) {
      m.error = (err as Error).message.split('\n').slice(0, 6).join('\n');
      log(`  ${tool} ${g.kind} ${g.asked}: FAILED ${upDone ? 'down' : 'up'}: ${m.error}`);
      try { await run.cleanup(); } catch (e) { log(`  cleanup failed too: ${(e as Error).message}`); }
      await waitHostIdle(60_000);
    }
    if (leak) {
      const diff = leak.compare();
      if (diff) { m.leak = diff; log(`  LEAK after ${tool} ${g.kind} ${g.asked}:\n${diff}`); }
    }
    return m;
  }, () => log('  waiting for the kernel lock (someone else is using the kernel)…'));
  return value;
}

/** ms since t0, for the tools' phase timers. */
export const since = (t0: number): number => performance.now() - t0;
