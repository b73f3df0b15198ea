/** A point-to-point link: two node endpoints, one veth pair (containerlab's veth link). */
import type { LinkType } from './type.js';

export const p2p: LinkType = {
  kind: 'p2p',
  lan: false,
  local: false,
  resolve(_link, endpoints) {
    const [a, b] = endpoints as [typeof endpoints[0], typeof endpoints[0]];
    a.iface!.peer = { node: b.ep.node, iface: b.ep.iface };
    b.iface!.peer = { node: a.ep.node, iface: a.ep.iface };
  },
};
