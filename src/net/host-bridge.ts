/**
 * A bridge in the host's namespace that host link ends join: containerlab's
 * `bridge` kind (a bridge on the host the lab's nodes are plugged into) and
 * the ports of `mgmt:IFNAME` endpoints on the lab's management bridge.
 *
 * containerlab expects the user to have made the bridge; netlab uses it when
 * it exists (adding ports only: the bridge itself is left as it is, and is not
 * removed at `down`) and otherwise makes it, recorded like every host object,
 * and removes it at `down`. An interface of that name that is not a bridge is
 * refused (docs/decisions.md, "containerlab's bridge kind is a host bridge").
 */
import { NetlabError } from '../errors.js';
import { bridgeMessage } from './bridge.js';
import { pickHostIfindex, type HostLinkRecord, type Recorder } from './host-objects.js';
import { listLinks } from './iface.js';
import { IFF_UP, IFLA, linkBody } from './messages.js';
import { attr, u32 } from './nlattr.js';
import { NLM_F, RTM, Rtnl } from './rtnl.js';

/**
 * Makes sure the host has a bridge `name`: uses the one there, or creates it
 * (up, STP off, `mtu`), recorded before it is created.
 * @returns 'used' or 'created'.
 * @throws NetlabError when `name` is a host interface of another kind;
 *   KernelError when the kernel refuses the bridge.
 */
export async function ensureHostBridge(host: Rtnl, name: string, mtu: number, record: Recorder): Promise<'used' | 'created'> {
  const where = `host bridge ${name}`;
  const have = (await listLinks(host)).get(name);
  if (have) {
    if (have.kind !== 'bridge') {
      throw new NetlabError(where, `the host has an interface named ${name}, and it is a ${have.kind || 'network device'}, not a bridge`,
        'netlab joins lab links to a bridge of that name: rename the node (the bridge) in the lab, or remove that interface');
    }
    return 'used';
  }
  const rec: HostLinkRecord = { kind: 'link', name, ifindex: pickHostIfindex(), linkKind: 'bridge' };
  record(rec);
  await host.request(RTM.NEWLINK, bridgeMessage({ name, mtu, ports: [], ifindex: rec.ifindex }, where), {
    object: `${where} (on the host)`, flags: NLM_F.CREATE | NLM_F.EXCL,
    features: { EOPNOTSUPP: 'bridge (CONFIG_BRIDGE)' },
  });
  return 'created';
}

/**
 * Joins the host interface `iface` (a host link end this lab made) to the host
 * bridge `bridge`, up.
 * @throws NetlabError when either is missing; KernelError when the kernel refuses.
 */
export async function joinHostBridge(host: Rtnl, iface: string, bridge: string): Promise<void> {
  const links = await listLinks(host);
  const port = links.get(iface);
  const br = links.get(bridge);
  if (!port || !br) throw new NetlabError(`host:${iface}`, `${!port ? `host:${iface}` : `bridge ${bridge}`} is not on the host`, 'was it removed while the lab was being built?');
  await host.request(RTM.NEWLINK, linkBody({ index: port.ifindex, flags: IFF_UP, change: IFF_UP }, [attr(IFLA.MASTER, u32(br.ifindex))]),
    { object: `host:${iface}`, operation: `join bridge ${bridge}` });
}
