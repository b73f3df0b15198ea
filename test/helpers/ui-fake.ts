/**
 * A lab in memory for the web UI's unit tests (no root, no kernel): a loaded
 * Topology, counters that grow as the test says, link actions that change the
 * topology as the library would, and a terminal that echoes. It satisfies
 * src/ui/backend.ts's UiLab / UiBackend the way the library's Lab does.
 */
import { EventEmitter } from 'node:events';
import { loadTopology, UsageError, type LinkCounters, type NodeTerminal, type Positions, type Shaping, type Topology } from '../../src/index.js';
import { checkPositions } from '../../src/lab/positions.js';
import type { UiBackend, UiLab } from '../../src/ui/backend.js';

/** What the fake recorded. */
export interface FakeLog {
  actions: string[];
  typed: string[];
  resizes: { rows: number; cols: number }[];
}

export class FakeLab implements UiLab {
  readonly log: FakeLog = { actions: [], typed: [], resizes: [] };
  readonly counters = new Map<string, { rx: number; tx: number }>();
  running = new Set<string>();
  /** Nodes reported paused (netlab node pause). */
  paused = new Set<string>();
  private saved: Positions = {};
  private version = 0;
  private seen = 0;

  constructor(readonly topology: Topology) {
    for (const n of topology.nodes) this.running.add(n.name);
  }

  get name(): string { return this.topology.name; }

  /** Marks the lab changed on disk (as a CLI `link down` would). */
  touch(): void { this.version++; }

  stale(): boolean { return this.seen !== this.version; }

  /** The server re-opens the lab when stale; the fake is the same object, now current. */
  reopened(): this { this.seen = this.version; return this; }

  async linkCounters(nodes?: readonly string[]): Promise<LinkCounters> {
    const interfaces: LinkCounters['interfaces'] = {};
    const running: Record<string, boolean> = {};
    for (const n of this.topology.nodes) {
      running[n.name] = this.running.has(n.name);
      if (!running[n.name] || (nodes && !nodes.includes(n.name))) continue;
      for (const i of n.interfaces) {
        const c = this.counters.get(`${n.name}:${i.name}`) ?? { rx: 0, tx: 0 };
        interfaces[`${n.name}:${i.name}`] = { name: i.name, rxBytes: c.rx, txBytes: c.tx, rxPackets: 0, txPackets: 0, rxDropped: 0, txDropped: 0, qdiscDropped: 0 };
      }
    }
    return { atMs: Date.now(), running, interfaces, paused: [...this.paused].filter((n) => this.running.has(n)) };
  }

  async health(node: string): Promise<{ daemon: string; running: boolean }[]> {
    return this.topology.nodes.find((n) => n.name === node)?.kind === 'frr' ? [{ daemon: 'zebra', running: true }, { daemon: 'ospfd', running: true }] : [];
  }

  link(endpoint: string): { set(change: Shaping, opts?: { reset?: boolean }): Promise<Shaping>; down(): Promise<void>; up(): Promise<void> } {
    const [node, name] = endpoint.split(':');
    const iface = this.topology.nodes.find((n) => n.name === node)?.interfaces.find((i) => i.name === name);
    if (!iface) throw new UsageError(endpoint, 'no such endpoint');
    return {
      set: async (change, opts) => { this.log.actions.push(`set ${endpoint} ${JSON.stringify(change)}${opts?.reset ? ' reset' : ''}`); iface.shaping = { ...(opts?.reset ? {} : iface.shaping), ...change }; this.touch(); return iface.shaping; },
      down: async () => { this.log.actions.push(`down ${endpoint}`); iface.state = 'down'; this.touch(); },
      up: async () => { this.log.actions.push(`up ${endpoint}`); iface.state = 'up'; this.touch(); },
    };
  }

  terminal(node: string, opts: { rows?: number; cols?: number } = {}): NodeTerminal {
    if (!this.running.has(node)) throw new UsageError(`${this.name}/${node}`, 'is not running');
    const ev = new EventEmitter();
    let close: (code: number) => void = () => { /* set below */ };
    const exited = new Promise<number>((r) => { close = r; });
    this.log.resizes.push({ rows: opts.rows ?? 24, cols: opts.cols ?? 80 });
    queueMicrotask(() => ev.emit('data', Buffer.from(`${node}# `)));
    return {
      label: `${this.name}/${node}`,
      onData: (l) => { ev.on('data', l); },
      write: (d) => { const s = d.toString(); this.log.typed.push(s); ev.emit('data', Buffer.from(s === 'exit\r' ? s : s)); if (s === 'exit\r') close(0); },
      pause: () => { /* never behind */ },
      resume: () => { /* never behind */ },
      resize: (rows, cols) => { this.log.resizes.push({ rows, cols }); },
      close: () => close(129),
      exited,
    };
  }

  async neighbors(node: string): Promise<{ node: string; problems: string[]; ospf?: { routerId: string; state: string; iface: string; address: string }[] }> {
    return { node, problems: [], ospf: [{ routerId: '10.0.0.2', state: 'Full/-', iface: 'eth1', address: '10.1.0.1' }] };
  }

  positions(): Positions { return { ...this.saved }; }

  savePositions(p: unknown): Positions { this.saved = { ...this.saved, ...checkPositions(p, 'positions') }; return this.positions(); }

  async exec(node: string, argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    this.log.actions.push(`exec ${node} ${argv.join(' ')}`);
    return { code: 0, stdout: '', stderr: '' };
  }
}

/** A backend with the given labs; `down(name)` makes one go away, `add` brings one. */
export class FakeBackend implements UiBackend {
  readonly labsByName = new Map<string, FakeLab>();
  capture?: UiBackend['capture'];
  /** Set for the teacher's view: the owner of another user's lab key (`alice/lab`). */
  ownerOf?: UiBackend['ownerOf'];

  constructor(...labs: FakeLab[]) { for (const l of labs) this.labsByName.set(l.name, l); }

  labs(): { name: string; owner?: string; readOnly?: boolean }[] { return [...this.labsByName.keys()].sort().map((name) => ({ name })); }

  open(name: string): UiLab {
    const l = this.labsByName.get(name);
    if (!l) throw new UsageError(`lab ${name}`, 'is not running', 'start it: netlab up FILE');
    return l.reopened();
  }

  capabilities(): { capture: boolean; captureWhy?: string } {
    return this.capture ? { capture: true } : { capture: false, captureWhy: 'not in this test' };
  }

  down(name: string): void { this.labsByName.delete(name); }
}

/** The README's demo lab, loaded (pure), under `name`. */
export function demoTopology(name = 't-ui-fake'): Topology {
  const yaml = `
name: ${name}
description: three FRR routers running OSPF, two hosts
defaults: { kind: frr }
ospf: { area: 0 }
nodes: { r1: {}, r2: {}, r3: {}, h1: { kind: linux, gateway: r1 }, h2: { kind: linux, gateway: r3 } }
links:
  - [r1:eth1, r2:eth1]
  - [r2:eth2, r3:eth1]
  - [r3:eth2, r1:eth2]
  - [h1:eth1, r1:eth3]
  - [h2:eth1, r3:eth3]
  - { endpoints: [h1:eth2, h2:eth2, r2:eth3], name: lan1 }
tests:
  - { name: h1 reaches h2, reach: { from: h1, to: h2 } }
`;
  return loadTopology({ text: yaml });
}
