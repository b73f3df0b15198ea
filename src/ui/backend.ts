/**
 * What the web UI's server needs of netlab: the few calls of the library API
 * (src/index.ts) it makes, as an interface, so the server is a client of the
 * library and nothing else, and unit tests can drive it with a lab in memory.
 * `libraryBackend()` is the real one: `Lab` satisfies `UiLab` as it is.
 */
import {
  Lab, owners, ownerNamed, ownsProcess, runAsUserOutput, UsageError, withOwner, type Owner, type ExecOptions, type ExecResult, type LinkCounters, type NodeTerminal, type Positions, type RouterNeighbors,
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
   * The owner of lab `key` when it is another user's (the teacher's view:
   * read-only unless root acts); undefined for the viewer's own labs.
   */
  ownerOf?(key: string): string | undefined;
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

/** A lab key of the teacher's view: `user/lab` for a user's lab, the bare name for root's own (pure). */
export function splitLabKey(key: string): { owner?: string; lab: string } {
  const slash = key.indexOf('/');
  return slash < 0 ? { lab: key } : { owner: key.slice(0, slash), lab: key.slice(slash + 1) };
}

/** Why an action on another user's lab is refused even when root acts: it is not offered from the page yet. */
function notFromTeacherView(what: string, owner: string, lab: string, cli: string): UsageError {
  return new UsageError(`${owner}/${lab}`, `${what} is not offered on another user's lab from the page`, `as root: ${cli}`);
}

/**
 * Another user's lab as root reads it: every read goes to the user's run
 * folder (withOwner), the nodes' processes must be the user's (ownsProcess)
 * before root enters one for its daemons' health or neighbours, and a cut or
 * restore runs as the user's own netlab would run it (runAsUserOutput), so
 * what it writes belongs to the user. The server lets the page act only when
 * root asks for it explicitly (src/ui/server.ts).
 */
function ownedLab(owner: Owner, name: string): UiLab {
  const lab = withOwner(owner, () => Lab.open(name));
  const key = `${owner.name}/${name}`;
  const enter = (node: string): void => {
    const pid = lab.nodePid(node);
    if (pid !== undefined && !ownsProcess(owner, pid)) throw new UsageError(`${key}/${node}`, `its PID ${pid} is not a process of user ${owner.name}`, 'the lab\'s State file names a process this user\'s netlab did not start; root does not enter it');
  };
  const cli = async (args: string[]): Promise<void> => {
    const r = await runAsUserOutput(owner.name, args);
    if (r.code !== 0) {
      const text = r.stderr.trim() || r.stdout.trim();
      const error = /^error: (.*)$/m.exec(text)?.[1] ?? text.split('\n')[0] ?? `netlab ${args.join(' ')} failed (exit ${r.code})`;
      const hint = /^hint: (.*)$/m.exec(text)?.[1] ?? '';
      throw new UsageError(`${key}`, error, hint);
    }
  };
  return {
    name: key,
    topology: lab.topology,
    stale: () => withOwner(owner, () => lab.stale()),
    linkCounters: (nodes) => withOwner(owner, () => lab.linkCounters(nodes)),
    health: async (node) => { enter(node); return withOwner(owner, () => lab.health(node)); },
    neighbors: async (node) => { enter(node); return withOwner(owner, () => lab.neighbors(node)); },
    positions: () => withOwner(owner, () => lab.positions()),
    link: (endpoint) => ({
      down: () => cli(['link', 'down', endpoint, '--lab', name]),
      up: () => cli(['link', 'up', endpoint, '--lab', name]),
      set: () => Promise.reject(notFromTeacherView('shaping', owner.name, name, `netlab-rootless --user ${owner.name} netlab link set ${endpoint} --lab ${name} …`)),
    }),
    terminal: () => { throw notFromTeacherView('a terminal', owner.name, name, `runuser -u ${owner.name} -- netlab shell --lab ${name} NODE`); },
    savePositions: () => { throw notFromTeacherView('saving positions', owner.name, name, 'the student drags the nodes on their own page'); },
    exec: () => Promise.reject(notFromTeacherView('running commands', owner.name, name, `netlab validate FILE --all-users (every student's copy)`)),
  };
}

/**
 * The teacher's view (`netlab ui --all-users`, host root only): root's own
 * labs by name, and every user's running labs as `user/lab` with their owner,
 * read-only in the page. Captures are root's own labs' only.
 * @throws UsageError (exit 2) unless host root.
 */
export function teacherBackend(): UiBackend {
  ownerNamed('root'); // refuses anyone but host root, before the server starts
  const base = libraryBackend();
  return {
    ...base,
    labs: () => owners().flatMap((o) => withOwner(o, () => Lab.running()).map((name) => (o.keeper
      ? { name: `${o.name}/${name}`, owner: o.name, readOnly: true }
      : { name, owner: o.name }))),
    open: (key) => {
      const { owner, lab } = splitLabKey(key);
      if (owner === undefined) return withOwner(ownerNamed('root'), () => Lab.open(lab));
      if (owner === 'root') throw new UsageError(`lab ${key.slice(0, 60)}`, 'root\'s own labs go by their name alone', `open ${lab}`);
      return ownedLab(ownerNamed(owner), lab);
    },
    ownerOf: (key) => splitLabKey(key).owner,
  };
}
