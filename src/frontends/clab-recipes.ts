/**
 * Images whose entrypoint builds the router's configuration from environment
 * variables. When such an image is not in netlab's store, the front-end does
 * what the entrypoint would have done, so the lab still routes. One recipe
 * per image, written from what the image's start script documents.
 */
import type { Note } from './types.js';
import { parseImageName } from './images.js';

type Obj = Record<string, unknown>;

/** A stand-in for an image's start script. */
export interface ImageRecipe {
  /** Repository (without registry) it applies to. */
  repository: string;
  /** Sets the node's `config:` (inline text) and notes what is left out. */
  apply(node: string, out: Obj, env: Record<string, string>, notes: Note[], where: string): void;
}

/**
 * sflow/clab-frr (github.com/sflow-rt/containerlab, clab-frr/start.sh): an
 * eBGP-unnumbered fabric router. LOCAL_AS is its AS; every interface in
 * NEIGHBORS peers over IPv6 link-local (`neighbor IF interface`, FRR's BGP
 * unnumbered); HOSTPORT gets HOSTNET (and HOSTNET6), announced through a
 * route map that matches that port. The image uses FRR's datacenter profile,
 * under which eBGP needs no policy (written out here). hsflowd, the image's
 * sFlow agent, is not on the host and is not run.
 */
const sflowClabFrr: ImageRecipe = {
  repository: 'sflow/clab-frr',
  apply(node, out, env, notes, where) {
    const as = env.LOCAL_AS ?? '65000';
    const neighbors = (env.NEIGHBORS ?? 'eth1 eth2').split(/\s+/).filter(Boolean);
    const hostPort = env.HOSTPORT ?? 'eth3';
    const hostNet = env.HOSTNET && env.HOSTNET !== 'none' ? env.HOSTNET : undefined;
    const hostNet6 = env.HOSTNET6 && env.HOSTNET6 !== 'none' ? env.HOSTNET6 : undefined;
    const lines = [`hostname ${node}`, 'ip nht resolve-via-default', '!'];
    if (hostNet || hostNet6) {
      lines.push(`interface ${hostPort}`);
      if (hostNet) lines.push(` ip address ${hostNet}`);
      if (hostNet6) lines.push(` ipv6 address ${hostNet6}`);
      lines.push('!');
    }
    lines.push(`router bgp ${as}`, ' no bgp ebgp-requires-policy', ' timers bgp 3 9', ' bgp bestpath as-path multipath-relax', ' bgp bestpath compare-routerid',
      ' neighbor fabric peer-group', ' neighbor fabric remote-as external', ' neighbor fabric description Internal Fabric Network', ' neighbor fabric capability extended-nexthop');
    for (const n of neighbors) lines.push(` neighbor ${n} interface peer-group fabric`);
    lines.push(' !');
    if (hostNet || hostNet6) {
      lines.push(' address-family ipv4 unicast', '  redistribute connected route-map HOST_ROUTES', ' exit-address-family');
      lines.push(' address-family ipv6 unicast', '  redistribute connected route-map HOST_ROUTES', '  neighbor fabric activate', ' exit-address-family');
      lines.push('!', 'route-map HOST_ROUTES permit 10', ` match interface ${hostPort}`);
    } else {
      lines.push(' address-family ipv6 unicast', '  neighbor fabric activate', ' exit-address-family');
    }
    lines.push('!');
    out.config = { text: `${lines.join('\n')}\n` };
    notes.push({ where, text: `${node}'s frr.conf is built from its env (LOCAL_AS, NEIGHBORS, HOSTPORT, HOSTNET, HOSTNET6) as the image's start script builds it; the image's sFlow agent (hsflowd) does not run` });
  },
};

const RECIPES: ImageRecipe[] = [sflowClabFrr];

/** The recipe for an image, or undefined. Pure. */
export function recipeFor(image: string | undefined): ImageRecipe | undefined {
  if (image === undefined) return undefined;
  const repo = parseImageName(image).repository.toLowerCase();
  return RECIPES.find((r) => r.repository === repo);
}
