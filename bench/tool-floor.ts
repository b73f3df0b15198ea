/**
 * The kernel floor: the same graph's network objects made with iproute2 alone,
 * nothing else — no processes, pid/mount namespaces, overlay roots or cgroups.
 *
 *   up:   `ip -batch` of N `netns add`;
 *         ONE `ip -batch` of `link add A netns NA up type veth peer name B netns NB`
 *         (both ends created in place; the first end up at once);
 *         the peer ends and lo up: one `nsenter --net=/run/netns/NS ip -batch -` per
 *         namespace, two at a time — iproute2 6.1 has no `-n` inside a batch file,
 *         and a veth peer cannot be created up (the kernel answers ENOTCONN:
 *         drivers/net/veth.c opens it before it has a peer). Not `ip -n NS`: it
 *         unshares a mount namespace to remount /sys, copying every /run/netns
 *         bind mount each time — measured 11 s for 2,000 namespaces, O(N²).
 *   down: `ip -batch` of N `netns del`.
 *
 * `ip netns add` bind-mounts /run/netns onto itself (shared) when it is not a
 * mount point yet; the floor undoes that, and removes /run/netns if it made it.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmdirSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { hostBusyMs } from './host.js';
import { checkLinks, sampleNodes, type Phase, type Step, type ToolRun } from './measure.js';
import type { BenchGraph } from './topo-gen.js';

/** Namespace name of a node in the floor run (`nlbench-<node>`). */
export const floorNs = (node: string): string => `nlbench-${node}`;

/** The three batches of the floor, as text (pure; exported for tests). */
export function floorBatches(g: BenchGraph): { netnsAdd: string; links: string; up: Map<string, string>; netnsDel: string } {
  const netnsAdd = g.nodes.map((x) => `netns add ${floorNs(x)}\n`).join('');
  const links = g.links.map(([a, b]) =>
    `link add ${a.iface} netns ${floorNs(a.node)} up type veth peer name ${b.iface} netns ${floorNs(b.node)}\n`).join('');
  const up = new Map<string, string>(g.nodes.map((x) => [x, 'link set lo up\n']));
  for (const [, b] of g.links) up.set(b.node, `${up.get(b.node)!}link set ${b.iface} up\n`);
  const netnsDel = g.nodes.map((x) => `netns del ${floorNs(x)}\n`).join('');
  return { netnsAdd, links, up, netnsDel };
}

/** Runs `ip -batch -` with `text` on stdin (inside namespace `netns` when given); resolves when it exits 0. */
function ipBatch(text: string, netns?: string): Promise<void> {
  return new Promise((res, rej) => {
    const pre = netns ? [`--net=/run/netns/${netns}`, 'ip'] : [];
    const child = spawn(netns ? 'nsenter' : 'ip', [...pre, '-batch', '-'], { stdio: ['pipe', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => { err += d; });
    child.on('error', rej);
    child.on('close', (code) => (code === 0 ? res() : rej(new Error(`${pre.join(' ')} ip -batch: exit ${code}: ${err.trim().split('\n').slice(0, 3).join(' | ')}`))));
    child.stdin.end(text);
  });
}

/** Runs the jobs, at most `width` at a time. */
async function pool(jobs: (() => Promise<void>)[], width: number): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => { while (next < jobs.length) await jobs[next++]!(); };
  await Promise.all(Array.from({ length: Math.min(width, jobs.length) }, worker));
}

const isMountPoint = (path: string): boolean =>
  readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => l.split(' ')[4] === path);

export function floorRun(g: BenchGraph): ToolRun {
  const b = floorBatches(g);
  const hadDir = existsSync('/run/netns');
  const hadMount = hadDir && isMountPoint('/run/netns');
  const step = async (parts: [string, () => Promise<void>][]): Promise<Step> => {
    const busy0 = hostBusyMs();
    const t0 = performance.now();
    const phases: Phase[] = [];
    for (const [name, fn] of parts) {
      const p0 = performance.now();
      await fn();
      phases.push({ name, ms: performance.now() - p0 });
    }
    return { wallMs: performance.now() - t0, cpuMs: null, hostCpuMs: hostBusyMs() - busy0, maxRssKiB: null, phases };
  };
  /** Puts /run/netns back as it was (only what `ip netns add` changed). */
  const restoreRunNetns = (): void => {
    if (!hadMount && isMountPoint('/run/netns')) spawnSync('umount', ['/run/netns']);
    if (!hadDir && existsSync('/run/netns') && readdirSync('/run/netns').length === 0) rmdirSync('/run/netns');
  };
  return {
    up: () => step([
      ['netns', () => ipBatch(b.netnsAdd)],
      ['veths', () => ipBatch(b.links)],
      ['link-up', () => pool([...b.up].map(([node, text]) => () => ipBatch(text, floorNs(node))), 2)],
    ]),
    down: async () => {
      const s = await step([['netns-del', () => ipBatch(b.netnsDel)]]);
      restoreRunNetns();
      return s;
    },
    verify: async () => {
      for (const s of sampleNodes(g)) {
        const r = spawnSync('nsenter', [`--net=/run/netns/${floorNs(s.node)}`, 'ip', '-o', 'link', 'show'], { encoding: 'utf8' });
        const bad = r.status !== 0 ? `${s.node}: ${r.stderr.trim()}` : checkLinks(s.node, r.stdout, s.ifaces);
        if (bad) return bad;
      }
      return null;
    },
    cleanup: async () => {
      // Only our own names; `-force` goes on past the ones that do not exist.
      spawnSync('ip', ['-force', '-batch', '-'], { input: b.netnsDel, stdio: ['pipe', 'ignore', 'ignore'] });
      restoreRunNetns();
    },
  };
}
