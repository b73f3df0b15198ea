/**
 * Shapes shared by the topology loader and the container core (defined with
 * the resolved topology, src/topology/types.ts).
 */
export type { Bind, Resources } from '../topology/types.js';
