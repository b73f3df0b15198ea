/**
 * apply steps for nodes: cgroups, files written into each node's upper layer
 * (/etc/hosts, the kind's configs), PID 1 of every node, the hidden segment
 * namespace, and the `ip netns` names. Kernel work goes through src/core.
 */
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { applyCgroupOps, nodeCgroupDirs, nodesWithOwnDevicesCgroup, planLabCgroups, type CgroupNode } from '../core/cgroups.js';
import { nodeDevices } from '../core/devices.js';
import { DEFAULT_UPPER_BYTES, hostMemory, labMemoryBytes } from '../core/limits.js';
import { allocateNodeIds, type UsernsSpec } from '../core/ids.js';
import { writeNodeIndex } from '../core/index-file.js';
import { blockDevice } from '../core/io-device.js';
import { openNetns } from '../core/netns.js';
import { startNodes, type NodeSpec, type RunningNode } from '../core/node.js';
import { getKind } from '../daemons/registry.js';
import { writeNodeFiles } from '../daemons/files.js';
import type { NodeStartAction } from '../graph/actions.js';
import { isHidden, planName, SEGMENTS_NODE } from '../topology/namespaces.js';
import { targetAddress } from '../topology/tests.js';
import type { Bind, Node, Topology } from '../topology/types.js';
import type { ApplyContext, Step } from './apply.js';
import { isRootless } from '../core/rootless.js';
import { compatDir, labDir, labPath, netnsAlias, netnsDir, netnsLink, nodeDir } from './paths.js';
import { scriptFiles } from './node-files.js';


/**
 * /etc/hosts of every node (pure): localhost lines, then each node's name on
 * the address `reach` tests ping for it (src/topology/tests.ts targetAddress:
 * a router's loopback, a host's first interface address), IPv4 before IPv6 —
 * so `ping h2` inside a lab goes where a student expects.
 */
export function hostsFile(t: Topology): string {
  const lines = ['127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback', ''];
  for (const n of t.nodes) {
    // With name_prefix: the node's other name too (containerlab's clab-<lab>-<node>), on its
    // address, else on its management address.
    const names = t.namePrefix ? `${n.name} ${t.namePrefix}${n.name}` : n.name;
    for (const family of [4, 6] as const) {
      const a = targetAddress(n, family) ?? (t.namePrefix ? (family === 4 ? n.mgmt?.ipv4 : n.mgmt?.ipv6)?.split('/')[0] : undefined);
      if (a) lines.push(`${a}\t${names}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** Host path of the node's upper layer (created by the core too; made here early to hold files). */
export function upperDirOf(lab: string, node: string): string {
  return labPath(lab, 'nodes', node, 'upper');
}

/** Files of the lab that every node's spec names (checked paths, computed once per lab). */
interface LabFiles { hosts: string; consoleLog: string }

/** The devices of a node (or of the hidden segment namespace: the default list). */
function devicesOf(node: Node | undefined): { rules: string[]; binds: Bind[] } {
  return nodeDevices(node?.resources.devices, `nodes.${node?.name}.resources.devices`);
}

/**
 * The compat layers of a node with `compat: true` (compat/README.md): the
 * service commands (systemctl, service, /etc/init.d/frr) for every such
 * node; the package and shell stand-ins (apk, apt-get, ash) only on the
 * host's root, where an image's own apk or apt-get must not be hidden.
 */
function compatLayers(node: Node, onImage: boolean): string[] {
  if (!node.compat) return [];
  return onImage ? [join(compatDir(), 'services')] : [join(compatDir(), 'services'), join(compatDir(), 'host-root')];
}

/**
 * A rootless node's devices: a user namespace may not mknod(2), so the host's
 * own device nodes are bound in (what rootless Podman does); the same list
 * the skeleton makes as root (native/skeleton.c).
 */
const ROOTLESS_DEVICE_BINDS: Bind[] = ['null', 'zero', 'full', 'random', 'urandom', 'tty', 'net/tun']
  .map((d) => ({ source: `/dev/${d}`, target: `/dev/${d}`, readonly: false }));

/** The core's spec for one node (or the hidden segment namespace: no user namespace, it runs nothing). */
function nodeSpec(ctx: ApplyContext, files: LabFiles, node: Node | undefined, name: string, devices: { rules: string[]; binds: Bind[] }, userns: UsernsSpec | undefined, ownDevices: boolean): NodeSpec {
  const lab = ctx.plan.lab;
  const dir = nodeDir(lab, name);
  return {
    lab,
    name,
    runDir: dir,
    lowerDirs: ctx.roots?.get(name)?.lowerDirs ?? ['/'],
    layers: node ? [...node.layers, ...compatLayers(node, ctx.roots?.get(name)?.image !== undefined)] : [],
    hostsFile: files.hosts,
    binds: [...(node?.binds ?? []), ...devices.binds, ...(isRootless() ? ROOTLESS_DEVICE_BINDS : [])],
    cgroupDirs: nodeCgroupDirs(ctx.layout, lab, name, node?.resources ?? {}, ownDevices),
    seccomp: node?.security?.seccomp !== 'unconfined',
    upperBytes: node?.resources.upperBytes ?? DEFAULT_UPPER_BYTES,
    // cgroup v2 (also hybrid's unified tree): the launcher's BPF program; v1 has the devices cgroup files
    // A rootless lab may not attach the BPF device program (CAP_SYS_ADMIN of the host's); its nodes get the host's device nodes bound in.
    ...(ctx.layout.unified && !isRootless() ? { deviceRules: devices.rules } : {}),
    ...(userns ? { userns } : {}),
    // A node that runs something of its own (cmd, daemons, an image's entrypoint) gets its
    // own console log; the others share the lab's, which saves a directory per node at scale.
    consoleLog: node && (node.cmd !== undefined || getKind(node.kind).facts.router || node.image !== undefined) ? join(dir, 'console.log') : files.consoleLog,
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

  const devices = new Map(all.map((name) => [name, devicesOf(byName.get(name))]));
  const limits = { memoryBytes: labMemoryBytes(t.limits, hostMemory()), memoryAsked: t.limits?.memoryBytes !== undefined || t.limits?.memoryPercent !== undefined };
  const cgroupNodes: CgroupNode[] = all.map((name) => {
    const n = byName.get(name);
    const io = n?.resources.io;
    return {
      name, resources: n?.resources ?? {}, devices: devices.get(name)!.rules, userns: t.userns && n !== undefined, // the segment namespace has none
      ...(io ? { ioDevice: blockDevice(io.device ?? n.rootfs ?? '/', `nodes.${name}.resources.io`) } : {}),
    };
  });
  const ownDevices = nodesWithOwnDevicesCgroup(cgroupNodes);
  applyCgroupOps(planLabCgroups(ctx.layout, lab, cgroupNodes, limits));
  mkdirSync(labDir(lab), { recursive: true });
  writeFileSync(labPath(lab, 'hosts'), hostsFile(t));
  for (const name of names) {
    const node = byName.get(name)!;
    const files = [...getKind(node.kind).files(node, t), ...scriptFiles(node)];
    if (!files.length) continue; // no upper dir at all: the core then copies nothing (and 1,000 mkdirs are saved)
    mkdirSync(upperDirOf(lab, name), { recursive: true });
    writeNodeFiles(upperDirOf(lab, name), files, ctx.roots?.get(name)?.lowerDirs ?? '/', name, isRootless() ? { overflowId: 65534 } : undefined);
  }
  mkdirSync(netnsDir(), { recursive: true });
  ctx.store.flush();

  const onStarted = (n: RunningNode): void => {
    const name = planName(n.name);
    ctx.running.set(name, n);
    ctx.store.update((s) => { s.nodes[n.name] = { pid: n.pid, startTime: n.startTime, kind: byName.get(n.name)?.kind ?? 'segments' }; });
    ctx.netns.set(name, openNetns(n.pid, n.name));
    if (isHidden(name)) return;
    symlinkSync(`/proc/${n.pid}/ns/net`, netnsLink(lab, n.name));
    if (t.namePrefix) symlinkSync(`/proc/${n.pid}/ns/net`, netnsAlias(t.namePrefix, n.name));
    progress.step();
  };
  const files: LabFiles = { hosts: labPath(lab, 'hosts'), consoleLog: labPath(lab, 'console.log') };
  // A rootless lab's nodes share the lab's user namespace: the user's 65,536 ids hold no range per node (docs/rootless.md).
  const ids = t.userns && !isRootless() ? allocateNodeIds(labDir(lab), names.length) : [];
  await startNodes(all.map((name, i) => nodeSpec(ctx, files, byName.get(name), name, devices.get(name)!, ids[i], ownDevices.has(name))), { onStarted, signal: ctx.signal });
  writeNodeIndex(labDir(lab), [...ctx.running.values()]);
  ctx.store.flush();
};

/** The hidden segment namespace starts with the nodes (see nodeStart); nothing more to do. */
const segmentNs: Step = async (_ctx, actions, progress) => {
  progress.step(actions.length);
};

/** The node steps, by action op. */
export const nodeSteps: Record<string, Step> = { 'node.start': nodeStart, 'segment.ns': segmentNs };
