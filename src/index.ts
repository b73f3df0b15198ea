/**
 * netlab's library API. The CLI and the web UI (src/ui) use nothing else.
 *
 *   import { Lab } from 'netlab';
 *   const lab = await Lab.up('topologies/ospf-triangle.yaml');
 *   const r = await lab.exec('r1', ['vtysh', '-c', 'show ip route']);
 *   await lab.down();
 */
export { Lab, type WaitOptions } from './lab/lab.js';
export { LinkEndpoint } from './lab/link-endpoint.js';
export { isLabName, requireLabName } from './lab/paths.js';
export { labNameOf } from './lab/lab-name.js';
export { checkNodeName } from './topology/names.js';
export { otherEnd, type LinkReport, type LinkChangeOptions } from './lab/links.js';
export type { SaveReport, SavedFile } from './lab/save.js';
export { checkOutput, writeOutput } from './lab/output.js';
export { validateLab, type LabApi, type LabHandle, type ValidateOptions, type ValidateIo } from './lab/validate-run.js';
export { classCsv, classRows, validateClass, type ClassOptions, type ClassRow } from './lab/validate-class.js';
export { setupUser, removeSetup, freeSubordinateStart, type SetupReport, type SetupRemoveReport } from './lab/setup-user.js';
export {
  allUsersStatus, owners, ownerNamed, ownsProcess, requireHostRoot, runAsUser, runAsUserOutput, withOwner, type OwnedLabStatus, type Owner, type UserRunResult,
} from './lab/all-users.js';
export { convertToNetlab, type ConvertOptions } from './lab/convert.js';
export { storeImageCatalog } from './lab/images.js';
export type { ImageCatalog } from './frontends/types.js';
export { enterBinary } from './core/native.js';
export type { NodeTerminal, TerminalOptions } from './lab/terminal.js';
export { parseNetDev, type LinkCounters } from './observe/link-counters.js';
export type { RouterNeighbors, OspfNeighbor, BgpSession } from './lab/neighbors.js';
export type { Positions } from './lab/positions.js';
export { parseShapingChange, SHAPING_CHANGE_KEYS, type ShapingChange } from './topology/shaping-change.js';
export { describeShaping } from './topology/shaping.js';
export type { Shaping } from './topology/types.js';
export type { UpOptions, UpReport } from './lab/up.js';
export type { DownReport, DownOptions } from './lab/teardown.js';
export type { LabStatus, NodeStatus, InterfaceStatus } from './lab/status.js';
export type { ProgressEvent, ProgressListener } from './lab/progress.js';
export { runChecks as doctor, type Check } from './lab/doctor.js';
export { loadTopology, loadTopologyFile, loadTestsFile, loadLab, kindCatalog, type LoadTopologyOptions as LoadOptions } from './lab/load.js';
export type { LoadLabOptions } from './frontends/index.js';
export type { KindCatalog } from './topology/kinds.js';
export { parseTime, UnitError } from './topology/units.js';
export type * from './topology/types.js';
export { isHostEndpoint } from './topology/endpoints.js';
export { isLan, linkType, LINK_TYPES, type LinkType } from './topology/link-types/index.js';
export { plan, formatPlan, renderGraph, GRAPH_FORMATS, type GraphFormat } from './graph/index.js';
export type { Plan, Phase, Action } from './graph/actions.js';
export type { ExecResult, ExecOptions, Kind } from './daemons/kind.js';
export { NetlabError, TopologyError, UsageError, KernelError, isNetlabError } from './errors.js';
export {
  pullImage, importImage, resolveImage, listImages, inspectImage, removeImage, pruneImages, defaultStoreRoot,
  type ImageRecord, type ImageSummary, type StoreUsage, type ImageDetails, type RemoveReport, type ResolvedImage,
  type FetchOptions, type ResolveOptions, type StoreOptions, type ImageProgress, type ImageProgressListener, type RunConfig,
} from './image/index.js';
export {
  runTests, selectTests, formatReport, formatSummary, toJUnit, plain, DEFAULT_CONCURRENCY, type Style, type RunOptions, type RunReport, type TestResult, type Executor } from './validate/index.js';
export type { Capture, CaptureOptions, CaptureReport, CaptureTarget, InterfaceCaptureReport } from './observe/capture.js';
export { statsBetween, oomOf, type LabSample, type LabStats, type NodeStats, type InterfaceStats, type NodeSample, type InterfaceCounters } from './observe/stats.js';
export type { NodeCounters, MemoryCounters } from './observe/cgroup-read.js';
export { describeOomKill, type OomKill } from './observe/oom.js';
export { PcapngReader, PcapngError, summarize, formatIpv6, type PacketSummary, type PcapngBlock } from './observe/packets.js';
export { EVENT_ACTIONS, type EventSpec, type EventAction } from './topology/events.js';
export type { EventsReport, EventStatus } from './events/manage.js';
export type { EventRun } from './events/files.js';
