/**
 * Rtnl against the kernel, read-only (dumps and lookups of the test's own
 * namespace): no root needed, nothing created.
 */
import { expect } from 'chai';
import { KernelError, TopologyError } from '../../src/errors.js';
import { createBridge } from '../../src/net/bridge.js';
import { listLinks } from '../../src/net/iface.js';
import { RTM, Rtnl, linkBody } from '../../src/net/rtnl.js';

describe('net: rtnetlink socket', () => {
  let rtnl: Rtnl;
  before(() => { rtnl = Rtnl.open({ window: 3, label: 'test' }); });
  after(() => rtnl.close());

  it('keeps at most `window` requests in flight', async () => {
    let most = 0;
    const ps = Array.from({ length: 40 }, () => {
      const p = rtnl.get(RTM.GETLINK, linkBody({ index: 1 }), { object: 'lo' })
        .finally(() => { most = Math.max(most, rtnl.inFlight); });
      return p;
    });
    await new Promise((r) => setImmediate(r));
    most = Math.max(most, rtnl.inFlight);
    const results = await Promise.all(ps);
    expect(most).to.equal(3);
    expect(results.every((r) => r.length === 1)).to.equal(true);
    expect(rtnl.inFlight).to.equal(0);
  });

  it('runs concurrent dumps one at a time (the kernel allows one per socket)', async () => {
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => i % 2
      ? rtnl.dump(RTM.GETLINK, linkBody({}), { object: 'links' })
      : rtnl.get(RTM.GETLINK, linkBody({ index: 1 }), { object: 'lo' })));
    expect(results.every((r) => r.length >= 1)).to.equal(true);
  });

  it('finds lo by name with one dump', async () => {
    const links = await listLinks(rtnl);
    expect(links.get('lo')?.ifindex).to.equal(1);
  });

  it('turns a refusal into a KernelError naming the object and the message type', async () => {
    const err = await rtnl.get(RTM.GETLINK, linkBody({ index: 0x7ffffff0 }), { object: 'link #2147483632 of test' })
      .then(() => undefined, (e: unknown) => e);
    expect(err).to.be.instanceOf(KernelError);
    expect((err as KernelError).code).to.equal('ENODEV');
    expect((err as KernelError).headline).to.equal('link #2147483632 of test: RTM_GETLINK failed: ENODEV (no such device)');
  });

  it('treats an errno listed in `ignore` as done', async () => {
    const msgs = await rtnl.get(RTM.GETLINK, linkBody({ index: 0x7ffffff0 }), { object: 'x', ignore: ['ENODEV'] });
    expect(msgs).to.deep.equal([]);
  });

  it('names the missing kernel feature when the errno maps to one', async () => {
    const err = await rtnl.get(RTM.GETLINK, linkBody({ index: 0x7ffffff0 }), { object: 'x', features: { ENODEV: 'dummy (CONFIG_DUMMY)' } })
      .then(() => undefined, (e: unknown) => e) as KernelError;
    expect(err.feature).to.equal('dummy (CONFIG_DUMMY)');
    expect(err.hint).to.contain('modprobe dummy');
  });

  it('clamps the window to 32 (more unread answers can abort the process in netlink 0.3.0)', () => {
    const r = Rtnl.open({ window: 1000 });
    expect(r.window).to.equal(32);
    r.close();
  });

  it('refuses a bridge of more than 1,023 ports before asking the kernel', async () => {
    const ports = Array.from({ length: 1024 }, (_, i) => `p${i}`);
    const err = await createBridge(rtnl, { name: 'lan1', mtu: 1500, ports }, 'segment lan1').then(() => undefined, (e: unknown) => e);
    expect(err).to.be.instanceOf(TopologyError);
    expect((err as TopologyError).message).to.contain('at most 1023');
  });

  it('rejects requests after close', async () => {
    const r = Rtnl.open();
    r.close();
    const err = await r.dump(RTM.GETLINK, linkBody({}), { object: 'links' }).then(() => undefined, (e: unknown) => e);
    expect(err).to.be.instanceOf(KernelError);
  });
});
