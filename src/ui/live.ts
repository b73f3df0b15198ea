/**
 * The live view of one lab: while at least one page watches it, every second
 * it reads the lab's counters (lab.linkCounters: /proc/PID/net/dev of the
 * nodes, no namespace entered), turns two readings into per-link rates, and
 * sends the state to the watching pages. Daemon health costs an exec per
 * node, so a few nodes are asked per second in turn, each at most every 5 s
 * (and the node whose card a page has open, every second). A lab that goes down is reported once
 * ('gone') and looked for again every second, so the page comes back by
 * itself when the lab is started again.
 *
 * A large lab nobody placed yet is laid out here first (src/ui/layout.ts, in
 * a worker thread), and its positions saved with the lab, so that its first
 * page draws it as every later page does; pages that ask meanwhile get the
 * drawn lab when the layout is in, or after LAYOUT_WAIT_MS without it (the
 * page then lays it out itself, as before).
 */
import { describeShaping, NetlabError, type LinkCounters } from '../index.js';
import type { UiBackend, UiLab } from './backend.js';
import { layoutInThread, type LayoutFn } from './layout.js';
import { needsServerLayout, type Positions } from './layout-plan.js';
import type { LabView, LiveNode, LiveState, ServerMessage } from './protocol.js';
import { counterPlan, labView, liveEdges, liveNodes, type CounterPlan } from './view.js';

/** Something that receives messages (a page's WebSocket). */
export interface Subscriber {
  send(message: ServerMessage): void;
}

/** Options of a LabChannel. */
export interface ChannelOptions {
  /** Between readings, ms; default 1000. */
  intervalMs?: number;
  /** Nodes whose daemon health is read per reading, besides watched ones; default 4. */
  healthPerTick?: number;
  /** Lays a large lab out before pages draw it; default layoutInThread; false: the pages lay it out. */
  layout?: LayoutFn | false;
  /** Longest a page waits for that layout, ms from its start; default LAYOUT_WAIT_MS. */
  layoutWaitMs?: number;
}

/**
 * Longest the drawn lab is held back from pages for the server's layout, ms
 * from the start of the layout; then the pages get it without positions and
 * lay it out themselves (a 1,000-node ring takes 0.3–1.0 s here, a cold thread included).
 */
export const LAYOUT_WAIT_MS = 3000;

/** A node's daemon health is read at most this often, ms, unless a page has its card open. */
export const HEALTH_EVERY_MS = 5000;

/** The error text of a failure to open a lab, as the CLI would print it. */
export function errorText(err: unknown): string {
  if (err instanceof NetlabError) return `${err.headline}${err.hint ? ` (${err.hint})` : ''}`;
  return (err as Error)?.message ?? String(err);
}

/** How old a reading may be and still serve as the base of rates, ms. */
const FRESH_MS = 5000;
/** How old a reading may be and still go to a page with the drawn lab (the next reading follows within a second), ms. */
const SHOWN_MS = 60_000;

/** One lab's live state and the pages that watch it. */
export class LabChannel {
  private lab: UiLab | undefined;
  private view: LabView | undefined;
  /**
   * Which nodes are read, at which end of each edge (counterPlan); made at the
   * first reading, after the drawn lab went out (it took 0.1 s of a cold
   * server at 1,000 nodes, before the first page got its lab).
   */
  private plan: CounterPlan | undefined;
  /** Shaping in effect per endpoint, as text (from the lab's topology, which `link set` keeps current). */
  private shaping = new Map<string, string>();
  private prev: LinkCounters | undefined;
  private readonly subscribers = new Set<Subscriber>();
  /** Nodes with an open card, per subscriber. */
  private readonly watched = new Map<Subscriber, string>();
  private readonly health = new Map<string, LiveNode['daemons']>();
  private healthCursor = 0;
  private readonly healthAt = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private busy = false;
  private goneMessage: string | undefined;
  private last: LiveState | undefined;
  /** The server's layout of the current drawing while it runs; `held`: pages wait for it (LAYOUT_WAIT_MS not over). */
  private laying: { held: boolean } | undefined;
  /**
   * Positions the server laid out, kept besides the lab's saved ones (under
   * them: dragged positions win) — for a lab whose positions cannot be saved
   * by this viewer (another user's, in the teacher's view).
   */
  private laidOut: Positions = {};

  constructor(readonly name: string, private readonly backend: UiBackend, private readonly opts: ChannelOptions = {}) {}

  /** The lab as last opened (undefined while it is down). */
  current(): UiLab | undefined {
    return this.lab;
  }

  /** Adds a page: it gets the drawn lab (or that the lab is down) at once, then live state every second. */
  subscribe(s: Subscriber): void {
    // Opened before `s` is added: what ensureOpen broadcasts is for the other pages; `s` gets the drawn lab once,
    // below (sent twice, a 1,000-node lab was drawn and laid out twice: a second of the page's load).
    this.ensureOpen();
    this.subscribers.add(s);
    // The last reading comes with the drawn lab: sent apart, a page that drew the lab first painted it without
    // its state and restyled it a frame later (a 1,000-node lab's frame takes a second).
    if (this.lab && this.view) {
      // While the server lays the lab out, `s` gets the drawing with the others when the layout is in (or the wait is over).
      if (!this.laying?.held) s.send(this.drawingMessage());
    } else {
      s.send({ type: 'gone', lab: this.name, message: this.goneMessage ?? `lab ${this.name} is not running` });
      if (this.last) s.send({ type: 'live', live: this.last });
    }
    if (!this.timer) {
      this.timer = setInterval(() => { void this.tick(); }, this.opts.intervalMs ?? 1000);
      // The first page sees node and link states now, not a second later (rates need two readings);
      // after this turn of the event loop, so that the drawn lab is on its way first.
      setImmediate(() => { void this.tick(); });
    }
  }

  /**
   * Opens the lab, draws it and plans its counters before any page watches
   * (`netlab ui LAB` at start), so that the first page does not wait for it.
   * Never throws: a lab that is not running is said so to the first page.
   */
  prepare(): void {
    this.ensureOpen();
    if (!this.lab || !this.view) return;
    this.plan ??= counterPlan(this.lab.topology, this.view);
    // One reading now, so that the first page gets node and link states with the drawn lab (and rates with
    // the next reading) instead of a reading of its own after it: 0.5–0.8 s of a 1,000-node lab's first page.
    void this.tick();
  }

  unsubscribe(s: Subscriber): void {
    this.subscribers.delete(s);
    this.watched.delete(s);
    if (!this.subscribers.size) this.stop();
  }

  /** The node whose card `s` has open (its health is read every second), or null. */
  watch(s: Subscriber, node: string | null): void {
    if (node) this.watched.set(s, node);
    else this.watched.delete(s);
  }

  /** Sends to every page watching this lab. */
  broadcast(m: ServerMessage, except?: Subscriber): void {
    for (const s of this.subscribers) if (s !== except) s.send(m);
  }

  /** Stops reading (no page watches, or the server stops). */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.prev = undefined;
  }

  /** Opens the lab when it is not open or changed on disk; tells pages when it went down or came (back). */
  private ensureOpen(): void {
    if (this.lab && !this.lab.stale()) return;
    let lab: UiLab;
    try {
      lab = this.backend.open(this.name);
    } catch (err) {
      const message = errorText(err);
      if (this.lab || this.goneMessage === undefined) {
        this.lab = undefined;
        this.prev = undefined;
        this.goneMessage = message;
        this.broadcast({ type: 'gone', lab: this.name, message });
      }
      return;
    }
    const before = this.view;
    const wasGone = !this.lab;
    this.lab = lab;
    this.goneMessage = undefined;
    this.view = labView(lab.topology);
    this.plan = undefined;
    this.shaping = new Map<string, string>();
    for (const n of lab.topology.nodes) {
      for (const i of n.interfaces) if (i.shaping && Object.keys(i.shaping).length) this.shaping.set(`${n.name}:${i.name}`, describeShaping(i.shaping));
    }
    // A link cut or shaped keeps the drawing; a lab started again with other elements is drawn anew.
    if (wasGone || !before || JSON.stringify(before) !== JSON.stringify(this.view)) {
      this.prev = undefined;
      this.laidOut = {};
      this.laying = undefined; // a layout of the former drawing is dropped (its end does nothing then)
      if (!this.layOut(lab, this.view)) this.broadcast(this.drawingMessage());
    }
  }

  /** Where the lab's elements are drawn: the server's layout under the positions saved with the lab. */
  private positions(lab: UiLab): Positions {
    return { ...this.laidOut, ...lab.positions() };
  }

  /**
   * Starts the server's layout of a large lab with elements not placed yet
   * (needsServerLayout); pages get the drawing when it is in, or after
   * layoutWaitMs without it. Its positions are saved with the lab where
   * none are saved by then (a page's drag or layout is never overwritten).
   * Returns whether it started (the drawing is then held back).
   */
  private layOut(lab: UiLab, view: LabView): boolean {
    const layout = this.opts.layout ?? layoutInThread;
    const saved = lab.positions();
    if (layout === false || !needsServerLayout(view, saved)) return false;
    const laying = { held: true };
    this.laying = laying;
    // Waited long enough: the pages draw the lab on a grid meanwhile (told that its positions are coming).
    const timer = setTimeout(() => {
      if (this.laying !== laying) return;
      laying.held = false;
      this.broadcast(this.drawingMessage());
    }, this.opts.layoutWaitMs ?? LAYOUT_WAIT_MS);
    timer.unref();
    const end = (positions: Positions | undefined): void => {
      clearTimeout(timer);
      if (this.laying !== laying) return; // the lab was drawn anew meanwhile
      this.laying = undefined;
      if (positions) {
        const now = lab.positions();
        const fresh: Positions = {};
        for (const [id, p] of Object.entries(positions)) if (!now[id]) fresh[id] = p;
        this.laidOut = { ...this.laidOut, ...fresh };
        try { lab.savePositions(fresh); } catch { /* another user's lab: kept in memory for this server's pages */ }
      }
      if (!this.lab) return;
      // Pages still waiting get the drawing; pages drawing the grid get the positions (or, when the layout
      // failed, the drawing again without them: they lay it out themselves).
      if (laying.held || !positions) this.broadcast(this.drawingMessage());
      else this.broadcast({ type: 'positions', lab: this.name, positions: this.positions(this.lab) });
    };
    layout(view, saved).then(end, () => end(undefined));
    return true;
  }

  /** The drawn lab for pages: where its elements are, the last reading (when fresh), whether the server still lays it out. */
  private drawingMessage(): ServerMessage {
    const last = this.last && Date.now() - Date.parse(this.last.at) <= SHOWN_MS ? this.last : undefined;
    return {
      type: 'topology', lab: this.name, view: this.view!, positions: this.positions(this.lab!),
      ...(last ? { live: last } : {}), ...(this.laying ? { layingOut: true } : {}),
    };
  }

  /** One reading: counters, rates, node states, a few nodes' health; sent to every page. */
  async tick(): Promise<void> {
    if (this.busy) return; // a slow reading is not stacked on itself
    this.busy = true;
    try {
      this.ensureOpen();
      const lab = this.lab, view = this.view;
      if (!lab || !view) return;
      const plan = this.plan ??= counterPlan(lab.topology, view);
      const now = await lab.linkCounters(plan.nodes);
      // Rates over a gap of more than a few seconds (the reading `prepare` made before any page came) are no rates.
      if (this.prev && now.atMs - this.prev.atMs > FRESH_MS) this.prev = undefined;
      const t = lab.topology;
      const nodes = liveNodes(t, now, new Set(now.paused));
      const edges = liveEdges(t, view, this.prev, now, (e) => this.shaping.get(e), plan.readAt);
      this.prev = now;
      await this.readHealth(lab, nodes);
      for (const [name, n] of Object.entries(nodes)) {
        const h = this.health.get(name);
        if (h && n.state !== 'dead') n.daemons = h;
      }
      this.last = { lab: this.name, at: new Date(now.atMs).toISOString(), nodes, edges };
      this.broadcast({ type: 'live', live: this.last });
    } catch (err) {
      // The lab went down between the check and the reading: next tick says so.
      if (!this.lab?.stale()) this.broadcast({ type: 'gone', lab: this.name, message: errorText(err) });
    } finally {
      this.busy = false;
    }
  }

  /** Reads the health of the watched nodes and of the next few running nodes in turn. */
  private async readHealth(lab: UiLab, nodes: Record<string, LiveNode>): Promise<void> {
    const running = lab.topology.nodes.filter((n) => nodes[n.name]?.state === 'running').map((n) => n.name);
    if (!running.length) return;
    const pick = new Set([...this.watched.values()].filter((n) => nodes[n]?.state === 'running'));
    const perTick = Math.min(running.length, this.opts.healthPerTick ?? 4);
    const now = Date.now();
    for (let i = 0; i < perTick; i++) {
      const n = running[(this.healthCursor + i) % running.length]!;
      if (now - (this.healthAt.get(n) ?? 0) >= HEALTH_EVERY_MS) pick.add(n);
    }
    this.healthCursor = (this.healthCursor + perTick) % running.length;
    await Promise.all([...pick].map(async (n) => {
      this.healthAt.set(n, now);
      try { this.health.set(n, await lab.health(n)); } catch { /* the node died meanwhile: the next reading shows it */ }
    }));
  }
}
