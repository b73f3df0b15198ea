/**
 * `netlab doctor` on this machine (root, real kernel): what it reports agrees
 * with what the kernel does, and probing changes nothing on the host.
 */
import { expect } from 'chai';
import { probeQdiscSupport } from '../../src/shaping/probe.js';
import type { Check } from '../../src/lab/doctor.js';
import { leakcheckAround, requireRoot } from '../helpers/kernel.js';
import { netlab } from '../helpers/lab.js';

describe('netlab doctor (real kernel)', function () {
  this.timeout(60_000);
  leakcheckAround({ labs: [] });
  before(function () { requireRoot(this); });

  it('finds everything a lab needs here (exit 0), and says the probes left the host alone', () => {
    const r = netlab(['doctor']);
    expect(r.code, r.stdout + r.stderr).to.equal(0);
    for (const name of ['root', 'net namespace', 'overlayfs', 'veth', 'netlab-init', 'netlab-enter']) {
      expect(r.stdout).to.match(new RegExp(`^ok\\s+${name}\\s`, 'm'));
    }
    expect(r.stdout).to.contain('Everything a lab needs is here');
    expect(r.stdout).to.contain('nothing on the host was changed');
  });

  it('reports netem as the kernel has it, with what it affects and a fix when missing (--json)', async () => {
    const r = netlab(['doctor', '--json']);
    expect(r.code).to.equal(0);
    const checks = JSON.parse(r.stdout) as Check[];
    const netem = checks.find((c) => c.name === 'qdisc netem');
    expect(netem, 'a netem row').to.not.equal(undefined);
    const support = await probeQdiscSupport();
    expect(netem!.ok).to.equal(support.netem);
    if (!netem!.ok) {
      expect(netem!.affects).to.match(/delay/);
      expect(netem!.fix).to.match(/modprobe sch_netem/);
    }
    expect(checks.filter((c) => c.required && !c.ok)).to.deep.equal([]);
  });

  // The libraries netlab-unpack loads at run time: each one's row, and what it says when the library is missing.
  for (const lib of [
    { name: 'libarchive', what: 'which reads image layers', loads: 'loads', env: 'NETLAB_LIBARCHIVE', missing: 'libarchive-not-installed.so.13', fix: 'apt install libarchive13', affects: /image pull and import/ },
    { name: 'libcurl', what: 'with which netlab-unpack downloads uncompressed layers itself (only speed suffers without)', loads: 'loads (with libcrypto)', env: 'NETLAB_LIBCURL', missing: 'libcurl-not-installed.so.4', fix: 'apt install libcurl4 libssl3', affects: /^speed only/ },
  ]) {
    it(`says whether ${lib.name}, ${lib.what}, loads, and how to install it when it does not (--json)`, () => {
      const here = JSON.parse(netlab(['doctor', '--json']).stdout) as Check[];
      expect(here.find((c) => c.name === lib.name), `a ${lib.name} row`).to.include({ ok: true, detail: lib.loads });
      const r = netlab(['doctor', '--json'], { [lib.env]: lib.missing });
      const missing = (JSON.parse(r.stdout) as Check[]).find((c) => c.name === lib.name)!;
      expect(missing.ok).to.equal(false);
      expect(missing.detail).to.contain(lib.missing);
      expect(missing.fix).to.equal(lib.fix);
      expect(missing.affects).to.match(lib.affects);
      expect(missing.required, `labs on the host's root need no ${lib.name}`).to.equal(false);
    });
  }
});
