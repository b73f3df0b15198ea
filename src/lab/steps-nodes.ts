/**
 * apply steps for nodes: cgroups, files written into each node's upper layer
 * (/etc/hosts, the kind's configs), PID 1 of every node, the hidden segment
 * namespace, and the `ip netns` names. Kernel work goes through src/core.
 */
import { chmodSync, chownSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { applyCgroupOps, nodeCgroupDirs, planLabCgroups } from '../core/cgroups.js';
import { writeNodeIndex } from '../core/index-file.js';
import { openNetns } from '../core/netns.js';
import { startNodes, type NodeSpec, type RunningNode } from '../core/node.js';
import { getKind } from '../daemons/registry.js';
import type { NodeFile } from '../daemons/kind.js';
import { SEGMENTS, type NodeStartAction } from '../graph/actions.js';
import type { Node, Topology } from '../topology/types.js';
import type { ApplyContext, Step } from './apply.js';
import { labDir, netnsDir, netnsLink, nodeDir } from './paths.js';

/** The core's name for the hidden segment namespace's node (node names start with a letter). */
export const SEGMENTS_NODE = '_segments';

/** Core-level name of a plan node: SEGMENTS → SEGMENTS_NODE. */
export function coreName(node: string): string {
  return node === SEGMENTS ? SEGMENTS_NODE : node;
}

/**
 * /etc/hosts of every node (pure): localhost lines, then each node's name on
 * its loopback address, or on its first interface address when it has no
 * loopback, IPv4 before IPv6.
 */
export function hostsFile(t: Topology): string {
  const lines = ['127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback', ''];
  for (const n of t.nodes) {
    const v4 = n.loopback.ipv4 ?? n.interfaces.find((i) => i.ipv4)?.ipv4;
    const v6 = n.loopback.ipv6 ?? n.interfaces.find((i) => i.ipv6)?.ipv6;
    if (v4) lines.push(`${v4.split('/')[0]}\t${n.name}`);
    if (v6) lines.push(`${v6.split('/')[0]}\t${n.name}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Host path of the node's upper layer (created by the core too; made here early to hold files). */
export function upperDirOf(lab: string, node: string): string {
  return join(nodeDir(lab, node), 'upper');
}

/** uid/gid of a user/group name in a passwd/group file of the node's lower layer. */
function lookupId(file: string, name: string | undefined): number {
  if (!name || name === 'root') return 0;
  const line = readFileSync(file, 'utf8').split('\n').find((l) => l.split(':')[0] === name);
  const id = line ? Number(line.split(':')[2]) : NaN;
  if (!Number.isInteger(id)) throw new Error(`no user or group "${name}" in ${file}`);
  return id;
}

/**
 * Writes a kind's files into the node's upper layer before the node starts.
 * Directories created on the way copy mode and owner from the lower layer's
 * directory of the same path (so /etc/frr stays frr:frr in the merged view).
 */
export function writeNodeFiles(lab: string, node: Node, files: NodeFile[]): void {
  const upper = upperDirOf(lab, node.name);
  const lower = node.rootfs ?? '/';
  for (const f of files) {
    const target = join(upper, f.path);
    mkdirLike(upper, lower, dirname(f.path));
    writeFileSync(target, f.content, { mode: f.mode ?? 0o644 });
    const uid = lookupId(join(lower, 'etc/passwd'), f.owner);
    const gid = lookupId(join(lower, 'etc/group'), f.group ?? f.owner);
    if (uid || gid) chownSync(target, uid, gid);
  }
}

function mkdirLike(upper: string, lower: string, path: string): void {
  const parts = path.split('/').filter(Boolean);
  let rel = '';
  for (const part of parts) {
    rel = `${rel}/${part}`;
    const dir = join(upper, rel);
    try { statSync(dir); continue; } catch { /* create it */ }
    mkdirSync(dir);
    try {
      const st = statSync(join(lower, rel));
      chownSync(dir, st.uid, st.gid);
      chmodSync(dir, st.mode & 0o7777); // after creation, so the umask does not narrow it
    } catch { /* not in the lower layer: keep root 0755 */ }
  }
}

/** The core's spec for one node (or the hidden segment namespace). */
function nodeSpec(ctx: ApplyContext, node: Node | undefined, name: string): NodeSpec {
  const lab = ctx.plan.lab;
  const dir = nodeDir(lab, name);
  return {
    lab,
    name,
    runDir: dir,
    lowerDirs: [node?.rootfs ?? '/'],
    hostsFile: join(labDir(lab), 'hosts'),
    binds: node?.binds ?? [],
    cgroupDirs: nodeCgroupDirs(ctx.layout, lab, name),
    userns: ctx.plan.topology.userns || undefined,
    consoleLog: join(labDir(lab), 'console.log'),
  };
}

/**
 * Starts every node (one batch for the native launcher): cgroups first, the
 * hosts file and the kinds' files, then PID 1s. Each started node is recorded
 * in the State file, gets its `ip netns` name and an open namespace fd.
 */
const nodeStart: Step = async (ctx, actions, progress) => {
  const t = ctx.plan.topology;
  const lab = ctx.plan.lab;
  const byName = new Map(t.nodes.map((n) => [n.name, n]));
  const names = (actions as NodeStartAction[]).map((a) => a.node);
  const hidden = ctx.plan.phases.some((p) => p.actions.some((a) => a.op === 'segment.ns'));
  const all = hidden ? [...names, SEGMENTS_NODE] : names;

  applyCgroupOps(planLabCgroups(ctx.layout, lab, all.map((name) => ({ name, resources: byName.get(name)?.resources ?? {} }))));
  mkdirSync(labDir(lab), { recursive: true });
  writeFileSync(join(labDir(lab), 'hosts'), hostsFile(t));
  for (const name of names) {
    const node = byName.get(name)!;
    mkdirSync(upperDirOf(lab, name), { recursive: true });
    writeNodeFiles(lab, node, getKind(node.kind).files(node, t));
  }
  mkdirSync(netnsDir, { recursive: true });
  ctx.store.flush();

  const onStarted = (n: RunningNode): void => {
    const planName = n.name === SEGMENTS_NODE ? SEGMENTS : n.name;
    ctx.running.set(planName, n);
    ctx.store.update((s) => { s.nodes[n.name] = { pid: n.pid, startTime: n.startTime, kind: byName.get(n.name)?.kind ?? 'segments' }; });
    ctx.netns.set(planName, openNetns(n.pid, n.name));
    if (planName !== SEGMENTS) symlinkSync(`/proc/${n.pid}/ns/net`, netnsLink(lab, n.name));
    if (planName !== SEGMENTS) progress.step();
  };
  await startNodes(all.map((name) => nodeSpec(ctx, byName.get(name), name)), { onStarted, signal: ctx.signal });
  writeNodeIndex(labDir(lab), [...ctx.running.values()]);
  ctx.store.flush();
};

/** The hidden segment namespace starts with the nodes (see nodeStart); nothing more to do. */
const segmentNs: Step = async (_ctx, actions, progress) => {
  progress.step(actions.length);
};

/** The node steps, by action op. */
export const nodeSteps: Record<string, Step> = { 'node.start': nodeStart, 'segment.ns': segmentNs };
