/**
 * What a user can ask of a link's traffic: defined with the resolved topology
 * (src/topology/types.ts), which parses units into these numbers; src/shaping
 * encodes them as tc qdiscs.
 */
export type { DelayDistribution, NetClass, Shaping } from '../topology/types.js';
