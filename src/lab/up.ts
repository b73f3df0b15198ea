/**
 * `up`: checks that a lab can start, applies its plan, and on any failure (or
 * Ctrl-C/SIGTERM, through `signal`) rolls back to nothing with `teardown`.
 */
import { existsSync, lstatSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { detectCgroups, hasNoCgroups, killLab, labCgroupState, type CgroupLayout } from '../core/cgroups.js';
import { checkCpusets } from '../core/cpuset.js';
import { nodeDevices } from '../core/devices.js';
import { hostMemory } from '../core/limits.js';
import { isRootless, rootlessUserName } from '../core/rootless.js';
import { enterBinary, initBinary } from '../core/native.js';
import { getKind } from '../daemons/registry.js';
import { isNetlabError, NetlabError, shellWord, TopologyError, UsageError } from '../errors.js';
import { HOST, type Plan, type QdiscAction } from '../graph/actions.js';
import { hasImpairment } from '../shaping/netem.js';
import { probeQdiscSupport } from '../shaping/probe.js';
import { plan as makePlan } from '../graph/plan.js';
import { hostAddresses, subnetUsers } from '../net/host-addresses.js';
import { openHostNetns } from '../net/host-objects.js';
import { listLinks } from '../net/iface.js';
import { Rtnl } from '../net/rtnl.js';
import type { ImageProgressListener } from '../image/index.js';
import { rootlessRefusals } from '../topology/rootless.js';
import type { Topology } from '../topology/types.js';
import { holdLabImages, recordLabImages, resolveLabImages, type NodeRoot } from './images.js';
import { closeContext, runPhases, type ApplyContext, type Step } from './apply.js';
import { checkCapacity } from './capacity.js';
import { withLabLock } from './lock.js';
import { labDir, labPath, netnsAlias, netnsLink, requireLabName } from './paths.js';
import type { ProgressListener } from './progress.js';
import { findProgram } from './programs.js';
import { labIsRunning, newState, readState, runFolderGone, StateStore } from './state.js';
import { nodeSteps } from './steps-nodes.js';
import { netSteps } from './steps-net.js';
import { runSteps } from './steps-run.js';
import { shapingSteps } from './steps-shaping.js';
import { teardown } from './teardown.js';
import { startEvents } from '../events/supervisor.js';
import { kindCatalog } from '../daemons/registry.js';

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
  /** Start even when the lab needs more memory than the host has available (src/lab/capacity.ts). */
  force?: boolean;
  /** Progress of pulling or importing the lab's images (before any node starts). */
  onImageProgress?: ImageProgressListener;
  /** Plain HTTP for a registry on this machine (localhost, 127.0.0.0/8, [::1]) when an image must be pulled. */
  insecure?: boolean;
  /** The image store (default: /var/lib/netlab, or $NETLAB_STORE). */
  imageStore?: string;
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



function alreadyRunning(t: Topology): UsageError {
  return new UsageError(`lab ${t.name}`, 'is already running', `take it down first (netlab down ${t.name}), or replace it: netlab up --reconfigure ${t.file ? shellWord(t.file) : t.name}${t.renamed ? ` --name ${t.name}` : ''}`);
}

/**
 * Everything that can be checked before the first kernel object: root, the
 * native helpers, the nodes' images (pulled or imported when missing) and the
 * kinds' programs in each node's root, free `ip netns` names, host interface
 * names and subnets (checkHostFree), cpusets this host can give, memory for
 * the lab (checkCapacity, unless opts.force), the devices it names, and whether
 * the lab already runs (or left debris, which is removed with a warning).
 * @returns each image node's root (src/lab/images.ts).
 * @throws UsageError / NetlabError saying what to do.
 */
async function preflight(t: Topology, opts: UpOptions, layout: CgroupLayout): Promise<Map<string, NodeRoot>> {
  initBinary(); // both throw, naming `npm run build`, when native/ was not built
  enterBinary();
  if (isRootless()) {
    const refused = rootlessRefusals(t)[0]; // before anything starts (docs/rootless.md)
    if (refused) throw new UsageError(refused.where, `${refused.what} (this lab runs without root)`, refused.hint);
  }
  if (!opts.reconfigure && labIsRunning(t.name)) throw alreadyRunning(t); // before pulling anything
  const roots = await resolveLabImages(t, (kind) => getKind(kind).facts, {
    onProgress: opts.onImageProgress, onWarning: opts.onWarning, signal: opts.signal, insecure: opts.insecure, store: opts.imageStore,
  });
  for (const kind of new Set(t.nodes.filter((n) => !roots.has(n.name)).map((n) => n.kind))) {
    for (const req of getKind(kind).facts.requires) {
      if (!findProgram(req.program)) {
        const users = t.nodes.filter((n) => n.kind === kind && !roots.has(n.name)).map((n) => n.name);
        throw new NetlabError(`nodes.${users[0]}.kind`, `kind ${kind} needs ${req.program}, which is not installed`, `install it: apt install ${req.package}`);
      }
    }
  }
  // The daemons' own parsers (the host's) read user-given configs before anything is built.
  await Promise.all(t.nodes.filter((n) => !roots.has(n.name)).map((n) => getKind(n.kind).check?.(n, t)));
  if (labIsRunning(t.name)) {
    if (!opts.reconfigure) throw alreadyRunning(t);
    await teardown(t.name);
  } else if (existsSync(labDir(t.name))) {
    opts.onWarning?.(`removing what a previous run of lab ${t.name} left behind`);
    await teardown(t.name);
  } else {
    // No run folder here, but cgroups of that name: empty ones are debris of a killed
    // run (removed); busy ones belong to a lab of that name from another run folder.
    const cgroups = labCgroupState(layout, t.name);
    if (cgroups === 'busy') {
      throw new UsageError(`lab ${t.name}`, `has running processes in its cgroups (netlab/${t.name}), but no run folder here: a lab of that name runs from another NETLAB_RUN_DIR`,
        'take that lab down where it was started, or give this one another name (--name)');
    }
    if (cgroups === 'empty') {
      opts.onWarning?.(`removing the empty cgroups a previous run of lab ${t.name} left behind`);
      await killLab(layout, t.name);
    }
  }
  await checkHostFree(t);
  checkCpusets(t, layout);
  checkCapacity(t, hostMemory(), { force: opts.force });
  for (const n of t.nodes) nodeDevices(n.resources.devices, `nodes.${n.name}.resources.devices`); // each path is a device here
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
  return roots;
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
  const qdisc = p.phases.flatMap((ph) => ph.actions).find((a): a is QdiscAction => a.op === 'qdisc' && hasImpairment(a.shaping));
  // Events that will set delay or loss later need netem as much as the links do now.
  const event = p.topology.events?.find((e) => e.action.op === 'shape' && hasImpairment({ ...e.action.set, ...e.action.ramp?.from, ...e.action.ramp?.to }));
  const where = qdisc ? `${qdisc.node}:${qdisc.iface}` : event ? `events[${event.index}]` : undefined;
  if (!where) return;
  const support = await probeQdiscSupport();
  if (support.netem) return;
  throw new NetlabError(where, `delay, jitter, loss, corrupt, duplicate and reorder need the kernel's netem qdisc (sch_netem), which this machine lacks${support.error ? ` (${support.error})` : ''}`,
    'load it: modprobe sch_netem (Ubuntu: apt install linux-modules-extra-$(uname -r)); or keep only rate: on this machine. netlab doctor lists what works');
}

/** The line `up` prints for a lab with `userns: false` (pure): which nodes' root is the host's root. */
/**
 * The one line `up` prints for a rootless lab without a delegated cgroup:
 * what is not limited, and how to get limits. Pure.
 */
export function rootlessLimitsNotice(t: Topology, user = '$USER'): string {
  const asking = t.nodes.filter((n) => ['memoryBytes', 'cpus', 'pids', 'cpuset', 'io'].some((k) => (n.resources as Record<string, unknown>)[k] !== undefined)).map((n) => n.name);
  const ignored = asking.length ? `; the resources: of ${asking.join(', ')} are not applied` : '';
  return `lab ${t.name} runs without limits (memory, pids, cpus): no cgroup is delegated to you here${ignored}; root runs once: sudo netlab setup-user ${user} (docs/rootless.md, "Limits")`;
}

export function hostRootNotice(t: Topology): string {
  const names = t.nodes.map((n) => n.name);
  const list = names.length > 8 ? `${names.slice(0, 8).join(', ')} and ${names.length - 8} more` : names.join(', ');
  return `lab ${t.name} has userns: false: root in ${names.length === 1 ? `node ${list}` : `all ${names.length} nodes (${list})`} is the host's root (docs/nodes.md)`;
}

/**
 * Builds the lab described by `t`, holding the lab's lock (src/lab/lock.ts)
 * from the check that it is not running to the end, so a concurrent `up` or
 * `down` of the same lab waits. On failure or abort, removes everything it
 * made (unless keepOnError) and rethrows.
 * @throws UsageError for a `t.name` that is not a lab name (a Topology made by
 *   hand), for not being root, and for a lab that already runs; NetlabError
 *   (exit 1) when the lab stays locked by another command for the whole wait,
 *   or when its run folder is removed while it is being built.
 */
export async function up(t: Topology, opts: UpOptions = {}): Promise<UpReport> {
  requireLabName(t.name, 'name');
  if (process.getuid?.() !== 0) {
    throw new UsageError('netlab up', 'creating namespaces, veths and cgroups needs root', 'run it as root: sudo netlab up …');
  }
  return withLabLock(t.name, opts.reconfigure ? 'up --reconfigure' : 'up', () => upLocked(t, opts), { onWait: opts.onWarning, signal: opts.signal });
}

async function upLocked(t: Topology, opts: UpOptions): Promise<UpReport> {
  const started = performance.now();
  const layout = detectCgroups();
  // No prune may remove an image between its choice and the lab's record of it.
  const held = await holdLabImages(t, { store: opts.imageStore, signal: opts.signal });
  let roots: Map<string, NodeRoot>;
  let plan: Plan;
  let store: StateStore;
  try {
    roots = await preflight(t, opts, layout);
    if (!t.userns) opts.onWarning?.(hostRootNotice(t));
    if (isRootless() && hasNoCgroups(layout)) opts.onWarning?.(rootlessLimitsNotice(t, rootlessUserName() || undefined));
    plan = makePlan(t, kindCatalog());
    await checkImpairmentSupport(plan);
    store = new StateStore(newState(t.name, t.file));
    store.flush();
    writeFileSync(labPath(t.name, 'topology.json'), JSON.stringify(t));
    recordLabImages(t.name, roots, opts.imageStore);
  } finally {
    held.release();
  }
  const hostFd = openHostNetns();
  const ctx: ApplyContext = {
    plan, store, layout, running: new Map(), netns: new Map([[HOST, hostFd]]), sockets: new Map(), links: new Map(),
    host: Rtnl.open({ label: 'host' }), onProgress: opts.onProgress, signal: opts.signal, timings: {}, keepOnError: opts.keepOnError, roots,
    ...(opts.onWarning ? { warn: opts.onWarning } : {}),
  };
  try {
    await runPhases(ctx, steps);
    store.update((s) => { s.phase = 'running'; });
    store.flush();
    if (t.events?.length) await startEvents(t, ctx.layout); // time 0 of the events is now: the lab is up
  } catch (caught) {
    closeContext(ctx);
    ctx.host.close();
    // The run folder removed under us (by hand, or a netlab without the lock):
    // whatever broke first says so, exit 1 — the input was fine.
    const err = !isNetlabError(caught) && !existsSync(labDir(t.name)) ? runFolderGone(t.name) : caught;
    if (opts.keepOnError && existsSync(labDir(t.name))) {
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
