/**
 * What the web UI's server and page say to each other: the drawn lab (a
 * view of its topology), the live state every second, test runs, and the
 * messages of the WebSockets. Types only, shared by src/ui (Node.js) and
 * src/ui/web (the page, bundled by esbuild), so both sides agree at build time.
 */

/** A router's neighbours (GET /api/labs/LAB/nodes/NODE/neighbors): lab.neighbors(). */
export type { RouterNeighbors } from '../index.js';

/** A running lab in the list (one per lab; `owner` arrives with rootless labs, issue 17). */
export interface LabSummary {
  name: string;
  /** User who runs it; undefined for the labs of whoever runs the UI. */
  owner?: string;
  /** True when this viewer may look but not act (another user's lab in the teacher's view). */
  readOnly?: boolean;
}

/** One end of a drawn link that is a node's interface. */
export interface ViewEnd {
  /** `r1:eth1`. */
  endpoint: string;
  node: string;
  iface: string;
  ipv4?: string;
  ipv6?: string;
  mac?: string;
}

/** A drawn element: a lab node, a LAN segment (a bridge netlab made), or the host. */
export interface ViewNode {
  /** Element id: the node name; `lan:<segment>`; `host`. */
  id: string;
  type: 'node' | 'segment' | 'host';
  label: string;
  /** The node's kind (linux, frr, bird, bridge, …); 'segment' / 'host' for the others. */
  kind: string;
  loopback?: { ipv4?: string; ipv6?: string };
  /** The node's kind runs a routing daemon whose neighbours it reads (its facts list ospf_neighbors or bgp_sessions): its card asks lab.neighbors(). */
  neighbors?: true;
  /** Interfaces of a lab node, `name address`, for its card. */
  interfaces?: ViewEnd[];
}

/** A drawn link: a point-to-point link, one LAN member's port, or a host link. */
export interface ViewEdge {
  /** `L<index>` (the link's position in `links:`), `L<index>.<endpoint>` for a LAN member. */
  id: string;
  type: 'p2p' | 'lan' | 'host';
  source: string;
  target: string;
  /** The node end whose counters give the rates (a→b: its sent bytes; b→a: its received bytes). */
  a: ViewEnd;
  /** The other end when it is a node's interface (p2p); for a host link, the host's interface. */
  b?: ViewEnd;
  /** The link's `name:` or LAN segment, if any. */
  name?: string;
  /** The link's subnets. */
  prefix4?: string;
  prefix6?: string;
}

/** One test of the lab's `tests:`, as the page lists it. */
export interface ViewTest {
  index: number;
  name: string;
  kind: string;
  node: string;
}

/** The drawn lab. */
export interface LabView {
  lab: string;
  description?: string;
  nodes: ViewNode[];
  edges: ViewEdge[];
  tests: ViewTest[];
}

/** A node's live state. */
export interface LiveNode {
  state: 'running' | 'paused' | 'dead';
  /** Daemons and whether each runs; undefined until first read (read a few nodes per second). */
  daemons?: { daemon: string; running: boolean; detail?: string }[];
}

/** A link's live state. */
export interface LiveEdge {
  /** 'down' when an end is cut (`link down`) or its node is dead. */
  state: 'up' | 'down';
  /** Why it is down: "r1:eth1 cut", "r2 dead". */
  reason?: string;
  /** Bits per second a→b and b→a over the last interval; undefined before two readings. */
  abBps?: number;
  baBps?: number;
  /** Packets dropped per second (device and qdisc, both ends). */
  dropsPerS?: number;
  /** Shaping in effect on each end, as text ("rate 2Mbit delay 30ms"); absent when none. */
  shapingA?: string;
  shapingB?: string;
}

/** The live state of a lab, sent every second. */
export interface LiveState {
  lab: string;
  /** ISO 8601. */
  at: string;
  nodes: Record<string, LiveNode>;
  edges: Record<string, LiveEdge>;
}

/** How a test ended, or that it runs. */
export type LiveTestStatus = 'pending' | 'running' | 'pass' | 'fail' | 'error' | 'skipped';

/** One test's progress in a run. */
export interface LiveTest {
  index: number;
  status: LiveTestStatus;
  durationMs?: number;
  expected?: string;
  seen?: string;
  detail?: string;
}

/** What the server can do, for the page to offer or explain. */
export interface Capabilities {
  /** Packet capture on a link; when false, `captureWhy` says why. */
  capture: boolean;
  captureWhy?: string;
}

/** One packet of a live capture, as the packet list shows it (src/observe/packets.ts decodes it). */
export interface PacketRow {
  /** Its number in the capture, from 1 (numbers left out were counted, not shown). */
  n: number;
  /** Seconds since the capture's first packet. */
  t: number;
  /** The interface it was captured on: `r1:eth1`. */
  endpoint: string;
  src: string;
  dst: string;
  /** ICMP, TCP, UDP, OSPF, ARP, ICMPv6, BGP, … */
  protocol: string;
  /** Bytes on the wire. */
  length: number;
  info: string;
}

/** A live capture on a link (POST /api/labs/LAB/links/ID/live-capture). */
export interface LiveCaptureInfo {
  /** `c1`, `c2`, … (per server). */
  id: string;
  /** The drawn link (`L0`). */
  edge: string;
  /** The interfaces captured. */
  endpoints: string[];
  state: 'running' | 'stopped';
  /** ISO 8601. */
  startedAt: string;
  stoppedAt?: string;
  /** It stops by itself after this long. */
  seconds: number;
  filter?: string;
  /** Packets captured. */
  packets: number;
  /** Rows sent to the page. */
  shown: number;
  /** Packets counted but not listed: beyond the rows per second the list takes (a flood). */
  notShown: number;
  /** Size of the pcapng so far, bytes. */
  fileBytes: number;
  /** Packets not written because the file reached its limit. */
  notInFile: number;
  /** Packets the kernel dropped (the capture fell behind); known when it stopped. */
  kernelDropped?: number;
  error?: string;
}

/** Server → page on the live WebSocket. */
export type ServerMessage =
  | { type: 'hello'; labs: LabSummary[]; capabilities: Capabilities; /** The lab `netlab ui LAB` named, if any. */ lab?: string }
  | { type: 'labs'; labs: LabSummary[] }
  /**
   * `live`: the lab's last reading, if any, applied with the drawing (before its first frame, not after it).
   * `layingOut`: the server still lays the lab out (it waited LAYOUT_WAIT_MS for it): the page draws the
   * elements without a position on a grid and waits for a `positions` message instead of laying them out.
   */
  | { type: 'topology'; lab: string; view: LabView; positions: Record<string, { x: number; y: number }>; live?: LiveState; layingOut?: boolean }
  | { type: 'positions'; lab: string; positions: Record<string, { x: number; y: number }> }
  | { type: 'live'; live: LiveState }
  | { type: 'gone'; lab: string; message: string }
  | { type: 'tests'; lab: string; runId: number; state: 'running' | 'done'; results: LiveTest[]; summary?: string }
  | { type: 'capture'; lab: string; capture: LiveCaptureInfo }
  | { type: 'packets'; lab: string; id: string; rows: PacketRow[] };

/** Page → server on the live WebSocket. */
export type ClientMessage = { type: 'subscribe'; lab: string } | { type: 'watch-node'; lab: string; node: string | null };

/** Page → server on a terminal WebSocket (text frames; keys go as binary frames). */
export type TerminalControl = { type: 'resize'; rows: number; cols: number };

/** Server → page on a terminal WebSocket (text frames; output goes as binary frames). */
export type TerminalEvent = { type: 'exit'; code: number } | { type: 'error'; message: string };

/** A link action (POST /api/labs/LAB/links/ID). */
export interface LinkAction {
  action: 'cut' | 'restore' | 'shape';
  /** Which ends: both (default), 'a' (a → b) or 'b' (b → a). */
  ends?: 'both' | 'a' | 'b';
  /** For 'shape': values as typed (10mbit, 20ms, 1%); "0" removes one. */
  change?: Record<string, string>;
  /** For 'shape': start from no shaping. */
  reset?: boolean;
}

/** An error the server answers with (HTTP 4xx/5xx), as the CLI prints one. */
export interface ApiError {
  error: string;
  hint?: string;
}
