/**
 * Cutting and restoring a link: `netlab link down r1:eth1` sets that veth end
 * administratively down. The veth driver then turns the carrier off on BOTH
 * ends (drivers/net/veth.c, veth_close → netif_carrier_off(peer)), so the far
 * end reads NO-CARRIER / LOWERLAYERDOWN and routing daemons see the interface
 * go down. `up` brings the end up again; the carrier returns on both ends once
 * both are up (veth_open).
 */
import { KernelError } from '../errors.js';
import { errnoOf, serial, type RtSocket } from './nl.js';

/** IF_OPER_* (RFC 2863 operational states, include/uapi/linux/if.h). */
export const OPERSTATES = ['unknown', 'notpresent', 'down', 'lowerlayerdown', 'testing', 'dormant', 'up'] as const;
export type OperState = (typeof OPERSTATES)[number];

/** The state of one interface as routing daemons see it. */
export interface LinkState {
  name: string;
  /** IFF_UP: administratively up. */
  adminUp: boolean;
  /** IFLA_CARRIER: the peer is up (for a veth). */
  carrier: boolean;
  /** IFLA_OPERSTATE. */
  operState: OperState;
  mtu: number;
  /** The interface's own transmit counters (IFLA_STATS64): what it sent, whatever its qdisc. */
  tx: { bytes: number; packets: number; dropped: number };
}

/**
 * Sets interface `ifindex` administratively up or down (RTM_SETLINK, IFF_UP).
 * @throws KernelError naming `link <label>`.
 */
export async function setLinkState(sock: RtSocket, ifindex: number, up: boolean, label = `ifindex ${ifindex}`): Promise<void> {
  try {
    await serial(sock, () => sock.setLink({ index: ifindex, flags: up ? { up: true } : {}, change: { up: true } }));
  } catch (err) {
    const errno = errnoOf(err);
    if (!errno) throw err;
    throw new KernelError(`link ${label}`, `RTM_SETLINK ${up ? 'up' : 'down'}`, errno);
  }
}

/**
 * Reads the admin state, carrier and operational state of `ifindex`.
 * @throws KernelError (ENODEV) when there is no such interface.
 */
export async function readLinkState(sock: RtSocket, ifindex: number, label = `ifindex ${ifindex}`): Promise<LinkState> {
  let msgs;
  try {
    msgs = await serial(sock, () => sock.getLink({ index: ifindex }));
  } catch (err) {
    const errno = errnoOf(err);
    if (!errno) throw err;
    throw new KernelError(`link ${label}`, 'RTM_GETLINK', errno);
  }
  const m = msgs.find((x) => x.data.index === ifindex) ?? msgs[0];
  if (!m) throw new KernelError(`link ${label}`, 'RTM_GETLINK', 19);
  const op = m.attrs.operstate ?? 0;
  return {
    name: m.attrs.ifname ?? '',
    adminUp: !!m.data.flags?.up,
    carrier: (m.attrs.carrier ?? 0) !== 0,
    operState: OPERSTATES[op] ?? 'unknown',
    mtu: m.attrs.mtu ?? 0,
    tx: { bytes: Number(m.attrs.stats64?.txBytes ?? 0), packets: Number(m.attrs.stats64?.txPackets ?? 0), dropped: Number(m.attrs.stats64?.txDropped ?? 0) },
  };
}

/** The MTU of `ifindex` (for planning when the caller does not know it). */
export async function linkMtu(sock: RtSocket, ifindex: number, label?: string): Promise<number> {
  return (await readLinkState(sock, ifindex, label)).mtu;
}
