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

  it('says whether libarchive, which reads image layers, loads, and how to install it when it does not (--json)', () => {
    const here = JSON.parse(netlab(['doctor', '--json']).stdout) as Check[];
    expect(here.find((c) => c.name === 'libarchive'), 'a libarchive row').to.include({ ok: true, detail: 'loads' });
    const r = netlab(['doctor', '--json'], { NETLAB_LIBARCHIVE: 'libarchive-not-installed.so.13' });
    const missing = (JSON.parse(r.stdout) as Check[]).find((c) => c.name === 'libarchive')!;
    expect(missing.ok).to.equal(false);
    expect(missing.detail).to.contain('libarchive-not-installed.so.13');
    expect(missing.fix).to.equal('apt install libarchive13');
    expect(missing.affects).to.match(/image pull and import/);
    expect(missing.required, 'labs on the host\'s root need no libarchive').to.equal(false);
  });
});
