/**
 * Rtnl against the kernel, read-only (dumps and lookups of the test's own
 * namespace): no root needed, nothing created.
 */
import { expect } from 'chai';
import { KernelError, TopologyError } from '../../src/errors.js';
import { createBridge } from '../../src/net/bridge.js';
import { listLinks } from '../../src/net/iface.js';
import { IFLA, linkBody, parseLink } from '../../src/net/messages.js';
import { attr, strz } from '../../src/net/nlattr.js';
import { NLM_F, RTM, Rtnl, decodeStatus, refusal } from '../../src/net/rtnl.js';

describe('net: rtnetlink socket', () => {
  let rtnl: Rtnl;
  before(() => { rtnl = Rtnl.open({ window: 3, label: 'test' }); });
  after(() => rtnl.close());

  it('keeps at most `window` requests in flight', async () => {
    const ps = Array.from({ length: 40 }, () => rtnl.get(RTM.GETLINK, linkBody({ index: 1 }), { object: 'lo' }));
    const results = await Promise.all(ps);
    expect(rtnl.mostInFlight).to.equal(3);
    expect(results.every((r) => r.length === 1 && parseLink(r[0]!).name === 'lo')).to.equal(true);
    expect(rtnl.inFlight).to.equal(0);
  });

  it('survives many requests sent without waiting for their answers, and answers each one rightly', async () => {
    // 5,000 single GETs (each answer ~3 KB of receive buffer) and 5,000 refused
    // requests would overflow the 208 KiB buffer many times over if they were
    // all sent before their answers were read (netlink 0.3.0 aborted the process then).
    const big = Rtnl.open({ window: 1000, label: 'big' });
    try {
      const gets = Array.from({ length: 5000 }, () => big.get(RTM.GETLINK, linkBody({ index: 1 }), { object: 'lo' }));
      const refused = Array.from({ length: 5000 }, (_, i) => big.get(RTM.GETLINK, linkBody({ index: 0x7ffe0000 + i }), { object: `link ${i}` })
        .then(() => 'answered', (e: KernelError) => e.code));
      const dumps = Array.from({ length: 20 }, () => big.dump(RTM.GETLINK, linkBody(), { object: 'links' }));
      const [g, r, d] = await Promise.all([Promise.all(gets), Promise.all(refused), Promise.all(dumps)]);
      expect(g.every((x) => x.length === 1 && parseLink(x[0]!).ifindex === 1)).to.equal(true);
      expect(r.every((x) => x === 'ENODEV')).to.equal(true);
      expect(d.every((x) => x.some((p) => parseLink(p).name === 'lo'))).to.equal(true);
      expect(big.mostInFlight).to.be.at.most(32);
    } finally {
      big.close();
    }
  });

  it('runs concurrent dumps one at a time (the kernel allows one per socket)', async () => {
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => i % 2
      ? rtnl.dump(RTM.GETLINK, linkBody(), { object: 'links' })
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

  it('clamps the window to 32', () => {
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
    const err = await r.dump(RTM.GETLINK, linkBody(), { object: 'links' }).then(() => undefined, (e: unknown) => e);
    expect(err).to.be.instanceOf(KernelError);
  });

  it('rejects requests still queued when the socket is closed', async () => {
    const r = Rtnl.open();
    const p = r.get(RTM.GETLINK, linkBody({ index: 1 }), { object: 'lo' }).then(() => undefined, (e: unknown) => e);
    r.close();
    expect(await p).to.be.instanceOf(KernelError).with.property('code', 'EBADF');
  });

  it('reads the kernel\'s own message (extended ACK) into the KernelError', async () => {
    // A read-only GET the kernel refuses: IFLA_IFNAME longer than IFNAMSIZ.
    const err = await rtnl.get(RTM.GETLINK, linkBody({}, [attr(IFLA.IFNAME, strz('x'.repeat(40)))]), { object: 'link x…x' })
      .then(() => undefined, (e: unknown) => e) as KernelError;
    expect(err).to.be.instanceOf(KernelError);
    expect(err.code).to.equal('ERANGE');
    expect(err.kernelMessage).to.equal('Attribute failed policy validation');
    expect(err.headline).to.equal('link x…x: RTM_GETLINK failed: ERANGE (out of range); the kernel says: Attribute failed policy validation');
  });
});

describe('net: rtnetlink answers and refusals (pure)', () => {
  /** An NLMSG_ERROR payload: error, the request's header, and NLMSGERR_ATTR_MSG. */
  const errorPayload = (errno: number, msg: string): Buffer => {
    const text = Buffer.from(`${msg}\0`);
    const tlv = Buffer.alloc(4 + text.length + ((4 - (text.length % 4)) % 4));
    tlv.writeUInt16LE(4 + text.length, 0);
    tlv.writeUInt16LE(1, 2);
    text.copy(tlv, 4);
    const head = Buffer.alloc(20);
    head.writeInt32LE(-errno, 0);
    head.writeUInt32LE(36, 4); // the request's nlmsg_len
    return Buffer.concat([head, tlv]);
  };

  it('decodes the errno and the message of a capped error answer', () => {
    expect(decodeStatus(errorPayload(2, 'Specified qdisc kind is unknown'), NLM_F.CAPPED | NLM_F.ACK_TLVS))
      .to.deep.equal({ errno: 2, message: 'Specified qdisc kind is unknown' });
  });
  it('skips the echoed request when the answer is not capped', () => {
    const p = errorPayload(22, 'Invalid rate');
    const echoed = Buffer.concat([p.subarray(0, 20), Buffer.alloc(20), p.subarray(20)]); // + the request's 20-byte payload
    expect(decodeStatus(echoed, NLM_F.ACK_TLVS)).to.deep.equal({ errno: 22, message: 'Invalid rate' });
  });
  it('reads no message without NLM_F_ACK_TLVS, and an ACK as errno 0', () => {
    expect(decodeStatus(errorPayload(2, 'x'), NLM_F.CAPPED)).to.deep.equal({ errno: 2, message: '' });
    expect(decodeStatus(Buffer.alloc(20), NLM_F.CAPPED).errno).to.equal(0);
  });
  it('decodes the status at the end of a dump (NLMSG_DONE)', () => {
    const done = Buffer.alloc(4);
    done.writeInt32LE(-95, 0);
    expect(decodeStatus(done, 0, false)).to.deep.equal({ errno: 95, message: '' });
  });

  const netem = { ENOENT: { feature: 'sch_netem (CONFIG_NET_SCH_NETEM)', message: /kind is unknown/ } };
  it('names the feature when the kernel says the kind is unknown', () => {
    const e = refusal(RTM.NEWQDISC, 2, 'Specified qdisc kind is unknown', { object: 'qdisc netem on r1:eth1', features: netem });
    expect(e.headline).to.equal('qdisc netem on r1:eth1: RTM_NEWQDISC: the kernel has no sch_netem (CONFIG_NET_SCH_NETEM) (ENOENT)');
    expect(e.hint).to.contain('modprobe sch_netem');
  });
  it('names the feature from the errno alone when the kernel gives no message', () => {
    expect(refusal(RTM.NEWQDISC, 2, '', { object: 'q', features: netem }).feature).to.equal('sch_netem (CONFIG_NET_SCH_NETEM)');
  });
  it('does not blame a missing module when the kernel says something else went wrong', () => {
    const e = refusal(RTM.NEWQDISC, 2, 'Failed to find specified qdisc', { object: 'qdisc netem on r1:eth1', features: netem });
    expect(e.feature).to.equal('');
    expect(e.headline).to.equal('qdisc netem on r1:eth1: RTM_NEWQDISC failed: ENOENT (no such file or object); the kernel says: Failed to find specified qdisc');
  });
});
