/**
 * Shapes shared by the topology loader and src/net.
 */

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
