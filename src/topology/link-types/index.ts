/**
 * The registry of link types: one module per type, one line here. The Record
 * is keyed by LinkKind, so a kind without a module does not compile.
 * src/graph/link-plans.ts holds each type's planner, keyed the same way.
 */
import type { Link, LinkKind } from '../types.js';
import { dummy } from './dummy.js';
import { host } from './host.js';
import { lan } from './lan.js';
import { macvlan } from './macvlan.js';
import { p2p } from './p2p.js';
import type { LinkType } from './type.js';
import { vxlan } from './vxlan.js';

export type { ExplicitType, LinkType, ResolveContext } from './type.js';
export { isHostSide } from './host.js';

/** Every link type, by kind, in the order their settings are checked. */
export const LINK_TYPES: Readonly<Record<LinkKind, LinkType>> = { p2p, lan, host, dummy, macvlan, vxlan };

/** The type of a link (or of a kind). */
export function linkType(l: Link | LinkKind): LinkType {
  return LINK_TYPES[typeof l === 'string' ? l : l.kind];
}

/** The types a link's `type:` selects (dummy, macvlan, vxlan), or undefined for `veth`/none. */
export function explicitType(type: string | undefined): LinkType | undefined {
  if (type === undefined) return undefined;
  const t = (LINK_TYPES as Record<string, LinkType | undefined>)[type];
  return t?.explicit ? t : undefined;
}

/**
 * The kind of a veth link from its endpoints: a host (or mgmt) end makes a
 * host link, two node ends a point-to-point link, one or three or more a LAN.
 */
export function vethKind(endpoints: number, hostEnds: number): LinkKind {
  return hostEnds ? 'host' : endpoints === 2 ? 'p2p' : 'lan';
}

/** True for a LAN (a broadcast segment bridged in the hidden segment namespace). */
export function isLan(l: Link): boolean {
  return linkType(l).lan;
}
