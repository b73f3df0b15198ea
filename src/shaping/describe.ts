/**
 * Shaping in words: kept as the place src/index.ts and the unit tests import
 * them from. The functions live in src/topology (pure, importable by every
 * layer: src/graph's dry-run uses the same words as `netlab link show`).
 */
export { describeShaping } from '../topology/shaping.js';
export { formatMs, formatRate } from '../topology/units.js';
