/**
 * Routing of the resolved lab: a node's static routes (`RouteSpec`, which
 * src/net adds), its OSPF and its BGP settings. ./types.ts re-exports them.
 */
import type { OspfInput } from './schema/source.js';

/** A static route inside a node. */
export interface RouteSpec {
  /** Destination prefix, CIDR ("10.0.0.0/8", "2001:db8::/32", "0.0.0.0/0" for default). */
  prefix: string;
  /** Next-hop address of the same family; several for ECMP. Omitted for a device route. */
  via?: string[];
  /** Outgoing interface name inside the node; optional when `via` resolves it. */
  dev?: string;
  /** Route metric (priority); lower wins. */
  metric?: number;
}

/** OSPF (v2 for IPv4; the daemons engineer decides v3) settings of one node. */
export interface Ospf {
  /** Default area of the node's interfaces, dotted quad ("0.0.0.0"); `area: 0` is normalised. */
  area: string;
  /** Router id, dotted quad; defaults to the node's IPv4 loopback address when it has one. */
  routerId?: string;
  /** Default interface cost (1–65535). */
  cost?: number;
  /** Default passive state of interfaces. */
  passive?: boolean;
  /** Default network type of interfaces. */
  network?: OspfNetworkType;
  /** Hello interval, seconds. */
  helloS?: number;
  /** Dead interval, seconds. */
  deadS?: number;
  /** Per-interface overrides by interface name (checked to exist on the node). */
  interfaces: Record<string, OspfInterface>;
  /** Route sources to redistribute: 'connected', 'static', 'kernel', 'bgp'. */
  redistribute: string[];
  /** Free-form daemon-specific options, passed through unchecked. */
  options: Record<string, unknown>;
}

/** OSPF settings of one interface. */
export interface OspfInterface {
  area?: string;
  cost?: number;
  passive?: boolean;
  network?: OspfNetworkType;
}

/** An OSPF interface's network type: the values of `ospf: { network }`. */
export type OspfNetworkType = NonNullable<OspfInput['network']>;

/** BGP settings of one node. */
export interface Bgp {
  /** Autonomous system number, 1–4294967295. */
  as: number;
  /** Router id, dotted quad; defaults to the node's IPv4 loopback address when it has one. */
  routerId?: string;
  /** Explicit neighbours; empty means "the daemons layer decides" (e.g. directly connected routers). */
  neighbors: BgpNeighbor[];
  /** Prefixes to announce (CIDR). */
  networks: string[];
  /** Route sources to redistribute: 'connected', 'static', 'kernel', 'ospf'. */
  redistribute: string[];
  /** Free-form daemon-specific options, passed through unchecked. */
  options: Record<string, unknown>;
}

/** One BGP neighbour: by address, by node name (checked to exist), or both. */
export interface BgpNeighbor {
  address?: string;
  node?: string;
  /** Remote AS; when omitted and `node` runs BGP, the loader fills in that node's AS. */
  as?: number;
  description?: string;
  options: Record<string, unknown>;
}
