import { expect } from 'chai';
import type { Action, Phase, Plan } from '../../src/graph/actions.js';
import { runPhases, type ApplyContext, type Step } from '../../src/lab/apply.js';

/** A context with only what runPhases reads: the plan's phases, timings and a store to flush. */
function ctxOf(phases: Phase[]): ApplyContext {
  return { plan: { phases } as unknown as Plan, timings: {}, store: { flush: () => undefined } } as unknown as ApplyContext;
}
const exec = (node: string): Action => ({ op: 'exec', node, lines: ['true'] });
const daemon = (node: string): Action => ({ op: 'daemon', node, kind: 'frr' });

describe('apply: phases in order, and a phase alongside the one before it', () => {
  it('starts an alongside phase while the phase before it still runs, and the next phase only after both', async () => {
    const seen: string[] = [];
    let release!: () => void;
    const daemonsHeld = new Promise<void>((r) => { release = r; });
    const steps: Record<string, Step> = {
      daemon: async (_c, a) => { seen.push(`daemons start ${a.length}`); await daemonsHeld; seen.push('daemons end'); },
      exec: async (_c, a) => { seen.push(`exec ${a.map((x) => (x as { node: string }).node).join(',')}`); if (a.length === 1 && (a[0] as { node: string }).node === 'h1') release(); },
    };
    await runPhases(ctxOf([
      { name: 'daemons', actions: [daemon('r1')] },
      { name: 'exec', actions: [exec('h1')], alongside: true },
      { name: 'exec', actions: [exec('r1')] },
    ]), steps);
    // h1's exec ran while r1's daemons were held (they end only once it ran); r1's exec after both.
    expect(seen).to.deep.equal(['daemons start 1', 'exec h1', 'daemons end', 'exec r1']);
  });

  it('throws the failure of an alongside phase only after the phase beside it has ended, and runs nothing after', async () => {
    const seen: string[] = [];
    const steps: Record<string, Step> = {
      daemon: async () => { await new Promise((r) => setTimeout(r, 20)); seen.push('daemons end'); },
      exec: async (_c, a) => { if ((a[0] as { node: string }).node === 'h1') throw new Error('h1 exec failed'); seen.push('exec r1'); },
    };
    const err = await runPhases(ctxOf([
      { name: 'daemons', actions: [daemon('r1')] },
      { name: 'exec', actions: [exec('h1')], alongside: true },
      { name: 'exec', actions: [exec('r1')] },
    ]), steps).then(() => undefined, (e: unknown) => e);
    expect((err as Error).message).to.equal('h1 exec failed');
    expect(seen).to.deep.equal(['daemons end']);
  });
});
