/**
 * netlab link down / up: one end goes administratively down and both ends
 * lose their carrier, as a routing daemon on either side would notice.
 */
import { expect } from 'chai';
import { leakcheckAround, requireRoot } from '../helpers/kernel.js';
import { readLinkState, setLinkState, type LinkState } from '../../src/net/iface.js';
import { makeBed, type Bed, type Side } from './shaping-lab.js';

/** Polls until `pred` holds (the kernel's linkwatch reports carrier changes within about a second). */
async function until(side: Side, pred: (s: LinkState) => boolean): Promise<LinkState> {
  let s = await readLinkState(side.rtnl, side.ifindex);
  for (let i = 0; i < 60 && !pred(s); i++) {
    await new Promise((r) => setTimeout(r, 50));
    s = await readLinkState(side.rtnl, side.ifindex);
  }
  return s;
}

describe('net: cutting and restoring a link', function () {
  leakcheckAround({ labs: [] });

  describe('on a veth pair', function () {
    let bed: Bed;
    before(async function () {
      requireRoot(this);
      bed = await makeBed(['nlsh-la', 'nlsh-lb'], ['10.79.0.1', '10.79.0.2']);
    });
    after(async function () { await bed?.close(); });

    it('reads both ends up with carrier before the cut', async function () {
      for (const side of [bed.a, bed.b]) {
        const s = await until(side, (x) => x.operState === 'up');
        expect(s).to.include({ name: side.ifname, adminUp: true, carrier: true, operState: 'up', mtu: 1500 });
      }
    });

    it('link down on one end makes both ends lose carrier, and traffic stops', async function () {
      await setLinkState(bed.a.rtnl, bed.a.ifindex, false, 'nlsh-la');
      const a = await until(bed.a, (x) => !x.carrier);
      const b = await until(bed.b, (x) => !x.carrier && x.operState !== 'up');
      expect(a).to.include({ adminUp: false, carrier: false, operState: 'down' });
      expect(b).to.include({ adminUp: true, carrier: false });
      expect(b.operState).to.be.oneOf(['lowerlayerdown', 'down']);
      expect(bed.b.sh('ip', ['-o', 'link', 'show', bed.b.ifname]).stdout).to.contain('NO-CARRIER');
      expect(bed.b.sh('ping', ['-c', '1', '-W', '1', bed.a.addr]).status).not.to.equal(0);
    });

    it('link up restores carrier on both ends, and traffic flows again', async function () {
      await setLinkState(bed.a.rtnl, bed.a.ifindex, true, 'nlsh-la');
      const a = await until(bed.a, (x) => x.operState === 'up');
      const b = await until(bed.b, (x) => x.operState === 'up');
      expect(a).to.include({ adminUp: true, carrier: true, operState: 'up' });
      expect(b).to.include({ adminUp: true, carrier: true, operState: 'up' });
      expect(bed.b.sh('ping', ['-c', '1', '-W', '2', bed.a.addr]).status).to.equal(0);
    });
  });
});
