/** `type: dummy`: one node endpoint, a dummy interface in the node (containerlab's dummy link). */
import type { LinkType } from './type.js';

export const dummy: LinkType = {
  kind: 'dummy',
  lan: false,
  local: true,
  explicit: { keys: [], example: '{ type: dummy, endpoints: [r1:eth5] }' },
  resolve() {},
};
