/**
 * Kind name → Kind. A new kind is one new file plus one line here. The
 * topology layer keeps its own facts about kinds (src/topology/kinds.ts:
 * router, daemon, switch); registering here keeps both in step.
 */
import { TopologyError } from '../errors.js';
import { registerKind } from '../topology/kinds.js';
import { bird } from './bird.js';
import { bridge } from './bridge.js';
import { frr } from './frr.js';
import type { Kind } from './kind.js';
import { linux } from './linux.js';

const kinds = new Map<string, Kind>([linux, frr, bird, bridge].map((k) => [k.name, k]));

/** Names of every registered kind, sorted. */
export function kindNames(): string[] {
  return [...kinds.keys()].sort();
}

/**
 * The kind called `name`.
 * @param where key path for the error, e.g. `nodes.r1.kind`.
 * @throws TopologyError listing the known kinds when there is no such kind.
 */
export function getKind(name: string, where = 'kind'): Kind {
  const k = kinds.get(name);
  if (!k) throw new TopologyError(where, `unknown kind "${name}"`, `known kinds: ${kindNames().join(', ')}`);
  return k;
}

/**
 * Adds (or replaces) a kind, also in the topology layer's registry so that
 * topology files may use it. `daemon`: whether the planner starts it without `cmd`.
 */
export function registerDaemonKind(kind: Kind, info: { daemon: boolean; switch?: boolean; summary: string }): void {
  kinds.set(kind.name, kind);
  registerKind({ name: kind.name, router: kind.router, daemon: info.daemon, switch: info.switch ?? false, summary: info.summary });
}
