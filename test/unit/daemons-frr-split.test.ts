import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { renderFrrConf } from '../../src/daemons/frr-conf.js';
import { detectDaemons } from '../../src/daemons/frr-daemons.js';
import { splitFrrConf } from '../../src/daemons/frr-split.js';
import { loadTopology } from '../../src/lab/load.js';
import { peerLab } from '../helpers/peers.js';

const lab = (yaml: string) => loadTopology({ text: yaml }, { env: {} });

describe('daemons: a generated frr.conf cut into one config per daemon', () => {
  const t = lab('name: s\ndefaults: { kind: frr }\nospf: { area: 0 }\nnodes: { r1: {}, r2: {} }\nlinks: [[r1:eth1, r2:eth1]]\n');
  const text = renderFrrConf(t.nodes[0]!, t);
  const parts = splitFrrConf(text, detectDaemons(text))!;

  it('gives zebra the interfaces and their descriptions, and no OSPF line', () => {
    const z = parts.get('zebra')!;
    expect(z).to.match(/^interface eth1\n description to r2:eth1\nexit$/m).and.match(/^hostname r1$/m).and.match(/^frr defaults traditional$/m);
    expect(z).not.to.contain('ospf');
  });

  it('gives ospfd its interface lines and the whole router ospf block, and no description', () => {
    const o = parts.get('ospfd')!;
    expect(o).to.match(/^interface eth1\n ip ospf area 0\.0\.0\.0\n/m).and.match(/^router ospf\n ospf router-id /m).and.match(/^hostname r1$/m);
    expect(o).not.to.contain('description').and.not.contain('service integrated-vtysh-config');
  });

  it('keeps every line of the integrated config in exactly one daemon file, except the shared and vtysh-only ones', () => {
    const shared = new Set(['frr defaults traditional', 'hostname r1', 'exit']);
    const all = [...parts.values()].flatMap((p) => p.split('\n')).filter((l) => !shared.has(l) && !/^interface /.test(l) && l !== '');
    const orig = text.split('\n').filter((l) => !shared.has(l) && !/^(interface |!|end$|service )/.test(l) && l !== '');
    expect([...all].sort()).to.deep.equal([...orig].sort());
  });

  it('splits BGP too: router bgp with its address families goes to bgpd', () => {
    const b = lab('name: b\ndefaults: { kind: frr }\nnodes: { r1: { bgp: { as: 65001 } }, r2: { bgp: { as: 65002 } } }\nlinks: [[r1:eth1, r2:eth1]]\n');
    const bt = renderFrrConf(b.nodes[0]!, b);
    const p = splitFrrConf(bt, detectDaemons(bt))!;
    expect([...p.keys()]).to.deep.equal(['zebra', 'bgpd']);
    expect(p.get('bgpd')).to.match(/^router bgp 65001\n/m).and.contain(' address-family ipv4 unicast').and.contain(' exit-address-family');
  });

  it('refuses to split what it does not know (a line of no daemon, multi-instance OSPF): vtysh -b loads those', () => {
    expect(splitFrrConf('hostname r1\nkey chain k\n key 1\nexit\n', detectDaemons(''))).to.equal(null);
    expect(splitFrrConf('router ospf 2\nexit\n', detectDaemons('router ospf 2\n'))).to.equal(null);
    expect(splitFrrConf('interface eth1\n mpls enable\nexit\n', detectDaemons(''))).to.equal(null);
  });

  it('splits a user\'s frr.conf too (containerlab frr01): zebra takes the addresses and forwarding, every daemon the version and line vty', function () {
    const text = readFileSync(peerLab(this, 'containerlab', 'frr01', 'router1', 'frr.conf'), 'utf8');
    const set = { daemons: ['zebra', 'ospfd', 'ldpd'] as const, instances: {} };
    const p = splitFrrConf(text, { ...set, daemons: [...set.daemons] })!;
    expect(p, 'split').not.to.equal(null);
    const z = p.get('zebra')!;
    expect(z).to.match(/^interface eth1\n ip address 192\.168\.1\.1\/24\nexit$/m).and.match(/^no ipv6 forwarding$/m).and.match(/^interface lo\n ip address 10\.10\.10\.1\/32\nexit$/m);
    expect(z).not.to.contain('ospf');
    expect(p.get('ospfd')).to.match(/^router ospf\n passive-interface eth3\n network 192\.168\.1\.0\/24 area 0\.0\.0\.0\n/m).and.not.contain('ip address');
    for (const d of ['zebra', 'ospfd', 'ldpd'] as const) {
      expect(p.get(d), d).to.match(/^frr version 10\.5\.1$/m).and.match(/^frr defaults traditional$/m).and.match(/^hostname router1$/m).and.match(/^line vty\nexit$/m);
    }
    expect(p.get('ldpd')!.split('\n').filter((l) => l && !/^(frr |hostname |line vty|exit)/.test(l))).to.deep.equal([]);
  });

  it('keeps line vty\'s own lines in every daemon, and refuses a zebra block it does not know', () => {
    const p = splitFrrConf('hostname r\nline vty\n exec-timeout 0 0\n!\n', detectDaemons(''))!;
    expect(p.get('zebra')).to.contain('line vty\n exec-timeout 0 0\nexit');
    expect(splitFrrConf('ip forwarding\n weird inner\n', detectDaemons(''))).to.equal(null);
    expect(splitFrrConf('router bgp 1\nexit\n', detectDaemons(''))).to.equal(null); // bgpd not in the set
  });
});
