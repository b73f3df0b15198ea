import { expect } from 'chai';
import { chmodSync, mkdtempSync, rmSync, writeFileSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { passedCheckPath } from '../../src/daemons/config.js';

describe('daemons: the record of a config the host parser passed', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'netlab-t-check-'));
    writeFileSync(join(dir, 'vtysh'), '#!/bin/sh\n');
    chmodSync(join(dir, 'vtysh'), 0o755);
    env = { PATH: `/nonexistent:${dir}`, NETLAB_STORE: join(dir, 'store') };
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('lives in the store\'s checks folder, named by a digest of argv, the program and the text', () => {
    const p = passedCheckPath(['vtysh', '-C', '-f', 'FILE'], 'router ospf\n', env)!;
    expect(p).to.match(new RegExp(`^${join(dir, 'store', 'checks')}/[0-9a-f]{64}$`));
    expect(passedCheckPath(['vtysh', '-C', '-f', 'FILE'], 'router ospf\n', env)).to.equal(p);
    expect(passedCheckPath(['vtysh', '-C', '-f', 'FILE'], 'router bgp 1\n', env)).to.not.equal(p);
    expect(passedCheckPath(['vtysh', '-c', 'FILE'], 'router ospf\n', env)).to.not.equal(p);
  });

  it('changes when the program changes (a new FRR package), and is none when the program is not on PATH', () => {
    const before = passedCheckPath(['vtysh', '-C', '-f', 'FILE'], 'x\n', env);
    utimesSync(join(dir, 'vtysh'), new Date(), new Date(Date.now() + 5000));
    expect(passedCheckPath(['vtysh', '-C', '-f', 'FILE'], 'x\n', env)).to.not.equal(before);
    expect(passedCheckPath(['no-such-checker', 'FILE'], 'x\n', env)).to.equal(undefined);
  });
});
