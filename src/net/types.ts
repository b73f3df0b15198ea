/**
 * Shapes shared by the topology loader and src/net (defined with the resolved
 * topology, src/topology/types.ts).
 */
export type { RouteSpec } from '../topology/types.js';
