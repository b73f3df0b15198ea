/**
 * A LAN: one or three or more endpoints (or two of which one is a switch
 * node's), each a veth pair to a bridge named after the LAN in the lab's
 * hidden segment namespace. A LAN of one is Kathará's one-member collision domain.
 */
import { TopologyError } from '../../errors.js';
import { takeMac } from '../mac.js';
import { LOOPBACK } from '../names.js';
import { formatPath } from '../path.js';
import type { LinkType } from './type.js';

export const lan: LinkType = {
  kind: 'lan',
  noun: 'LAN',
  lan: true,
  local: false,
  resolve(link, endpoints, { obj, path, segments, macs }) {
    const name = obj.name ?? `lan${link.index}`;
    const where = formatPath(obj.name !== undefined ? [...path, 'name'] : path);
    if (/^s\d+e\d+$/.test(name)) throw new TopologyError(where, `LAN name "${name}" looks like a generated port name (s<link>e<endpoint>)`, 'choose another name, e.g. lan1');
    if (name === LOOPBACK) throw new TopologyError(where, 'LAN name "lo" is the loopback of the namespace that holds the LAN\'s bridge', 'choose another name, e.g. lan1');
    const prev = segments.get(name);
    if (prev !== undefined) {
      throw new TopologyError(where, `LAN segment name "${name}" is also used by ${prev}`, 'give each LAN its own name: (at most 15 bytes)');
    }
    segments.set(name, formatPath(path));
    link.segment = name;
    link.ports = endpoints.map((e, j) => ({ iface: `s${link.index}e${j}`, mac: takeMac(macs, undefined, formatPath(e.path)) }));
    for (const e of endpoints) e.iface!.segment = name;
  },
};
