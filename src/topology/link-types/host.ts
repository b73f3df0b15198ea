/**
 * A host link: a node and `host:IFNAME`, a veth pair whose other end is in
 * the host's namespace (containerlab's host link). With `bridge:` the host
 * end joins a bridge on the host (containerlab's bridge kind); `mgmt:IFNAME`
 * is a host end on the management network's bridge (containerlab's mgmt-net).
 */
import { HOST_NODE, MGMT_NODE } from '../endpoints.js';
import { takeMac } from '../mac.js';
import { formatPath } from '../path.js';
import { checkShaping, mergeShaping, parseShaping } from '../shaping.js';
import type { RawEndpointDraft } from '../links.js';
import type { LinkType } from './type.js';

/** A host end as written: `host:IFNAME` or `mgmt:IFNAME`. */
export function isHostSide(e: RawEndpointDraft): boolean {
  return e.ep.node === HOST_NODE || e.ep.node === MGMT_NODE;
}

export const host: LinkType = {
  kind: 'host',
  noun: 'host link',
  lan: false,
  local: false,
  resolve(link, endpoints, { path, macs }) {
    const nodeEnd = endpoints.find((e) => !isHostSide(e))!;
    const hostEnd = endpoints.find(isHostSide)!;
    const hostRaw = hostEnd.raw;
    nodeEnd.iface!.peer = { node: HOST_NODE, iface: hostEnd.ep.iface };
    link.host = { iface: hostEnd.ep.iface, mac: takeMac(macs, hostRaw?.mac, formatPath(hostEnd.path)) };
    if (hostEnd.ep.node === MGMT_NODE) link.host.mgmt = true;
    else if (hostRaw?.bridge !== undefined) link.host.bridge = hostRaw.bridge;
    // The endpoint as the rest of netlab sees it: the host.
    hostEnd.ep.node = HOST_NODE;
    const hostShaping = mergeShaping(link.shaping, parseShaping(hostRaw?.shaping));
    checkShaping(hostShaping, hostRaw?.shaping ? [...hostEnd.path, 'shaping'] : [...path, 'shaping']);
    if (hostShaping) link.host.shaping = hostShaping;
  },
};
