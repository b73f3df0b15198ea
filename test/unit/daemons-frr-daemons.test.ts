import { expect } from 'chai';
import { daemonNames, detectDaemons, renderDaemonsFile } from '../../src/daemons/frr-daemons.js';
import { parseDaemonsFile } from '../../src/daemons/frr.js';

describe('daemons: which FRR daemons a config needs', () => {
  it('always runs zebra, even for an empty config, and staticd only for static routes', () => {
    expect(detectDaemons('').daemons).to.deep.equal(['zebra']);
    expect(detectDaemons('ip route 10.9.0.0/16 10.0.0.2\n').daemons).to.deep.equal(['zebra', 'staticd']);
    expect(detectDaemons('vrf blue\n ipv6 route ::/0 fe80::1 eth1\nexit-vrf\n').daemons).to.deep.equal(['zebra', 'staticd']);
    expect(detectDaemons('interface eth1\n ip route-map x\n').daemons).not.to.include('staticd');
  });

  it('finds ospfd, ospf6d and bgpd from their router blocks, in frrcommon.sh order', () => {
    expect(detectDaemons('router bgp 65001\n!\nrouter ospf6\nrouter ospf\n').daemons).to.deep.equal(['zebra', 'bgpd', 'ospfd', 'ospf6d']);
  });

  it('finds a daemon from an interface command alone', () => {
    expect(detectDaemons('interface eth1\n ip ospf area 0\n ipv6 ospf6 area 0\n ip router isis CORE\n').daemons)
      .to.deep.equal(['zebra', 'ospfd', 'ospf6d', 'isisd']);
  });

  it('tells ripd from ripngd and ospfd from ospf6d', () => {
    expect(detectDaemons('router rip\n').daemons).to.include('ripd').and.not.include('ripngd');
    expect(detectDaemons('router ripng\n').daemons).to.include('ripngd').and.not.include('ripd');
    expect(detectDaemons('router ospf6\n').daemons).to.include('ospf6d').and.not.include('ospfd');
  });

  it('enables bfdd for a bfd block or a bfd-enabled neighbour, not for a word that merely contains bfd', () => {
    expect(detectDaemons('bfd\n peer 10.0.0.2\n').daemons).to.include('bfdd');
    expect(detectDaemons('router bgp 1\n neighbor 10.1.0.1 bfd\n').daemons).to.include('bfdd');
    expect(detectDaemons('interface eth1\n description bfd-link\n').daemons).not.to.include('bfdd');
  });

  it('ignores commented-out lines', () => {
    expect(detectDaemons('! router bgp 65001\n# router ospf\n').daemons).to.deep.equal(['zebra']);
  });

  it('finds the other protocol daemons', () => {
    const d = detectDaemons('router eigrp 1\nrouter babel\nmpls ldp\npbr-map X seq 1\nrouter openfabric F\ninterface e\n vrrp 5\n ip pim\n').daemons;
    expect(d).to.include.members(['eigrpd', 'babeld', 'ldpd', 'pbrd', 'fabricd', 'vrrpd', 'pimd']);
  });

  it('runs ospfd as numbered instances for multi-instance OSPF', () => {
    const set = detectDaemons('router ospf 2\nrouter ospf 1\ninterface eth1\n ip ospf 2 area 0\n');
    expect(set.instances).to.deep.equal({ ospfd: [1, 2] });
    expect(daemonNames(set)).to.deep.equal(['zebra', 'ospfd-1', 'ospfd-2']);
  });

  it('writes a daemons file that enables exactly the detected daemons and logs to a file', () => {
    const text = renderDaemonsFile(detectDaemons('router ospf\n'), 'r1');
    expect(text).to.match(/^zebra=yes$/m).and.match(/^ospfd=yes$/m).and.match(/^staticd=no$/m);
    expect(text).to.match(/^bgpd=no$/m).and.match(/^ospf6d=no$/m).and.match(/^isisd=no$/m);
    expect(text).to.match(/^frr_global_options="--log file:\/var\/log\/frr\/frr.log"$/m);
    expect(text).to.match(/^zebra_options="-A 127.0.0.1 -s 90000000"$/m);
    expect(text).to.match(/^vtysh_enable=yes$/m);
  });

  it('writes ospfd_instances for multi-instance OSPF', () => {
    expect(renderDaemonsFile(detectDaemons('router ospf 3\n'), 'r1')).to.match(/^ospfd_instances=3$/m);
  });

  it('reads back the enabled daemons from a daemons file, instances included', () => {
    const text = renderDaemonsFile(detectDaemons('router bgp 1\nrouter ospf 4\n'), 'r1');
    expect(parseDaemonsFile(text)).to.deep.equal(['zebra', 'bgpd', 'ospfd-4']);
  });
});

