import { expect } from 'chai';
import { TopologyError } from '../../src/errors.js';
import { checkSysctlKey, checkSysctlValue, defaultSysctls } from '../../src/net/sysctl.js';

describe('net: sysctl keys', () => {
  it('maps a dotted net.* key to its /proc/sys path', () => {
    expect(checkSysctlKey('net.ipv4.ip_forward')).to.equal('net/ipv4/ip_forward');
    expect(checkSysctlKey('net.ipv6.conf.eth-1.accept_ra')).to.equal('net/ipv6/conf/eth-1/accept_ra');
  });
  it('accepts the slash form, where an interface name may hold a dot', () => {
    expect(checkSysctlKey('net/ipv4/conf/eth0.100/rp_filter')).to.equal('net/ipv4/conf/eth0.100/rp_filter');
  });
  it('refuses keys outside net.* (they would change the host)', () => {
    expect(() => checkSysctlKey('kernel.panic', 'nodes.r1.sysctls')).to.throw(TopologyError, /outside net/)
      .with.property('path', 'nodes.r1.sysctls');
    expect(() => checkSysctlKey('vm.swappiness')).to.throw(TopologyError);
  });
  it('refuses path tricks: "..", ".", empty parts, absolute paths', () => {
    for (const k of ['net/../kernel/panic', 'net/./ipv4/ip_forward', '/net/ipv4/ip_forward', 'net..ipv4', 'net.ipv4.', 'net/ipv4//ip_forward', 'net/ipv4/conf/../../../kernel/x', 'net']) {
      expect(() => checkSysctlKey(k), k).to.throw(TopologyError);
    }
  });
  it('refuses odd characters in keys', () => {
    expect(() => checkSysctlKey('net.ipv4.ip_forward\n')).to.throw(TopologyError);
    expect(() => checkSysctlKey('net.ipv4.*')).to.throw(TopologyError);
    expect(() => checkSysctlKey('net.ipv4 .x')).to.throw(TopologyError);
  });
  it('refuses a value with a newline', () => {
    expect(() => checkSysctlValue('net.ipv4.ip_forward', '1\n0')).to.throw(TopologyError);
    expect(checkSysctlValue('net.ipv4.tcp_rmem', '4096\t87380 6291456')).to.equal('4096\t87380 6291456');
  });
  it('turns rp_filter off on all and default for every role', () => {
    for (const role of ['router', 'host', 'segment'] as const) {
      const d = defaultSysctls(role);
      expect(d['net.ipv4.conf.all.rp_filter']).to.equal('0');
      expect(d['net.ipv4.conf.default.rp_filter']).to.equal('0');
    }
  });
  it('turns IPv6 DAD off on nodes and forwarding on only on routers', () => {
    expect(defaultSysctls('host')['net.ipv6.conf.default.accept_dad']).to.equal('0');
    expect(defaultSysctls('host')['net.ipv4.conf.all.forwarding']).to.equal(undefined);
    expect(defaultSysctls('router')['net.ipv4.conf.all.forwarding']).to.equal('1');
    expect(defaultSysctls('router')['net.ipv6.conf.all.forwarding']).to.equal('1');
  });
  it('turns IPv6 off in a segment namespace', () => {
    expect(defaultSysctls('segment')['net.ipv6.conf.default.disable_ipv6']).to.equal('1');
  });
  it('gives only keys that pass its own check', () => {
    for (const role of ['router', 'host', 'segment'] as const) {
      for (const k of Object.keys(defaultSysctls(role))) expect(() => checkSysctlKey(k)).not.to.throw();
    }
  });
});
