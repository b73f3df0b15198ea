/**
 * A small lab of bare nodes for the core's integration tests, started through
 * the core's public API in a temporary run directory, torn down by killLab.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyCgroupOps, detectCgroups, killLab, nodeCgroupDirs, planLabCgroups, type CgroupLayout } from '../../src/core/cgroups.js';
import { execInNode, type ExecOptions, type ExecResult } from '../../src/core/enter.js';
import { allocateNodeIds } from '../../src/core/ids.js';
import { writeNodeIndex } from '../../src/core/index-file.js';
import { startNodes, type NodeSpec, type RunningNode } from '../../src/core/node.js';
import type { Resources } from '../../src/core/types.js';

let counter = 0;

export interface TestLab {
  lab: string;
  layout: CgroupLayout;
  /** The temporary run root (NETLAB_RUN_DIR for the native CLI). */
  runRoot: string;
  labDir: string;
  nodes: Map<string, RunningNode>;
  exec(node: string, argv: string[], opts?: ExecOptions): Promise<ExecResult>;
  /** Kills the lab by cgroup and removes its run directory. */
  destroy(): Promise<void>;
}

/** Options of startTestLab. */
export interface TestLabOptions {
  resources?: Record<string, Resources>;
  specs?: (s: NodeSpec) => NodeSpec;
  onStarted?: (n: RunningNode) => void;
  window?: number;
  /** Share a run root with another test lab (destroy then leaves it). */
  runRoot?: string;
  /** Use this cgroup layout instead of the detected one. */
  layout?: CgroupLayout;
  /** Give every node a user namespace of its own (ids from the test's run folder). */
  userns?: boolean;
  signal?: AbortSignal;
}

/** A unique lab name (no dots: decisions.md). */
export function uniqueLab(prefix = 't-core'): string {
  return `${prefix}${process.pid}x${++counter}`;
}

/** Starts nodes `names` of a fresh lab; on failure the half-started lab is destroyed before rethrowing. */
export async function startTestLab(names: string[], opts: TestLabOptions = {}): Promise<TestLab> {
  const lab = uniqueLab();
  const layout = opts.layout ?? detectCgroups();
  const ownRoot = !opts.runRoot;
  const runRoot = opts.runRoot ?? mkdtempSync(join(tmpdir(), 'netlab-core-'));
  const labDir = join(runRoot, lab);
  mkdirSync(join(labDir, 'nodes'), { recursive: true });
  writeFileSync(join(labDir, 'hosts'), `127.0.0.1\tlocalhost\n${names.map((n, i) => `10.0.0.${i + 1}\t${n}`).join('\n')}\n`);
  const nodes = new Map<string, RunningNode>();
  const t: TestLab = {
    lab, layout, runRoot, labDir, nodes,
    exec: (node, argv, o) => execInNode({ lab, ...nodes.get(node)! }, argv, o),
    destroy: async () => {
      await killLab(layout, lab);
      rmSync(ownRoot ? runRoot : labDir, { recursive: true, force: true });
    },
  };
  try {
    applyCgroupOps(planLabCgroups(layout, lab, names.map((name) => ({ name, resources: opts.resources?.[name] ?? {} }))));
    const ids = opts.userns ? allocateNodeIds(labDir, names.length) : [];
    const specs = names.map((name, i): NodeSpec => {
      const s: NodeSpec = {
        lab, name, runDir: join(labDir, 'nodes', name), lowerDirs: ['/'], hostsFile: join(labDir, 'hosts'), binds: [],
        cgroupDirs: nodeCgroupDirs(layout, lab, name, opts.resources?.[name] ?? {}), consoleLog: join(labDir, 'console.log'),
        ...(ids[i] ? { userns: ids[i] } : {}),
      };
      return opts.specs ? opts.specs(s) : s;
    });
    await startNodes(specs, {
      onStarted: (n) => { nodes.set(n.name, n); opts.onStarted?.(n); },
      ...(opts.window ? { window: opts.window } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    writeNodeIndex(labDir, [...nodes.values()]);
    return t;
  } catch (err) {
    await t.destroy();
    throw err;
  }
}
