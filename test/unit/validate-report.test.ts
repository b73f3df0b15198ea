import { expect } from 'chai';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { formatReport, formatResult, formatSummary } from '../../src/validate/console.js';
import { junitTimestamp, toJUnit, xmlSafe } from '../../src/validate/junit.js';
import { runTests } from '../../src/validate/runner.js';
import type { RunReport } from '../../src/validate/types.js';
import { FakeClock, exit, fakeExec, fixtureLab, ok } from './validate-fake.js';
import type { ExecResult } from '../../src/validate/types.js';
import { NetlabError } from '../../src/errors.js';
import { repoRoot } from '../helpers/kernel.js';

/** A run of four tests: one pass, one fail (with colour codes in its output), one error, one skipped. */
async function sampleReport(): Promise<RunReport> {
  const t = fixtureLab([
    '  - { name: h1 has eth1, exec: { node: h1, cmd: "ip -br link", stdout: eth1 } }',
    '  - { exec: { node: h1, cmd: "grep ok /tmp/x" }, wait: 2s }',
    '  - { exec: { node: r2, cmd: "true" } }',
    '  - { exec: { node: b1, cmd: "true" } }',
  ].join('\n'));
  const controller = new AbortController();
  const exec = fakeExec((node, cmd): ExecResult => {
    if (cmd.includes('grep')) return exit(1, '', '\u001b[31mgrep: /tmp/x: No such file\u001b[0m <&>\n');
    if (node === 'r2') { controller.abort(); throw new NetlabError('r2', 'node r2 is not running', 'see netlab status'); }
    return ok('lo UNKNOWN\neth1 UP\n');
  });
  return runTests({ topology: t, exec, concurrency: 1, clock: new FakeClock(), signal: controller.signal });
}

describe('validate: reports', () => {
  describe('console', () => {
    it('prints a line per test and expected/seen under a failure', async () => {
      const report = await sampleReport();
      const text = formatReport(report);
      const lines = text.split('\n');
      expect(lines[0]).to.match(/^✓ h1 has eth1 +\d+ ms$/);
      expect(text).to.match(/✗ h1 runs grep ok \/tmp\/x +2\.0 s \(\d+ tries\)/);
      expect(text).to.contain('    node:     h1\n    expected: exit 0\n    seen:     exit 1');
      expect(text).to.contain('! r2 runs true').and.contain('    error:    node r2 is not running');
      expect(text).to.contain('- b1 runs true').and.contain('not run: the run was interrupted');
    });

    it('ends with the "N passed, N failed" line, counting errors as failed', async () => {
      const summary = formatSummary(await sampleReport()).split('\n');
      expect(summary.at(-1)).to.equal('1 passed, 2 failed, 1 skipped');
      expect(summary[0]).to.match(/^lab vlab: 4 tests in [\d.]+ s; 1 could not run \(error\)$/);
      expect(summary[1]).to.equal('failed: h1 runs grep ok /tmp/x; r2 runs true');
    });

    it('leaves detail out when asked', async () => {
      const r = (await sampleReport()).results[1]!;
      expect(formatResult(r, { detail: false })).to.not.contain('No such file');
      expect(formatResult(r)).to.contain('No such file');
    });
  });

  describe('JUnit XML', () => {
    let xml = '';
    let doc: Record<string, any>;
    before(async () => {
      xml = toJUnit(await sampleReport(), { hostname: 'ci-1', baseDir: repoRoot });
      doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (name) => name === 'testcase' || name === 'testsuite' || name === 'property' }).parse(xml);
    });

    it('is well-formed XML', () => {
      expect(XMLValidator.validate(xml)).to.equal(true);
      expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>')).to.equal(true);
    });

    it('counts tests, failures, errors and skipped on testsuites and testsuite', () => {
      for (const node of [doc.testsuites, doc.testsuites.testsuite[0]]) {
        expect(node).to.include({ tests: '4', failures: '1', errors: '1', skipped: '1' });
        expect(Number(node.time)).to.be.a('number').and.not.be.NaN;
      }
      expect(doc.testsuites.testsuite).to.have.length(1);
      expect(doc.testsuites.testsuite[0]).to.include({ name: 'vlab', hostname: 'ci-1' });
      expect(doc.testsuites.testsuite[0].timestamp).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
    });

    it('writes one testcase per test with classname lab.kind and time in seconds', () => {
      const cases = doc.testsuites.testsuite[0].testcase as Record<string, any>[];
      expect(cases.map((c) => c.name)).to.deep.equal(['h1 has eth1', 'h1 runs grep ok /tmp/x', 'r2 runs true', 'b1 runs true']);
      expect(cases.every((c) => c.classname === 'vlab.exec')).to.equal(true);
      expect(cases[1]!.time).to.equal('2.000');
      expect(cases[0]!.file).to.equal('test/fixtures/validate/lab.yaml');
    });

    it('puts a failure with message, type and expected/seen text under the failed test', () => {
      const [pass, fail, error, skipped] = doc.testsuites.testsuite[0].testcase as Record<string, any>[];
      expect(pass).to.not.have.any.keys('failure', 'error', 'skipped');
      expect(fail!.failure).to.include({ message: 'h1: exit 1', type: 'exec' });
      expect(fail!.failure['#text']).to.contain('expected: exit 0').and.contain('seen: exit 1').and.contain('grep: /tmp/x: No such file <&>');
      expect(error!.error).to.include({ message: 'r2: node r2 is not running', type: 'error' });
      expect(skipped!.skipped.message).to.equal('not run: the run was interrupted');
    });

    it('writes the file path as given when it lies outside the base folder', async () => {
      const doc2 = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(toJUnit(await sampleReport(), { baseDir: '/nowhere' }));
      expect(doc2.testsuites.testsuite.file).to.match(/^\/.*test\/fixtures\/validate\/lab\.yaml$/);
    });

    it('drops colour codes and characters XML forbids', () => {
      expect(xml).to.not.contain('\u001b');
      expect(xmlSafe('a\u0000b\u001b[1;31mc\u0007')).to.equal('abc');
    });

    it('writes the timestamp without fraction or zone', () => {
      expect(junitTimestamp('2026-11-29T16:40:45.123Z')).to.equal('2026-11-29T16:40:45');
    });
  });
});
