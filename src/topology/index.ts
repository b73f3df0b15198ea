/**
 * src/topology: YAML → Topology. What other layers import.
 */
export type * from './types.js';
export { loadTopology, loadTopologyFile, topologyName, type LoadOptions, type TopologySource } from './load.js';
export { kindCatalog, kindFacts, kindNames, type KindCatalog, type KindFacts, type ProtocolTest } from './kinds.js';
export { parseRate, parseTime, parsePercent, parseSize, formatRate, UnitError } from './units.js';
export { topologyJsonSchema } from './schema/check.js';
export type {
  TopologyInput, NodeSettings, LinkInput, EndpointInput, ShapingInput, OspfInput, BgpInput, RouteInput, TestInput, AddressingInput, ClassInput,
} from './schema/source.js';

import type { Interface, Node, Topology } from './types.js';

/** The node called `name`, or undefined. O(n); build a Map when looking up many. */
export function findNode(t: Topology, name: string): Node | undefined {
  return t.nodes.find((n) => n.name === name);
}

/** The interface `node:iface`, or undefined. */
export function findInterface(t: Topology, node: string, iface: string): Interface | undefined {
  return findNode(t, node)?.interfaces.find((i) => i.name === iface);
}
export { resolveTests, TEST_KINDS } from './tests.js';
export { loadTestsFile, type TestsFileOptions } from './tests-file.js';
