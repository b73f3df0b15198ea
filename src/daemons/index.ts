/**
 * src/daemons: kinds of node (linux, frr, bird, bridge) — config rendering,
 * start, readiness, health, save. What other layers import.
 */
export type { DaemonHealth, ExecOptions, ExecResult, Kind, NodeContext, NodeFile, PluginFacts, StartState } from './kind.js';
export { allKinds, findKind, getKind, kindCatalog, kindNames } from './registry.js';
export { writeNodeFiles } from './files.js';
export { renderFrrConf } from './frr-conf.js';
export { renderBirdConf } from './bird-conf.js';
export { detectDaemons, renderDaemonsFile } from './frr-daemons.js';
export { bgpSessions, type BgpSession } from './bgp-sessions.js';
