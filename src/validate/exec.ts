/**
 * `exec`: a command inside a node; passes when the exit code is the expected
 * one and stdout, stderr and output (both together) match their regular expressions (multiline flag: `^`
 * and `$` match at line breaks).
 */
import type { ExecTest } from '../topology/types.js';
import { CheckError } from './errors.js';
import { tail } from './labels.js';
import type { Check, Observation } from './types.js';

export const checkExec: Check<ExecTest> = async (t, ctx) => {
  const want = [`exit ${t.exit}`];
  if (t.stdout !== undefined) want.push(`stdout matching /${t.stdout}/`);
  if (t.stderr !== undefined) want.push(`stderr matching /${t.stderr}/`);
  if (t.output !== undefined) want.push(`output matching /${t.output}/`);
  const expected = want.join(', ');
  const r = await ctx.exec(t.node, t.argv, { timeoutMs: t.timeoutMs });
  if (r.code === 127 && t.exit !== 127 && /not found|No such file/i.test(r.stderr)) {
    throw new CheckError(`${t.argv[0] === '/bin/sh' ? 'command' : t.argv[0]} not found in ${t.node}: ${r.stderr.trim().split('\n').pop()}`);
  }
  const problems: string[] = [];
  if (r.code !== t.exit) problems.push(r.code === 137 && t.timeoutMs ? `exit 137 (killed: timeout ${t.timeoutMs / 1000}s?)` : `exit ${r.code}`);
  if (t.stdout !== undefined && !new RegExp(t.stdout, 'm').test(r.stdout)) problems.push(`stdout does not match /${t.stdout}/`);
  if (t.stderr !== undefined && !new RegExp(t.stderr, 'm').test(r.stderr)) problems.push(`stderr does not match /${t.stderr}/`);
  if (t.output !== undefined && !new RegExp(t.output, 'm').test(`${r.stdout}${r.stderr}`)) problems.push(`output does not match /${t.output}/`);
  const obs: Observation = { ok: problems.length === 0, expected, seen: problems.length ? problems.join(', ') : `exit ${r.code}` };
  if (!obs.ok) {
    const parts = [`${t.node}$ ${t.command}`];
    if (r.stdout.trim()) parts.push(`stdout:\n${tail(r.stdout)}`);
    if (r.stderr.trim()) parts.push(`stderr:\n${tail(r.stderr)}`);
    if (!r.stdout.trim() && !r.stderr.trim()) parts.push('(no output)');
    obs.detail = parts.join('\n');
  }
  return obs;
};
