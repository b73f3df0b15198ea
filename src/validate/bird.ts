/**
 * `bird_protocol`: one protocol of a BIRD node, from `birdc show protocols`
 * (read and parsed by the bird kind: src/daemons/bird-state.ts).
 */
import { birdc, parseBirdProtocols, type BirdProtocol } from '../daemons/bird-state.js';
import type { BirdProtocolTest } from '../topology/types.js';
import { CheckError } from './errors.js';
import type { Check, Observation } from './types.js';
import { read } from './reads.js';

export type { BirdProtocol };

/** Whether a BIRD protocol is in `want`: its State column, its BGP state, or the start of its Info, case-insensitively. */
export function birdStateMatches(p: BirdProtocol, want: string): boolean {
  const w = want.toLowerCase();
  return p.state.toLowerCase() === w || p.bgpState?.toLowerCase() === w || p.info.toLowerCase().split(/\s+/)[0] === w
    || p.info.toLowerCase().startsWith(w);
}

/** "ospf1 (OSPF) up Running". */
export function formatBirdProtocol(p: BirdProtocol): string {
  return `${p.name} (${p.proto}) ${p.state}${p.info ? ` ${p.info}` : ''}`;
}

export const checkBirdProtocol: Check<BirdProtocolTest> = async (t, ctx) => {
  const expected = `protocol ${t.protocol} ${t.state}`;
  const r = await birdc((argv, opts) => read(ctx, t.node, argv, opts), t.node, ['show', 'protocols']);
  if ('problem' in r) {
    if (r.missing) throw new CheckError(r.problem);
    return { ok: false, expected, seen: r.problem };
  }
  const protocols = parseBirdProtocols(r.value);
  const table = `${t.node}$ birdc show protocols\n${protocols.map((p) => `  ${formatBirdProtocol(p)}`).join('\n')}`;
  const p = protocols.find((x) => x.name === t.protocol);
  if (!p) {
    return { ok: false, expected, seen: `no protocol "${t.protocol}"; ${t.node} has ${protocols.map((x) => x.name).join(', ') || 'none'}`, detail: table };
  }
  const obs: Observation = { ok: birdStateMatches(p, t.state), expected, seen: formatBirdProtocol(p) };
  if (!obs.ok) obs.detail = table;
  return obs;
};
