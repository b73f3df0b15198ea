/**
 * `netlab validate FILE --all-users` (docs/rootless.md, "For the teacher"):
 * the topology's tests against every user's running copy of a lab, one
 * report for the class (CSV and JUnit).
 */
import { UsageError } from '../errors.js';
import { toClassJUnit } from '../validate/junit.js';
import type { RunReport } from '../validate/types.js';
import { asOwner, owners, ownsProcess, requireHostRoot, type Owner } from './all-users.js';
import { isHidden } from '../topology/namespaces.js';
import { readState } from './state.js';
import { storeImageCatalog } from './images.js';
import { Lab } from './lab.js';
import { loadLab } from './load.js';
import { checkOutput, writeOutput } from './output.js';
import { validateLab, type ValidateOptions } from './validate-run.js';

/** Flags of `validate --all-users`: validate's, and a CSV file. */
export interface ClassOptions extends ValidateOptions {
  /** A CSV file of the class, a row per student and test. */
  csv?: string;
}

/** One row of a class report: a student's result of one test, or that their lab does not run. */
export interface ClassRow {
  owner: string;
  lab: string;
  test: string;
  kind: string;
  node: string;
  status: string;
  seconds: string;
  seen: string;
}

/** The rows of a class report, students in order. Pure. */
export function classRows(runs: { owner: string; lab: string; report?: RunReport; refused?: string }[]): ClassRow[] {
  return runs.flatMap(({ owner, lab, report, refused }) => (report
    ? report.results.map((r) => ({ owner, lab, test: r.test.name, kind: r.test.kind, node: r.test.node, status: r.status, seconds: (r.durationMs / 1000).toFixed(3), seen: r.seen }))
    : refused ? [{ owner, lab, test: '', kind: '', node: '', status: 'not tested', seconds: '', seen: refused }]
      : [{ owner, lab, test: '', kind: '', node: '', status: 'not running', seconds: '', seen: `lab ${lab} is not running for ${owner}` }]));
}

/**
 * The nodes of `owner`'s lab `lab` whose PID in the user's State file is not a
 * process of that user (all-users.ts ownsProcess): root would enter whatever
 * process a student's file names, so a lab with one is not tested.
 */
function foreignNodes(owner: Owner, lab: string): string[] {
  const { state } = readState(lab);
  return Object.entries(state?.nodes ?? {}).filter(([name, n]) => !isHidden(name) && !ownsProcess(owner, n.pid)).map(([name]) => name);
}

/** CSV (RFC 4180: quoted fields, CRLF) of a class report, with a header line. Pure. */
export function classCsv(rows: ClassRow[]): string {
  const q = (v: string): string => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  const cols: (keyof ClassRow)[] = ['owner', 'lab', 'test', 'kind', 'node', 'status', 'seconds', 'seen'];
  return [cols.join(','), ...rows.map((r) => cols.map((c) => q(r[c])).join(','))].join('\r\n') + '\r\n';
}

/**
 * `validate FILE --all-users`: the topology's tests against every user's
 * running copy of the lab (root's own too), one after the other; labs are
 * never brought up or down here. A user without the lab running gets a
 * "not running" row. Resolves with 0 when every student's tests passed, 1 otherwise.
 * @throws UsageError (exit 2) when not host root, or for bad flags and files (before any test runs).
 */
export async function validateClass(file: string, opts: ClassOptions, out: (text: string) => void): Promise<number> {
  requireHostRoot('--all-users');
  if (opts.keep) throw new UsageError('--keep', 'does not go with --all-users', 'validate --all-users tests running labs only and leaves them as they are');
  if (opts.json) throw new UsageError('--json', 'does not go with --all-users', 'use --csv FILE or --junit FILE for the class report');
  const topology = loadLab(file, { name: opts.name, images: storeImageCatalog() });
  for (const [flag, path] of [['--junit', opts.junit], ['--csv', opts.csv]] as const) if (path !== undefined) checkOutput(path, flag, [file]);
  const runs: { owner: string; lab: string; report?: RunReport; refused?: string }[] = [];
  const startedAt = new Date().toISOString();
  for (const owner of owners()) {
    const running = await asOwner(owner, async () => Lab.running().includes(topology.name));
    if (!running) {
      if (owner.keeper) runs.push({ owner: owner.name, lab: topology.name });
      continue;
    }
    out(`== ${owner.name}\n`);
    const foreign = await asOwner(owner, async () => foreignNodes(owner, topology.name));
    if (foreign.length) {
      const why = `not tested: the PID of node${foreign.length === 1 ? '' : 's'} ${foreign.slice(0, 5).join(', ')} in ${owner.name}'s State file is not a process of ${owner.name}'s (a changed file?)`;
      out(`  ${why}\n`);
      runs.push({ owner: owner.name, lab: topology.name, refused: why });
      continue;
    }
    const { report } = await asOwner(owner, () => validateLab(file, { ...opts, keep: true, junit: undefined, json: false }, {
      lab: Lab, out, note: () => { /* "testing it as it is": said once for the class */ },
    }));
    runs.push({ owner: owner.name, lab: topology.name, report });
  }
  const rows = classRows(runs);
  const failed = new Set(rows.filter((r) => r.status !== 'pass').map((r) => r.owner));
  const students = new Set(runs.map((r) => r.owner));
  out(`\nclass: ${students.size - failed.size} of ${students.size} passed every test${failed.size ? ` (not: ${[...failed].join(', ')})` : ''}\n`);
  if (opts.csv) writeOutput(opts.csv, classCsv(rows), '--csv');
  if (opts.junit) {
    // Every student, with or without a run: one whose lab does not run, or was not tested, is a testcase in error.
    const rowOf = (r: (typeof runs)[number]): ClassRow => classRows([r])[0]!;
    writeOutput(opts.junit, toClassJUnit(runs.map((r) => (r.report ? { owner: r.owner, report: r.report }
      : { owner: r.owner, lab: r.lab, status: r.refused ? 'not tested' as const : 'not running' as const, why: rowOf(r).seen, startedAt }))), '--junit');
  }
  return failed.size || !students.size ? 1 : 0;
}

