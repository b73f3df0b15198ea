/**
 * veth pairs created in place: each end is born inside its node's network
 * namespace, named, with its MAC and MTU, in ONE RTM_NEWLINK message — never
 * created in the host and moved (a move costs ~40 ms per link here).
 *
 * Message (drivers/net/veth.c veth_newlink; include/uapi/linux/veth.h):
 *   ifinfomsg (IFF_UP for end a) + IFLA_IFNAME + IFLA_ADDRESS + IFLA_MTU + IFLA_NET_NS_FD
 *   IFLA_LINKINFO { IFLA_INFO_KIND "veth",
 *                   IFLA_INFO_DATA { VETH_INFO_PEER: ifinfomsg + IFLA_IFNAME +
 *                                    IFLA_ADDRESS + IFLA_MTU + IFLA_NET_NS_FD } }
 * The peer's ifinfomsg must not carry IFF_UP: the kernel answers ENOTCONN
 * (measured on 6.x), so end b is brought up later by configureNetns.
 * The kernel creates a pair atomically: a refused message leaves nothing behind.
 */
import { KernelError, TopologyError } from '../errors.js';
import { parseMac } from './addr.js';
import { listLinks, type LinkEntry } from './iface.js';
import { IFF_UP, IFLA, IFLA_INFO, linkBody } from './messages.js';
import { attr, nested, strz, u32 } from './nlattr.js';
import { NLM_F, RTM, Rtnl } from './rtnl.js';

/** VETH_INFO_PEER (include/uapi/linux/veth.h). */
const VETH_INFO_PEER = 1;

/** IFNAMSIZ - 1: the longest interface name Linux allows, in bytes. */
export const MAX_IFNAME_BYTES = 15;

/** One end of a veth pair. */
export interface VethEnd {
  /** Open fd of the network namespace this end is created in (/proc/PID/ns/net). */
  netnsFd: number;
  /** Node name, for messages ("r1"; "host" for the host's namespace). */
  node: string;
  /** Interface name inside that namespace, at most 15 bytes. */
  iface: string;
  /** MAC "02:…" (unicast); omitted: the kernel picks a random one. */
  mac?: string;
  /** MTU in bytes (68–65535); both ends of a pair must agree. */
  mtu: number;
  /**
   * ifindex the end gets (ifi_index; the kernel honours it on creation), e.g. so
   * that a host-side end can be recorded before it exists. Omitted: the kernel
   * picks. The kernel applies a peer's index only when end a has one too.
   */
  ifindex?: number;
}

/** A veth pair: end `a` is the device, end `b` its peer. */
export interface VethPair {
  a: VethEnd;
  b: VethEnd;
}

/** Options for {@link createVeths}. */
export interface CreateVethsOptions {
  /** Called after each pair is created: `done` of `total` (for `links 412/1000`). */
  onProgress?: (done: number, total: number) => void;
}

/** `veth r1:eth1 <-> r2:eth1`: how errors name a pair. */
export function vethLabel(p: VethPair): string {
  return `veth ${p.a.node}:${p.a.iface} <-> ${p.b.node}:${p.b.iface}`;
}

/**
 * Checks an interface name as the kernel will (net/core/dev.c dev_valid_name):
 * 1–15 bytes, not "." or "..", no "/", ":" or whitespace.
 * @throws TopologyError(where).
 */
export function checkIfname(name: string, where: string): void {
  const len = Buffer.byteLength(name);
  if (len === 0 || len > MAX_IFNAME_BYTES) {
    throw new TopologyError(where, `interface name "${name}" is ${len} bytes; Linux allows 1–${MAX_IFNAME_BYTES}`, 'use a shorter name, e.g. "eth3"');
  }
  if (name === '.' || name === '..' || /[/:\s]/.test(name)) {
    throw new TopologyError(where, `interface name "${name}" is not allowed by Linux`, 'use letters, digits, "-", "_" or "."');
  }
}

/**
 * The RTM_NEWLINK payload creating pair `p` (pure; see the file comment).
 * End a is created up; end b cannot be (ENOTCONN).
 * @throws TopologyError(vethLabel) when the MTUs differ or are out of range, a name or MAC is invalid.
 */
export function vethMessage(p: VethPair): Buffer {
  const where = vethLabel(p);
  if (p.a.mtu !== p.b.mtu) {
    throw new TopologyError(where, `the two ends have different MTUs (${p.a.mtu} and ${p.b.mtu})`, 'a link has one MTU; set it on the link, not per end');
  }
  if (!Number.isInteger(p.a.mtu) || p.a.mtu < 68 || p.a.mtu > 65535) {
    throw new TopologyError(where, `MTU ${p.a.mtu} is out of range`, 'use 68–65535 bytes (1500 is Ethernet)');
  }
  checkIfname(p.a.iface, where);
  checkIfname(p.b.iface, where);
  for (const e of [p.a, p.b]) {
    if (e.ifindex !== undefined && !(Number.isInteger(e.ifindex) && e.ifindex > 0 && e.ifindex <= 0x7fffffff)) {
      throw new TopologyError(where, `ifindex ${e.ifindex} of ${e.node}:${e.iface} is not a positive 31-bit integer`);
    }
  }
  if (p.b.ifindex !== undefined && p.a.ifindex === undefined) {
    throw new TopologyError(where, `an ifindex for ${p.b.node}:${p.b.iface} needs one for ${p.a.node}:${p.a.iface} too`, 'the kernel ignores the peer\'s ifindex otherwise (drivers/net/veth.c)');
  }
  const peerAttrs = [attr(IFLA.IFNAME, strz(p.b.iface)), attr(IFLA.MTU, u32(p.b.mtu)), attr(IFLA.NET_NS_FD, u32(p.b.netnsFd))];
  if (p.b.mac) peerAttrs.push(attr(IFLA.ADDRESS, parseMac(p.b.mac, where)));
  const peer = linkBody({ index: p.b.ifindex ?? 0 }, peerAttrs); // no IFF_UP (see the file comment)
  const linkinfo = nested(IFLA.LINKINFO, [
    attr(IFLA_INFO.KIND, strz('veth')),
    nested(IFLA_INFO.DATA, [nested(VETH_INFO_PEER, [peer])]),
  ]);
  const attrs = [attr(IFLA.IFNAME, strz(p.a.iface)), attr(IFLA.MTU, u32(p.a.mtu)), attr(IFLA.NET_NS_FD, u32(p.a.netnsFd)), linkinfo];
  if (p.a.mac) attrs.push(attr(IFLA.ADDRESS, parseMac(p.a.mac, where)));
  return linkBody({ index: p.a.ifindex ?? 0, flags: IFF_UP, change: IFF_UP }, attrs);
}

/**
 * Creates every pair over `rtnl` (any rtnetlink socket: the ends are placed by
 * namespace fd, not by the socket's namespace), at most `rtnl.window` in flight.
 * End a comes up at once; end b is left down (see the file comment).
 *
 * On the first refusal no further pair is started; the pairs this call created
 * are deleted again (by ifindex, found with one dump per namespace of their a
 * end; deleting one end removes both), then the refusal is thrown.
 * @throws TopologyError before anything is created when a pair is malformed;
 *         KernelError(`veth a:x <-> b:y`, 'RTM_NEWLINK', errno) when the kernel refuses
 *         (EEXIST: a name is taken in its namespace; EOPNOTSUPP: no veth driver;
 *         EBADF/EINVAL: a namespace fd is not valid; EEXIST also when a chosen ifindex is taken).
 */
export async function createVeths(rtnl: Rtnl, pairs: VethPair[], opts: CreateVethsOptions = {}): Promise<void> {
  const bodies = pairs.map(vethMessage); // every check before the first message
  const created: VethPair[] = [];
  let failure: unknown;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < pairs.length) {
      const i = next++;
      const p = pairs[i];
      try {
        await rtnl.request(RTM.NEWLINK, bodies[i], {
          object: vethLabel(p),
          flags: NLM_F.CREATE | NLM_F.EXCL,
          features: { EOPNOTSUPP: 'veth (CONFIG_VETH)' },
          hints: {
            EEXIST: `an interface named ${p.a.iface} already exists in ${p.a.node}, or ${p.b.iface} in ${p.b.node}${p.a.ifindex ? ' (or the chosen ifindex is taken)' : ''}`,
            EBADF: `the network namespace of ${p.a.node} or ${p.b.node} is not open; is the node still running?`,
            EINVAL: `the kernel refused the pair; check that ${p.a.node} and ${p.b.node} are running and the MAC/MTU are valid`,
          },
        });
        created.push(p);
        opts.onProgress?.(created.length, pairs.length);
      } catch (err) {
        failure ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(rtnl.window, pairs.length) }, worker));
  if (failure === undefined) return;
  const leftovers = await deleteVethEnds(created.map((p) => p.a));
  if (leftovers.length && failure instanceof KernelError) {
    throw new KernelError(failure.object, failure.operation, failure.errno, failure.feature,
      `${failure.hint ? `${failure.hint}; ` : ''}rolling back, ${leftovers.length} created link(s) could not be removed: ${leftovers.join(', ')}`);
  }
  throw failure;
}

/**
 * Deletes veth ends (and so their pairs) by ifindex: one socket and one dump per
 * namespace, then RTM_DELLINK by index for each end that is still a veth (and
 * still has `ifindex`, when the end was created with one).
 * An end that is already gone counts as removed.
 * @returns the ends that could not be removed, as `node:iface (CODE)` texts.
 */
export async function deleteVethEnds(ends: Array<Pick<VethEnd, 'netnsFd' | 'node' | 'iface' | 'ifindex'>>): Promise<string[]> {
  const byNetns = new Map<number, typeof ends>();
  for (const e of ends) byNetns.set(e.netnsFd, [...(byNetns.get(e.netnsFd) ?? []), e]);
  const failed: string[] = [];
  for (const [netnsFd, list] of byNetns) {
    let sock: Rtnl | undefined;
    try {
      sock = Rtnl.open({ netnsFd, label: `node ${list[0].node}` });
      const links: Map<string, LinkEntry> = await listLinks(sock);
      await Promise.all(list.map(async (e) => {
        const l = links.get(e.iface);
        if (!l || l.kind !== 'veth' || (e.ifindex !== undefined && l.ifindex !== e.ifindex)) return;
        try {
          await sock!.request(RTM.DELLINK, linkBody({ index: l.ifindex }), { object: `${e.node}:${e.iface}`, ignore: ['ENODEV'] });
        } catch (err) {
          failed.push(`${e.node}:${e.iface} (${(err as KernelError).code ?? err})`);
        }
      }));
    } catch (err) {
      failed.push(...list.map((e) => `${e.node}:${e.iface} (${(err as KernelError).code ?? err})`));
    } finally {
      sock?.close();
    }
  }
  return failed;
}
