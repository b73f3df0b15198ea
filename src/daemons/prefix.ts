/** Interface address → its subnet, using the topology layer's address arithmetic. Pure. */
import { formatCidr, network, parseCidr } from '../topology/ip.js';

/** "10.1.0.1/31" → "10.1.0.0/31"; "2001:db8::1/64" → "2001:db8::/64". Returns the input when it does not parse. */
export function prefixOf(cidr: string): string {
  const c = parseCidr(cidr);
  return c ? formatCidr({ ...c, addr: network(c) }) : cidr;
}
