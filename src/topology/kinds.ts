/**
 * The kinds of node the loader accepts. The list is open: src/daemons
 * registers its kinds with `registerKind`; the four built in here are what a
 * topology may use before that (linux, frr, bird, bridge).
 *
 * This registry is a cache of facts about kinds, the one piece of module
 * state in src/topology; registering the same name again replaces it.
 */

/** What the loader and planner need to know about a kind. */
export interface KindInfo {
  /** The name used in `kind:`. */
  name: string;
  /** Routes packets: forwarding on by default; may run ospf:/bgp:. */
  router: boolean;
  /** Has a daemon the planner starts (a 'daemon' action), even without `cmd`. */
  daemon: boolean;
  /** An L2 switch: its interfaces are enslaved to a bridge inside the node and get no addresses. */
  switch: boolean;
  /** One line for error hints and docs. */
  summary: string;
}

const registry = new Map<string, KindInfo>();

/** Adds or replaces a kind; returns a function that puts back what was there before (a test's own kind leaves no trace). */
export function registerKind(info: KindInfo): () => void {
  const before = registry.get(info.name);
  registry.set(info.name, { ...info });
  return () => {
    if (before) registry.set(info.name, before); else registry.delete(info.name);
  };
}

/** The kind called `name`, or undefined. */
export function getKind(name: string): KindInfo | undefined {
  return registry.get(name);
}

/** Names of all kinds, sorted. */
export function kindNames(): string[] {
  return [...registry.keys()].sort();
}

registerKind({ name: 'linux', router: false, daemon: false, switch: false, summary: 'a plain Linux host (runs cmd/exec)' });
registerKind({ name: 'frr', router: true, daemon: true, switch: false, summary: 'an FRR router' });
registerKind({ name: 'bird', router: true, daemon: true, switch: false, summary: 'a BIRD router' });
registerKind({ name: 'bridge', router: false, daemon: false, switch: true, summary: 'an L2 switch (a Linux bridge inside the node)' });
