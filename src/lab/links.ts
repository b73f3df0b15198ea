/**
 * Changing a running lab's links: shaping (`netlab link set`), cutting and
 * restoring (`netlab link down/up`), and reading what is in effect with its
 * counters (`netlab link show`). The lab's topology.json is kept in step, so
 * `netlab status` shows the shaping and state now in effect.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { closeNetns, openNetns } from '../core/netns.js';
import { isAlive } from '../core/node.js';
import { shellWord, UsageError } from '../errors.js';
import { listLinks, readLinkState, setLinkState, type LinkState } from '../net/iface.js';
import { Rtnl } from '../net/rtnl.js';
import { applyShaping, readShaping, type ShapingStatus } from '../shaping/apply.js';
import { mergeShaping } from '../shaping/merge.js';
import { checkShaping } from '../topology/shaping.js';
import type { Shaping } from '../shaping/types.js';
import type { Interface, Topology } from '../topology/types.js';
import { withLabLock } from './lock.js';
import { labPath } from './paths.js';
import { readState, type State } from './state.js';
import { peerLabel, readLabTopology } from './status.js';
import { isHostEndpoint } from '../topology/endpoints.js';

/** One interface as `netlab link show` reports it. */
export interface LinkReport {
  endpoint: string;
  peer?: string;
  /** Absent when the interface is gone (see `gone`). */
  state?: LinkState;
  /** Absent when the interface is gone (see `gone`). */
  shaping?: ShapingStatus;
  /**
   * Set when the interface no longer exists, saying why: its node is not
   * running, its peer node died (a veth end vanishes with the other end's
   * namespace), or it was deleted by hand.
   */
  gone?: string;
}

/** Splits `r1:eth1`, checking both parts against the lab. @throws UsageError naming the endpoint. */
export function findEndpoint(t: Topology, endpoint: string): Interface {
  const colon = endpoint.indexOf(':');
  if (colon <= 0) throw new UsageError(endpoint, 'is not an endpoint', 'write NODE:IFACE, e.g. r1:eth1');
  const node = t.nodes.find((n) => n.name === endpoint.slice(0, colon));
  if (!node) throw new UsageError(endpoint, `lab ${t.name} has no node "${endpoint.slice(0, colon)}"`, `nodes: ${t.nodes.slice(0, 20).map((n) => n.name).join(', ')}`);
  const iface = node.interfaces.find((i) => i.name === endpoint.slice(colon + 1));
  if (!iface) throw new UsageError(endpoint, `node ${node.name} has no interface "${endpoint.slice(colon + 1)}"`, `its interfaces: ${node.interfaces.map((i) => i.name).join(', ') || 'none'}`);
  return iface;
}

/**
 * The node end at the other side of `endpoint`'s link, for `link set --both` (pure).
 * @throws UsageError for an unknown endpoint, a host link (the host end is shaped from the topology)
 *   or a LAN (no single other end).
 */
export function otherEnd(t: Topology, endpoint: string): string {
  const peer = findEndpoint(t, endpoint).peer;
  if (peer && isHostEndpoint(peer)) {
    throw new UsageError(endpoint, `is a host link: its other end, ${peer.iface}, is in the host, which link set does not change`,
      `set this end alone (leave out --both); the host end is shaped from the topology (shaping: on the link or on host:${peer.iface}), applied by ${t.file ? `netlab up --reconfigure ${shellWord(t.file)}${t.renamed ? ` --name ${t.name}` : ''}` : 'starting the lab again'}`);
  }
  if (!peer) throw new UsageError(endpoint, 'is on a LAN, which has no single other end', 'set each end of the LAN on its own');
  return `${peer.node}:${peer.iface}`;
}

/**
 * How to rebuild lab `lab` (pure): `netlab up --reconfigure <its topology file>`
 * (with `--name` when it runs under another name), or take it down. The file
 * comes from the topology, else from the State file (`stateFile`); a lab
 * started from text without a file can only be taken down and started again.
 */
export function rebuildHint(t: Topology, lab: string, stateFile?: string): string {
  const file = t.file ?? stateFile;
  if (!file) return `rebuild the lab: take it down (netlab down ${lab}) and start it again (it was not started from a file)`;
  return `rebuild the lab: netlab up --reconfigure ${shellWord(file)}${t.renamed ? ` --name ${lab}` : ''}, or take it down: netlab down ${lab}`;
}

/**
 * Why interface `iface` is missing from its running node (pure): its peer node
 * is dead (a veth end vanishes with the other end's namespace), or it was
 * deleted by hand. `running` says whether a node's PID 1 is alive.
 */
export function goneReason(iface: Interface, running: (node: string) => boolean): string {
  const peer = iface.peer;
  return peer && !isHostEndpoint(peer) && !running(peer.node)
    ? `its peer node ${peer.node} is dead (a veth end vanishes with the other end's namespace)`
    : 'it is not in the node (deleted by hand?)';
}

/** A running lab as the link commands read it once: its topology and State file. */
interface LabView {
  lab: string;
  t: Topology;
  state: State | undefined;
}

function labView(lab: string): LabView {
  return { lab, t: readLabTopology(lab), state: readState(lab).state };
}

/** Whether `node`'s PID 1 (as the State file has it) is alive. */
function nodeRunning(state: State | undefined, node: string): boolean {
  const rec = state?.nodes[node];
  return !!rec && isAlive(rec);
}

/**
 * Runs `fn` with an rtnetlink socket inside `node` and a name → ifindex lookup.
 * @throws UsageError when the node is not running or lacks an interface
 *   (saying why it is gone and how to rebuild the lab).
 */
async function onNode<T>(v: LabView, node: string,
  fn: (rtnl: Rtnl, ifindex: (iface: string) => number, lookup: (iface: string) => number | undefined) => Promise<T>): Promise<T> {
  const { lab, t, state } = v;
  const rec = state?.nodes[node];
  if (!rec || !isAlive(rec)) throw new UsageError(`${lab}/${node}`, 'is not running', `netlab status ${lab}; to ${rebuildHint(t, lab, state?.file)}`);
  const fd = openNetns(rec.pid, node);
  let rtnl: Rtnl | undefined;
  try {
    rtnl = Rtnl.open({ netnsFd: fd, label: node });
    const byName = new Map([...(await listLinks(rtnl)).values()].map((l) => [l.name, l.ifindex]));
    const ifindex = (iface: string): number => {
      const i = byName.get(iface);
      if (!i) {
        const want = t.nodes.find((n) => n.name === node)?.interfaces.find((x) => x.name === iface);
        const why = want ? goneReason(want, (n) => nodeRunning(state, n)) : 'it is not in the node (deleted by hand?)';
        throw new UsageError(`${node}:${iface}`, `is gone: ${why}`, `netlab link show --lab ${lab} lists what is left; to ${rebuildHint(t, lab, state?.file)}`);
      }
      return i;
    };
    return await fn(rtnl, ifindex, (iface) => byName.get(iface) || undefined);
  } finally {
    rtnl?.close();
    closeNetns(fd);
  }
}

function saveTopology(t: Topology): void {
  const path = labPath(t.name, 'topology.json');
  const tmp = labPath(t.name, 'topology.json.tmp');
  writeFileSync(tmp, JSON.stringify(t));
  renameSync(tmp, path);
}

/** Options of the link commands that change a lab. */
export interface LinkChangeOptions {
  /** Called with a line when another command holds the lab and this one waits for it. */
  onWarning?: (text: string) => void;
}

/**
 * Changes the egress shaping of `endpoints` (each `node:iface`) in a running
 * lab: `change` is merged over what is in effect unless `reset`, and a value of
 * 0 removes that impairment. Takes effect at once; nothing restarts. Holds the
 * lab's lock (src/lab/lock.ts).
 * @throws UsageError for an unknown endpoint; KernelError when the kernel
 *   refuses (e.g. no sch_netem for delay/loss); NetlabError when another
 *   command holds the lab for the whole wait.
 */
export async function setShaping(lab: string, endpoints: string[], change: Shaping, reset = false, opts: LinkChangeOptions = {}): Promise<Shaping[]> {
  return withLabLock(lab, 'link set', () => setShapingLocked(lab, endpoints, change, reset), { onWait: opts.onWarning });
}

async function setShapingLocked(lab: string, endpoints: string[], change: Shaping, reset: boolean): Promise<Shaping[]> {
  const v = labView(lab);
  const { t } = v;
  const ifaces = endpoints.map((e) => findEndpoint(t, e));
  const out: Shaping[] = [];
  for (const iface of ifaces) {
    const next = mergeShaping(iface.shaping ?? {}, change, reset);
    checkShaping(next, `${iface.node}:${iface.name}`, 'flags'); // jitter without delay etc.: exit 2, nothing touched
    await onNode(v, iface.node, (rtnl, ifindex) => applyShaping(rtnl, ifindex(iface.name), next, `${iface.node}:${iface.name}`, { mtu: iface.mtu }));
    iface.shaping = Object.keys(next).length ? next : undefined;
    out.push(next);
  }
  saveTopology(t);
  return out;
}

/**
 * Cuts (`up` false) or restores one endpoint: the interface goes
 * administratively down, so its peer loses carrier and routing daemons on
 * both sides see the link fail. Holds the lab's lock (src/lab/lock.ts).
 */
export async function setEndpointState(lab: string, endpoint: string, up: boolean, opts: LinkChangeOptions = {}): Promise<void> {
  await withLabLock(lab, `link ${up ? 'up' : 'down'}`, async () => {
    const v = labView(lab);
    const { t } = v;
    const iface = findEndpoint(t, endpoint);
    await onNode(v, iface.node, (rtnl, ifindex) => setLinkState(rtnl, ifindex(iface.name), up, endpoint));
    iface.state = up ? 'up' : 'down';
    saveTopology(t);
  }, { onWait: opts.onWarning });
}

/**
 * Every interface of the lab (or of `endpoints`) with its state, shaping and
 * counters. Without `endpoints`, an interface that no longer exists (its node
 * died, or its peer node died and took the veth with it) is listed with `gone`
 * set and no state.
 * @throws UsageError when a named endpoint is unknown or gone, saying why.
 */
export async function showLinks(lab: string, endpoints?: string[]): Promise<LinkReport[]> {
  const v = labView(lab);
  const { t, state } = v;
  const named = !!endpoints?.length;
  const ifaces = named ? endpoints!.map((e) => findEndpoint(t, e)) : t.nodes.flatMap((n) => n.interfaces);
  const running = (node: string): boolean => nodeRunning(state, node);
  const out: LinkReport[] = [];
  const gone = (iface: Interface, why: string): void => {
    const label = `${iface.node}:${iface.name}`;
    if (named) throw new UsageError(label, `is gone: ${why}`, `netlab status ${lab}; to ${rebuildHint(t, lab, state?.file)}`);
    out.push({ endpoint: label, peer: peerLabel(iface), gone: why });
  };
  const byNode = new Map<string, Interface[]>();
  for (const i of ifaces) byNode.set(i.node, [...(byNode.get(i.node) ?? []), i]);
  for (const [node, list] of byNode) {
    if (!running(node)) {
      for (const iface of list) gone(iface, `its node ${node} is not running`);
      continue;
    }
    await onNode(v, node, async (rtnl, _ifindex, lookup) => {
      for (const iface of list) {
        const label = `${node}:${iface.name}`;
        const i = lookup(iface.name);
        if (i === undefined) {
          gone(iface, goneReason(iface, running));
          continue;
        }
        out.push({ endpoint: label, peer: peerLabel(iface), state: await readLinkState(rtnl, i, label), shaping: await readShaping(rtnl, i) });
      }
    });
  }
  return out;
}
