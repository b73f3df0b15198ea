/**
 * Test doubles for src/validate: a scripted executor (what a node would
 * answer), the fixture lab, captured daemon outputs, and a clock that does
 * not wait.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../helpers/kernel.js';
import type { Topology } from '../../src/topology/types.js';
import type { ExecOptions, ExecResult } from '../../src/validate/types.js';
import type { Clock } from '../../src/validate/runner.js';
import { loadTopology } from '../../src/lab/load.js';

export const fixtures = join(repoRoot, 'test/fixtures/validate');

/** A captured output from test/fixtures/validate/. */
export function captured(name: string): string {
  return readFileSync(join(fixtures, name), 'utf8');
}

/** The fixture lab (test/fixtures/validate/lab.yaml) with `tests` replaced when given. */
export function fixtureLab(tests?: string): Topology {
  let text = readFileSync(join(fixtures, 'lab.yaml'), 'utf8');
  if (tests !== undefined) text = `${text.slice(0, text.indexOf('tests:'))}tests:\n${tests}\n`;
  return loadTopology({ text, file: join(fixtures, 'lab.yaml') }, { checkFiles: false });
}

export const ok = (stdout = '', stderr = ''): ExecResult => ({ code: 0, stdout, stderr });
export const exit = (code: number, stdout = '', stderr = ''): ExecResult => ({ code, stdout, stderr });

/** One call the fake executor received. */
export interface Call { node: string; argv: string[]; opts?: ExecOptions | undefined }

/** An answer per call: by node and command line, or a function of them. */
export type Script = (node: string, cmd: string, argv: string[]) => ExecResult | Promise<ExecResult>;

/** An executor that answers from `script` and records its calls. */
export function fakeExec(script: Script): ((node: string, argv: string[], opts?: ExecOptions) => Promise<ExecResult>) & { calls: Call[] } {
  const calls: Call[] = [];
  const fn = async (node: string, argv: string[], opts?: ExecOptions): Promise<ExecResult> => {
    calls.push({ node, argv, opts });
    return script(node, argv.join(' '), argv);
  };
  return Object.assign(fn, { calls });
}

/** A clock whose sleep advances virtual time at once; `sleeps` records the pauses. */
export class FakeClock implements Clock {
  t = 0;
  sleeps: number[] = [];
  now(): number { return this.t; }
  async sleep(ms: number): Promise<void> { this.sleeps.push(ms); this.t += ms; await Promise.resolve(); }
}
