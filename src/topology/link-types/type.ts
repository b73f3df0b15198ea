/**
 * The interface every link type implements: the facts the loader, the
 * planner and the other layers need about a type, and how the loader
 * resolves a link of that type. One module per type, listed in ./index.ts.
 */
import type { LinkObject, RawEndpointDraft } from '../links.js';
import type { MacCounter } from '../mac.js';
import type { PathPart } from '../path.js';
import type { Link, LinkKind } from '../types.js';

/** What `resolve` gets besides the link: where it is, how it was written, the lab-wide name and MAC tallies. */
export interface ResolveContext {
  /** `['links', index]`. */
  path: PathPart[];
  /** The link as written (mapping form). */
  obj: LinkObject;
  /** LAN segment names taken so far → where (`links[2]`). */
  segments: Map<string, string>;
  macs: MacCounter;
}

/** A link type selected by `type:` in the file (the others follow from the endpoints). */
export interface ExplicitType {
  /** Keys of a link that only this type takes (`parent:` for macvlan). */
  keys: readonly (keyof LinkObject)[];
  /** Throws a TopologyError at `path` when a key this type needs is missing. */
  check?(obj: LinkObject, path: PathPart[]): void;
  /** How an error's hint writes a link of this type, e.g. `{ type: macvlan, endpoints: [r1:eth5], parent: eth0 }`. */
  example: string;
}

/** One link type. */
export interface LinkType {
  kind: LinkKind;
  /**
   * How messages name a link of this type after `links[N]` (capture: "links[2], LAN"),
   * when the index alone does not say enough; undefined = nothing added.
   */
  noun?: string;
  /**
   * A broadcast segment: its members are bridged in the lab's hidden segment
   * namespace (src/topology/namespaces.ts), take addresses from the LAN pool,
   * and run OSPF as a broadcast network (the others: point-to-point).
   */
  lan: boolean;
  /**
   * One endpoint, an interface made inside its node with no peer in the lab
   * (dummy, macvlan, vxlan): no edge in the lab graph, no carrier to wait for.
   */
  local: boolean;
  /** Set when `type: <kind>` selects this type. */
  explicit?: ExplicitType;
  /** The type's own settings on the Link (e.g. `macvlan: { parent, mode }`), from the link as written. */
  settings?(obj: LinkObject): Partial<Link>;
  /**
   * Finishes a link whose node interfaces exist: peers, segment and ports,
   * the host end. Throws TopologyError for what only this type forbids.
   */
  resolve(link: Link, endpoints: RawEndpointDraft[], ctx: ResolveContext): void;
}
