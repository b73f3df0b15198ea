/**
 * Link endpoints as written: "r1:eth1" (containerlab's form), "host:veth-r1"
 * (a link to the host), or an object { node, iface, … }.
 */
import { checkIfname, checkNodeName, type Problem } from './names.js';
import type { Endpoint, HostEndpoint } from './types.js';

/** The node part of a `host:IFNAME` endpoint. */
export const HOST_NODE = 'host';

/** True for the host's end of a host link (node 'host'; a reserved node name, so never a node's). */
export function isHostEndpoint(e: Endpoint): e is HostEndpoint {
  return e.node === HOST_NODE;
}

/** The node part of a `mgmt:IFNAME` endpoint: a port on the management network (containerlab's mgmt-net link). */
export const MGMT_NODE = 'mgmt';

/**
 * Splits "node:iface" at the first ':'. Checks the node part (a node name or
 * `host`) and the interface name (≤15 bytes, no '/', ':' or whitespace).
 */
export function parseEndpointString(s: string): { node: string; iface: string } | Problem {
  const colon = s.indexOf(':');
  if (colon < 0) {
    const m = /^([A-Za-z][A-Za-z0-9_-]*?)[-_]?((?:eth|ens|enp|veth|port|swp|e|ge|xe)[0-9].*)$/.exec(s);
    const guess = m ? `"${m[1]}:${m[2]}"` : '"r1:eth1"';
    return { what: `endpoint "${s}" has no ":" between node and interface`, hint: `write node:interface, e.g. ${guess}` };
  }
  const node = s.slice(0, colon);
  const iface = s.slice(colon + 1);
  if (node === '') return { what: `endpoint "${s}" has no node name before ":"`, hint: 'write node:interface, e.g. r1:eth1' };
  if (node !== HOST_NODE && node !== MGMT_NODE) {
    const p = checkNodeName(node);
    if (p) return p;
  }
  const q = checkIfname(iface);
  if (q) return q;
  return { node, iface };
}
