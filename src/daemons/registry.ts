/**
 * The one registry of kinds: kind name → plug-in (its facts and behaviour).
 * A new kind is one new file in src/daemons plus one entry in the list in
 * `registry()` below (docs/architecture.md, "Adding a kind"). The loader gets
 * the plug-ins' facts from here as an argument (`kindCatalog()`, src/load.ts):
 * src/topology never imports a plug-in.
 *
 * Built on first use (a cache), not at import: the plug-ins' config renderers
 * ask the registry about their neighbours' kinds (src/daemons/peers.ts), so
 * the modules import each other in a cycle, and a list built at import time
 * could meet a plug-in not yet evaluated.
 */
import { TopologyError } from '../errors.js';
import { kindCatalog as catalogOf, type KindCatalog } from '../topology/kinds.js';
import { bird } from './bird.js';
import { bridge } from './bridge.js';
import { frr } from './frr.js';
import type { Kind } from './kind.js';
import { linux } from './linux.js';

interface Registry { list: readonly Kind[]; byName: ReadonlyMap<string, Kind>; catalog: KindCatalog }
let built: Registry | undefined;

function registry(): Registry {
  if (!built) {
    const list: readonly Kind[] = [frr, bird, bridge, linux]; // the kinds, in the order doctor and pictures' legends list them
    built = { list, byName: new Map(list.map((k) => [k.facts.name, k])), catalog: catalogOf(list.map((k) => k.facts)) };
  }
  return built;
}

/** Every kind plug-in, in registration order (frr, bird, bridge, linux). */
export function allKinds(): readonly Kind[] {
  return registry().list;
}

/** The facts of every kind, for the loader (LoadOptions.kinds). */
export function kindCatalog(): KindCatalog {
  return registry().catalog;
}

/** Names of every registered kind, sorted. */
export function kindNames(): string[] {
  return [...registry().byName.keys()].sort();
}

/** The kind called `name`, or undefined (a topology loaded with a catalog of its own may name kinds netlab has no plug-in for). */
export function findKind(name: string): Kind | undefined {
  return registry().byName.get(name);
}

/**
 * The kind called `name`.
 * @param where key path for the error, e.g. `nodes.r1.kind`.
 * @throws TopologyError listing the known kinds when there is no such kind.
 */
export function getKind(name: string, where = 'kind'): Kind {
  const k = findKind(name);
  if (!k) throw new TopologyError(where, `unknown kind "${name}"`, `known kinds: ${kindNames().join(', ')}`);
  return k;
}
