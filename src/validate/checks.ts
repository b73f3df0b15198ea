/**
 * The check behind each test kind. A new kind is a file with a Check and a
 * line here (and its schema and resolver in src/topology/tests.ts).
 */
import type { TestKind, TestSpec } from '../topology/types.js';
import { checkBgpSessions } from './bgp.js';
import { checkBirdProtocol } from './bird.js';
import { checkExec } from './exec.js';
import { checkOspfNeighbors } from './ospf.js';
import { checkReach } from './reach.js';
import { checkRoute } from './route.js';
import type { Check, CheckContext, Observation } from './types.js';

const CHECKS: { [K in TestKind]: Check<Extract<TestSpec, { kind: K }>> } = {
  reach: checkReach,
  route: checkRoute,
  exec: checkExec,
  ospf_neighbors: checkOspfNeighbors,
  bgp_sessions: checkBgpSessions,
  bird_protocol: checkBirdProtocol,
};

/** Runs one try of the test's check. @throws CheckError when the check cannot run. */
export function checkOnce(test: TestSpec, ctx: CheckContext): Promise<Observation> {
  return (CHECKS[test.kind] as Check)(test, ctx);
}
