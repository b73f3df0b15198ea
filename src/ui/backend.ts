/**
 * What the web UI's server needs of netlab: the few calls of the library API
 * (src/index.ts) it makes, as an interface, so the server is a client of the
 * library and nothing else, and unit tests can drive it with a lab in memory.
 * `libraryBackend()` is the real one: `Lab` satisfies `UiLab` as it is.
 */
import {
  Lab, type ExecOptions, type ExecResult, type LinkCounters, type NodeTerminal, type Positions, type RouterNeighbors,
  type Shaping, type TerminalOptions, type Topology,
} from '../index.js';
import type { Capabilities, LabSummary } from './protocol.js';

/** Health of one daemon, as `netlab status` has it. */
export interface UiDaemonHealth {
  daemon: string;
  running: boolean;
  detail?: string;
}

/** A running lab as the UI uses it (the library's `Lab`). */
export interface UiLab {
  readonly name: string;
  readonly topology: Topology;
  /** True when the lab changed on disk (or went away) since it was opened. */
  stale(): boolean;
  linkCounters(nodes?: readonly string[]): Promise<LinkCounters>;
  health(node: string): Promise<UiDaemonHealth[]>;
  link(endpoint: string): { set(change: Shaping, opts?: { reset?: boolean }): Promise<Shaping>; down(): Promise<void>; up(): Promise<void> };
  terminal(node: string, opts?: TerminalOptions): NodeTerminal;
  neighbors(node: string): Promise<RouterNeighbors>;
  positions(): Positions;
  savePositions(positions: unknown): Positions;
  exec(node: string, argv: string[], opts?: ExecOptions): Promise<ExecResult>;
}

/** A packet capture the server streams to the browser (the library's `lab.capture`, output 'pipe'). */
export interface UiCapture {
  /** Resolves once every interface captures; rejects (UsageError/NetlabError) when the start fails. */
  ready: Promise<void>;
  /** The pcapng bytes as they are written; ends when the capture stops. */
  stream: NodeJS.ReadableStream;
  stop(): void;
  /** Resolves when the capture ended, with the packets the kernel dropped (libpcap ps_drop, all interfaces). */
  done?: Promise<{ dropped: number }>;
}

/** The labs the UI may show, and how to open one. */
export interface UiBackend {
  /** Running labs (for root with rootless labs: every user's, with owners — issue 17). */
  labs(): LabSummary[];
  /** @throws UsageError (NetlabError) when the lab is not running. */
  open(name: string): UiLab;
  capabilities(): Capabilities;
  /**
   * Starts a capture of `endpoints` for at most `durationMs` or `maxPackets`.
   * @throws NetlabError when capture is not available (see capabilities).
   */
  capture?(lab: UiLab, endpoints: string[], opts: { durationMs: number; maxPackets?: number; /** pcap-filter(7) */ filter?: string }): UiCapture;
}

/** The real backend: the library's labs on this host. */
export function libraryBackend(): UiBackend {
  return {
    labs: () => Lab.running().map((name) => ({ name })),
    open: (name) => Lab.open(name),
    capabilities: () => ({ capture: true }),
    capture: (lab, endpoints, opts) => {
      // The same capture as `netlab capture` (src/observe/capture.ts), its pcapng piped to the browser.
      const c = Lab.open(lab.name).capture({
        endpoints, durationMs: opts.durationMs, output: 'pipe',
        ...(opts.maxPackets ? { count: opts.maxPackets } : {}), ...(opts.filter ? { filter: opts.filter } : {}),
      });
      c.done.catch(() => undefined); // a failed start is reported through ready
      return { ready: c.ready, stream: c.stream!, stop: () => c.stop(), done: c.done.then((r) => ({ dropped: r.dropped })) };
    },
  };
}
