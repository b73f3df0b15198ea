/**
 * `type: macvlan`: one node endpoint, a macvlan interface in the node on the
 * host interface `parent:` (containerlab's macvlan link; modes: ip-link(8)).
 */
import { TopologyError } from '../../errors.js';
import { formatPath } from '../path.js';
import type { LinkType } from './type.js';

export const macvlan: LinkType = {
  kind: 'macvlan',
  lan: false,
  local: true,
  explicit: {
    keys: ['parent', 'mode'],
    check(obj, path) {
      if (obj.parent === undefined) throw new TopologyError(formatPath(path), 'a macvlan link needs parent: (the host interface it sits on)', 'add e.g. parent: eth0');
    },
    example: '{ type: macvlan, endpoints: [r1:eth5], parent: eth0 }',
  },
  settings: (obj) => ({ macvlan: { parent: obj.parent!, mode: obj.mode ?? 'bridge' } }),
  resolve() {},
};
