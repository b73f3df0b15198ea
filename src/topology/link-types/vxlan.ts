/**
 * `type: vxlan`: one node endpoint, a VXLAN interface in the node tunnelling
 * to `remote:` with VNI `vni:` over UDP `port:` (default 4789, RFC 7348 §5;
 * containerlab's vxlan link).
 */
import { TopologyError } from '../../errors.js';
import { formatPath } from '../path.js';
import type { LinkType } from './type.js';

export const vxlan: LinkType = {
  kind: 'vxlan',
  lan: false,
  local: true,
  explicit: {
    keys: ['remote', 'vni', 'port'],
    check(obj, path) {
      if (obj.remote === undefined || obj.vni === undefined) throw new TopologyError(formatPath(path), 'a vxlan link needs remote: and vni:', 'add e.g. remote: 192.0.2.2, vni: 100');
    },
    example: '{ type: vxlan, endpoints: [r1:eth5], remote: 192.0.2.2, vni: 100 }',
  },
  settings: (obj) => ({ vxlan: { remote: obj.remote!, vni: obj.vni!, port: obj.port ?? 4789 } }),
  resolve() {},
};
