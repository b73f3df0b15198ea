/**
 * What the pure layers know about a kind of node: its facts, as plain data.
 *
 * The facts are declared by the kind's own plug-in (src/daemons/<kind>.ts,
 * `facts`), next to its behaviour; src/daemons/registry.ts lists the plug-ins
 * and hands their facts to the loader as a `KindCatalog` (LoadOptions.kinds).
 * This file only says what a fact is: src/topology never imports a plug-in
 * (test/unit/topology-layers.test.ts), and holds no list of kinds of its own.
 */
import { TopologyError } from '../errors.js';
import { didYouMean } from './suggest.js';

/** The protocol tests (tests: in a topology) a kind may answer. */
export type ProtocolTest = 'ospf_neighbors' | 'bgp_sessions' | 'bird_protocol';

/**
 * Facts about one kind that the loader needs: pure data, the same for every
 * node of the kind. A plug-in declares more facts (src/daemons/kind.ts,
 * PluginFacts: pictures, doctor, programs, memory); this is the part the
 * pure layer reads.
 */
export interface KindFacts {
  /** The name used in `kind:`, e.g. 'frr'. */
  readonly name: string;
  /** One line for error hints and docs. */
  readonly summary: string;
  /** Routes packets: forwarding on by default; may have ospf:/bgp: (other kinds are refused them). */
  readonly router: boolean;
  /** Has a daemon the planner starts (a 'daemon' action), even without `cmd`. */
  readonly daemon: boolean;
  /** How pictures draw it (`netlab graph`: SVG, HTML, Mermaid): 'router' a square, 'host' a round shape. */
  readonly shape: 'router' | 'host';
  /** Fill colour in SVG/HTML pictures, '#rrggbb'. */
  readonly color: string;
  /** An L2 switch: may have `bridge:`; its interfaces are enslaved to that bridge inside the node and get no addresses. */
  readonly switch: boolean;
  /**
   * The protocol tests a node of this kind answers, and the tool that reads
   * them, for messages: { ospf_neighbors: 'FRR (vtysh)' }. A test not listed
   * is refused at load time, naming the kinds that answer it.
   */
  readonly tests: Readonly<Partial<Record<ProtocolTest, string>>>;
}

/** The kinds a loader knows, by name (built by src/daemons/registry.ts from the plug-ins). */
export type KindCatalog = ReadonlyMap<string, KindFacts>;

/** A catalog of `facts`, keyed by name. */
export function kindCatalog(facts: readonly KindFacts[]): KindCatalog {
  return new Map(facts.map((f) => [f.name, f]));
}

/** Names of all kinds in `catalog`, sorted. */
export function kindNames(catalog: KindCatalog): string[] {
  return [...catalog.keys()].sort();
}

/**
 * The facts of kind `name`.
 * @param where key path for the error, e.g. `nodes.r1.kind`.
 * @throws TopologyError "unknown kind" with a did-you-mean and the known kinds.
 */
export function kindFacts(catalog: KindCatalog, name: string, where: string): KindFacts {
  const k = catalog.get(name);
  if (k) return k;
  throw new TopologyError(where, `unknown kind "${name}"${didYouMean(name, kindNames(catalog))}`, `kinds: ${kindNames(catalog).join(', ')}`);
}
