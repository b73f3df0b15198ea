/**
 * `up`: checks that a lab can start, applies its plan, and on any failure (or
 * Ctrl-C/SIGTERM, through `signal`) rolls back to nothing with `teardown`.
 */
import { existsSync, lstatSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { detectCgroups, type CgroupLayout } from '../core/cgroups.js';
import { checkCpusets } from '../core/cpuset.js';
import { isAlive } from '../core/node.js';
import { enterBinary, initBinary } from '../core/native.js';
import { getKind } from '../daemons/registry.js';
import { NetlabError, shellWord, TopologyError, UsageError } from '../errors.js';
import { HOST, type Plan, type QdiscAction } from '../graph/actions.js';
import { hasImpairment } from '../shaping/netem.js';
import { probeQdiscSupport } from '../shaping/probe.js';
import { plan as makePlan } from '../graph/plan.js';
import { hostAddresses, openHostNetns, subnetUsers } from '../net/host.js';
import { listLinks } from '../net/iface.js';
import { Rtnl } from '../net/rtnl.js';
import type { Topology } from '../topology/types.js';
import { closeContext, runPhases, type ApplyContext, type Step } from './apply.js';
import { labDir, netnsAlias, netnsLink } from './paths.js';
import type { ProgressListener } from './progress.js';
import { findProgram } from './programs.js';
import { newState, readState, StateStore, upInProgress } from './state.js';
import { nodeSteps } from './steps-nodes.js';
import { netSteps } from './steps-net.js';
import { runSteps } from './steps-run.js';
import { shapingSteps } from './steps-shaping.js';
import { teardown } from './teardown.js';

/** Options of `up`. */
export interface UpOptions {
  onProgress?: ProgressListener;
  /** Aborting rolls the lab back (the CLI wires Ctrl-C and SIGTERM to it). */
  signal?: AbortSignal;
  /** Replace a running lab of the same name instead of refusing. */
  reconfigure?: boolean;
  /** Leave a half-made lab in place after a failure, for debugging (`netlab down` removes it). */
  keepOnError?: boolean;
  /** Called with each warning (e.g. leftovers of a crashed run being removed). */
  onWarning?: (text: string) => void;
}

/** What `up` did. */
export interface UpReport {
  lab: string;
  nodes: number;
  links: number;
  /** Wall time of the whole `up`, ms. */
  ms: number;
  /** Phase name → ms. */
  timings: Record<string, number>;
}

const steps: Record<string, Step> = { ...nodeSteps, ...netSteps, ...shapingSteps, ...runSteps };

/** Whether a lab has running nodes or an `up` in progress. */
export function labIsRunning(lab: string): boolean {
  const { state } = readState(lab);
  if (!state) return false;
  if (upInProgress(state)) return true;
  return Object.entries(state.nodes).some(([name, n]) => !name.startsWith('_') && isAlive(n));
}


/**
 * Everything that can be checked before the first kernel object: root, the
 * native helpers, the kinds' programs, free `ip netns` names, host interface
 * names and subnets (checkHostFree), cpusets this host can give, and whether
 * the lab already runs (or left debris, which is removed with a warning).
 * @throws UsageError / NetlabError saying what to do.
 */
async function preflight(t: Topology, opts: UpOptions, layout: CgroupLayout): Promise<void> {
  if (process.getuid?.() !== 0) {
    throw new UsageError('netlab up', 'creating namespaces, veths and cgroups needs root', 'run it as root: sudo netlab up …');
  }
  initBinary(); // both throw, naming `npm run build`, when native/ was not built
  enterBinary();
  for (const kind of new Set(t.nodes.map((n) => n.kind))) {
    for (const req of getKind(kind).requires) {
      if (!findProgram(req.program)) {
        const users = t.nodes.filter((n) => n.kind === kind).map((n) => n.name);
        throw new NetlabError(`nodes.${users[0]}.kind`, `kind ${kind} needs ${req.program}, which is not installed`, `install it: apt install ${req.package}`);
      }
    }
  }
  // The daemons' own parsers read user-given configs before anything is built.
  await Promise.all(t.nodes.map((n) => getKind(n.kind).check?.(n, t)));
  if (labIsRunning(t.name)) {
    if (!opts.reconfigure) {
      throw new UsageError(`lab ${t.name}`, 'is already running', `take it down first (netlab down ${t.name}), or replace it: netlab up --reconfigure ${t.file ? shellWord(t.file) : t.name}${t.renamed ? ` --name ${t.name}` : ''}`);
    }
    await teardown(t.name);
  } else if (existsSync(labDir(t.name))) {
    opts.onWarning?.(`removing what a previous run of lab ${t.name} left behind`);
    await teardown(t.name);
  }
  await checkHostFree(t);
  checkCpusets(t, layout);
  for (const n of t.nodes) {
    for (const link of [netnsLink(t.name, n.name), ...(t.namePrefix ? [netnsAlias(t.namePrefix, n.name)] : [])]) {
      try {
        lstatSync(link);
        throw new UsageError(`nodes.${n.name}`, `a network namespace named ${basename(link)} already exists in /run/netns and is not this lab's`,
          link.endsWith(`/${t.name}.${n.name}`) ? 'remove it (ip netns delete …) or give the lab another name' : 'another lab (or a container tool) uses that name: take that lab down, or give this lab another name (--name)');
      } catch (err) {
        if (err instanceof UsageError) throw err;
      }
    }
  }
}

/**
 * The objects a lab would make in the host's namespace must be free before any
 * node starts (read-only): the host interface names (mgmt bridge and ports,
 * host links), and the subnets of the management network and of every host
 * link's host-side IPv4 address, which no host address may overlap (the kernel
 * would accept a second 10.1.0.1/31 on another interface, with a second
 * connected route: the host could no longer tell the labs apart).
 * @throws TopologyError (exit 2) naming what is taken and by what.
 */
async function checkHostFree(t: Topology): Promise<void> {
  const names = [
    ...(t.mgmt ? [t.mgmt.bridge, ...t.nodes.flatMap((n) => (n.mgmt ? [n.mgmt.hostIface] : []))] : []),
    ...t.links.flatMap((l) => (l.host ? [l.host.iface] : [])),
  ];
  if (!names.length) return;
  const host = Rtnl.open({ label: 'host' });
  try {
    const links = await listLinks(host);
    const taken = names.filter((n) => links.has(n));
    if (taken.length) {
      const li = t.links.findIndex((l) => l.host && taken.includes(l.host.iface));
      const where = li >= 0 ? `links[${li}]` : 'mgmt';
      throw new TopologyError(where, `the host already has interface(s) named ${taken.join(', ')}`,
        'another lab (netlab status) or the host has it, and netlab never takes over an interface this lab did not create: pick another name (mgmt: { bridge: … } or host:IFNAME)');
    }
    const held = await hostAddresses(host, links);
    for (const l of t.links) {
      for (const cidr of [l.host?.ipv4, l.host?.ipv6]) {
        if (!cidr) continue;
        const users = subnetUsers(held, cidr);
        if (!users.length) continue;
        const where = `links[${l.index}]`;
        throw new TopologyError(where, `the host side ${cidr} of host:${l.host!.iface} is in a subnet already in use on the host: ${users.join(', ')}`,
          cidr.includes(':')
            ? 'give the link IPv6 addresses of its own, or this lab another IPv6 pool (addressing: { ipv6: 2001:db8:2::/48 }); two labs\' host links, or a host link and a host network, cannot share a subnet'
            : 'give the link addresses of its own (e.g. prefix: 10.250.0.0/31 on the link), or this lab another pool (addressing: { p2p: 10.2.0.0/16 }); two labs\' host links, or a host link and a host network, cannot share a subnet');
      }
    }
    if (t.mgmt) {
      const users = subnetUsers(held, t.mgmt.gateway);
      if (users.length) {
        throw new TopologyError('mgmt.network', `${t.mgmt.network} is already in use on the host: ${users.join(', ')}`,
          'give this lab a management subnet of its own, e.g. mgmt: { network: 192.168.131.0/24 } (two labs, or a lab and a host network, cannot share one)');
      }
    }
  } finally {
    host.close();
  }
}

/**
 * Delay, jitter, loss, corruption, duplication and reordering need sch_netem,
 * which some kernels lack (this development VM; Ubuntu puts it in
 * linux-modules-extra): say so before any node starts, naming the first link
 * that asks for it. Probed only when the lab asks (an `unshare --net` + tc).
 * @throws NetlabError (exit 1: the machine, not the file, is missing something).
 */
async function checkImpairmentSupport(p: Plan): Promise<void> {
  const impaired = p.phases.flatMap((ph) => ph.actions).find((a): a is QdiscAction => a.op === 'qdisc' && hasImpairment(a.shaping));
  if (!impaired) return;
  const support = await probeQdiscSupport();
  if (support.netem) return;
  throw new NetlabError(`${impaired.node}:${impaired.iface}`, `delay, jitter, loss, corrupt, duplicate and reorder need the kernel's netem qdisc (sch_netem), which this machine lacks${support.error ? ` (${support.error})` : ''}`,
    'load it: modprobe sch_netem (Ubuntu: apt install linux-modules-extra-$(uname -r)); or keep only rate: on this machine. netlab doctor lists what works');
}

/**
 * Builds the lab described by `t`. On failure or abort, removes everything it
 * made (unless keepOnError) and rethrows.
 */
export async function up(t: Topology, opts: UpOptions = {}): Promise<UpReport> {
  const started = performance.now();
  const layout = detectCgroups();
  await preflight(t, opts, layout);
  const plan = makePlan(t);
  await checkImpairmentSupport(plan);
  const store = new StateStore(newState(t.name, t.file));
  store.flush();
  writeFileSync(join(labDir(t.name), 'topology.json'), JSON.stringify(t));
  const hostFd = openHostNetns();
  const ctx: ApplyContext = {
    plan, store, layout, running: new Map(), netns: new Map([[HOST, hostFd]]), sockets: new Map(), links: new Map(), tc: new Map(),
    host: Rtnl.open({ label: 'host' }), onProgress: opts.onProgress, signal: opts.signal, timings: {}, keepOnError: opts.keepOnError,
    ...(opts.onWarning ? { warn: opts.onWarning } : {}),
  };
  try {
    await runPhases(ctx, steps);
    store.update((s) => { s.phase = 'running'; });
    store.flush();
  } catch (err) {
    closeContext(ctx);
    ctx.host.close();
    if (opts.keepOnError) {
      store.update((s) => { s.phase = 'failed'; });
      store.flush();
      opts.onWarning?.(`lab ${t.name} is kept as it failed, for debugging (netlab status ${t.name}); netlab down ${t.name} removes it`);
    } else {
      await teardown(t.name, { layout: ctx.layout });
    }
    throw err;
  }
  closeContext(ctx);
  ctx.host.close();
  const links = t.links.length;
  return { lab: t.name, nodes: t.nodes.length, links, ms: performance.now() - started, timings: ctx.timings };
}
