/**
 * The topology drawing: cytoscape.js renders it (canvas, so 1,000 nodes stay
 * fluid), cytoscape-fcose lays it out (a maintained force-directed layout
 * with spectral initialisation; no hand-written layout). Positions dragged by
 * anyone are saved on the server and kept; only elements without a saved
 * position are laid out, the saved ones held fixed.
 */
import cytoscape, { type Core, type EdgeSingular, type ElementDefinition, type NodeSingular } from 'cytoscape';
// @ts-expect-error cytoscape-fcose ships no types
import fcose from 'cytoscape-fcose';
import type { LabView, LiveState, ViewEdge, ViewNode } from '../protocol.js';
import { shortBps } from './format.js';
import { fcoseOptions, LARGE_LAB_OVER, layoutRequest, NODE_BOX, type LayoutReply } from '../layout-plan.js';

/**
 * Labs with more drawn nodes than this are laid out in a Web Worker, drawn on
 * a grid meanwhile — when the server has not laid them out already (it does
 * before their first page: src/ui/live.ts), and for "re-layout".
 */
export const WORKER_LAYOUT_OVER = LARGE_LAB_OVER;

cytoscape.use(fcose as cytoscape.Ext);

type Positions = Record<string, { x: number; y: number }>;

/** What the drawing tells the page. */
export interface GraphEvents {
  select(sel: { type: 'node' | 'edge'; id: string } | null): void;
  open(node: string): void;
  moved(positions: Positions): void;
  hover(text: string | null, x: number, y: number): void;
  /** A layout ended (the first drawing of elements without positions, or "re-layout"): every position now. */
  laidOut(positions: Positions): void;
}

const STYLE: cytoscape.StylesheetJson = [
  { selector: 'node', style: { 'background-color': '#2d6cdf', width: 34, height: 34, 'border-width': 2, 'border-color': '#ffffff' } },
  // A large lab waiting on its grid for its layout has no label data yet: unreadable at that zoom, and
  // styling and measuring 1,000 labels was a third of its first frame here (Graph.setView).
  { selector: 'node[label]', style: {
    label: 'data(label)', 'font-size': 12, 'text-valign': 'bottom', 'text-margin-y': 4, color: '#1d2330',
    'text-background-color': '#f6f7f9', 'text-background-opacity': 0.8, 'text-background-padding': '1px',
    'min-zoomed-font-size': 7,
  } },
  { selector: 'node[kind = "frr"], node[kind = "bird"]', style: { shape: 'ellipse', 'background-color': '#2d6cdf' } },
  { selector: 'node[kind = "linux"]', style: { shape: 'round-rectangle', 'background-color': '#3c8d5b', width: 30, height: 26 } },
  { selector: 'node[kind = "bridge"]', style: { shape: 'diamond', 'background-color': '#8a93a6' } },
  { selector: 'node[type = "segment"]', style: { shape: 'diamond', 'background-color': '#8a93a6', width: 22, height: 22, 'font-size': 11 } },
  { selector: 'node[type = "host"]', style: { shape: 'barrel', 'background-color': '#4b5466', width: 44, height: 30 } },
  { selector: 'node.dead', style: { 'background-color': '#c9ccd3', 'border-color': '#d64545', 'border-width': 3 } },
  { selector: 'node.paused', style: { 'border-color': '#6c5fc7', 'border-width': 3, 'border-style': 'dashed' } },
  { selector: 'node.sick', style: { 'border-color': '#d08a12', 'border-width': 3 } },
  { selector: 'node:selected', style: { 'overlay-color': '#2d6cdf', 'overlay-opacity': 0.18, 'overlay-padding': 6 } },
  // The number near a node's end of a link is what that node sends into it, bits/s.
  { selector: 'edge', style: {
    width: 'data(width)', 'line-color': '#2f9e62', 'curve-style': 'bezier', 'font-size': 10, color: '#4a5264',
    'source-label': 'data(aRate)', 'target-label': 'data(bRate)', 'source-text-offset': 30, 'target-text-offset': 30,
    'text-background-color': '#f6f7f9', 'text-background-opacity': 0.85, 'text-background-padding': '1px', 'min-zoomed-font-size': 8,
  } },
  // A large lab's links between two nodes that have no other link between them: straight lines from centre to
  // centre (cytoscape's "haystack" edges), whose drawing skips the control points of bezier edges (a seventh of
  // a 1,000-node lab's first frame here). Parallel links keep their bezier curves, apart from each other.
  { selector: 'edge[?straight]', style: { 'curve-style': 'haystack', 'haystack-radius': 0 } },
  { selector: 'edge.down', style: { 'line-color': '#d64545', 'line-style': 'dashed', 'line-dash-pattern': [6, 4], label: 'cut', color: '#d64545' } },
  { selector: 'edge.hovered', style: { 'source-label': 'data(aLabel)', 'target-label': 'data(bLabel)', 'source-text-offset': 40, 'target-text-offset': 40 } },
  { selector: 'edge:selected', style: { 'overlay-color': '#2d6cdf', 'overlay-opacity': 0.2, 'overlay-padding': 5 } },
];

/** Zoom at which a node's name is drawn (STYLE: font-size 12, min-zoomed-font-size 7). */
const LABEL_ZOOM = 7 / 12;

/** Distance between nodes on the grid a large lab waits on for its layout (model units). */
const GRID_STEP = 60;

/**
 * Where a large lab's nodes wait for their layout (pure): `ids` in rows on a
 * square grid, GRID_STEP apart, from (0, 0). Given with the elements when they
 * are added, it costs nothing; cytoscape's grid layout measured every node's
 * label first (0.5 s at 1,000 nodes here).
 */
export function gridPositions(ids: readonly string[]): Positions {
  const cols = Math.max(1, Math.ceil(Math.sqrt(ids.length)));
  const out: Positions = {};
  ids.forEach((id, i) => { out[id] = { x: (i % cols) * GRID_STEP, y: Math.floor(i / cols) * GRID_STEP }; });
  return out;
}

/** The unordered pair of a link's ends (pure). */
function pairKey(e: Pick<ViewEdge, 'source' | 'target'>): string {
  return e.source < e.target ? `${e.source}\u0000${e.target}` : `${e.target}\u0000${e.source}`;
}

/** How many links join each pair of drawn elements (pure). */
function linksPerPair(edges: readonly Pick<ViewEdge, 'source' | 'target'>[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const e of edges) { const k = pairKey(e); out.set(k, (out.get(k) ?? 0) + 1); }
  return out;
}

function nodeTip(n: ViewNode): string {
  const lines = [`${n.label}  (${n.kind})`];
  if (n.loopback?.ipv4 || n.loopback?.ipv6) lines.push(`lo ${[n.loopback.ipv4, n.loopback.ipv6].filter(Boolean).join(' ')}`);
  for (const i of n.interfaces ?? []) lines.push(`${i.iface.padEnd(8)} ${[i.ipv4, i.ipv6].filter(Boolean).join(' ')}`);
  return lines.join('\n');
}

/** Adds or removes a class only when it changes (a change restyles the element). */
function setClass(el: cytoscape.SingularElementReturnValue, c: string, on: boolean): void {
  if (el.hasClass(c) !== on) el.toggleClass(c, on);
}

function edgeTip(e: ViewEdge): string {
  const end = (x: ViewEdge['a'] | undefined): string => (x ? `${x.endpoint}  ${[x.ipv4, x.ipv6].filter(Boolean).join(' ')}` : '');
  const lines = [end(e.a), e.b ? end(e.b) : `LAN ${e.name ?? e.target.replace(/^lan:/, '')}`];
  if (e.name && e.b) lines.push(`link ${e.name}`);
  return lines.filter(Boolean).join('\n');
}

/** The drawing of one lab. */
export class Graph {
  readonly cy: Core;
  private view: LabView | undefined;
  /** When the last layout finished, ms (performance.now()). */
  laidOutAt = 0;
  /** When the links were drawn (a large lab's come after its nodes), ms (performance.now()). */
  linksAt = 0;
  /** The worker that lays out large labs (made at the first one). */
  private worker: Worker | undefined;
  private layoutId = 0;
  /** The drawn elements by id: a live reading touches every one each second, and getElementById makes a collection per call. */
  private byId = new Map<string, cytoscape.SingularElementReturnValue>();
  /**
   * A large lab's links while it waits for its layout: added when the layout
   * is in (on the waiting grid they only cross each other), so the first frame
   * styles and measures the nodes alone (1,000 edges were about half of a
   * 1,000-node lab's first frame here).
   */
  private pendingEdges: ElementDefinition[] = [];
  /** A large lab waits on its grid for the server's layout (setView with serverLays): its positions come to place(). */
  private awaitingServer = false;
  /** A large lab's nodes whose names are not given yet (labelsInView). */
  private unnamed: cytoscape.NodeSingular[] = [];
  /** The last live reading, applied again to links added later. */
  private live: LiveState | undefined;

  constructor(container: HTMLElement, private readonly events: GraphEvents) {
    this.cy = cytoscape({
      // A 1,000-node lab fits the window only far below 5 %: fit must be able to show all of it.
      container, style: STYLE, minZoom: 0.002, maxZoom: 4,
      boxSelectionEnabled: false, textureOnViewport: true, hideEdgesOnViewport: false, pixelRatio: 1,
    });
    const cy = this.cy;
    cy.on('tap', (e) => { if (e.target === cy) events.select(null); });
    cy.on('tap', 'node', (e) => events.select({ type: 'node', id: (e.target as NodeSingular).id() }));
    cy.on('tap', 'edge', (e) => events.select({ type: 'edge', id: (e.target as EdgeSingular).id() }));
    cy.on('dbltap', 'node[type = "node"]', (e) => events.open((e.target as NodeSingular).id()));
    cy.on('dragfree', 'node', () => {
      const p: Positions = {};
      cy.nodes(':grabbable').forEach((n) => { if (n.scratch('_moved')) { p[n.id()] = { ...n.position() }; n.removeScratch('_moved'); } });
      if (Object.keys(p).length) events.moved(p);
    });
    cy.on('drag', 'node', (e) => { (e.target as NodeSingular).scratch('_moved', true); });
    cy.on('mouseover', 'node, edge', (e) => {
      const el = e.target as NodeSingular | EdgeSingular;
      if (el.isEdge()) el.addClass('hovered');
      const pos = e.renderedPosition ?? { x: 0, y: 0 };
      events.hover(el.data('tip') as string, pos.x, pos.y);
    });
    cy.on('mouseout', 'node, edge', (e) => {
      (e.target as NodeSingular | EdgeSingular).removeClass('hovered');
      events.hover(null, 0, 0);
    });
  }

  /**
   * Draws `view`; elements with a saved position keep it, the others are laid
   * out — or, with `serverLays` (the server is laying the lab out), wait on
   * the grid for the server's positions (place). Returns whether a layout ran.
   */
  setView(view: LabView, positions: Positions, serverLays = false): boolean {
    this.view = view;
    this.awaitingServer = false;
    const els: ElementDefinition[] = [];
    const edgeEls: ElementDefinition[] = [];
    const missing = view.nodes.filter((n) => !positions[n.id]);
    // A large lab waits for its layout (in the worker) on a grid, placed as its elements are added, its links added with the layout.
    const inWorker = view.nodes.length > WORKER_LAYOUT_OVER && typeof Worker !== 'undefined';
    const waiting = inWorker ? gridPositions(missing.map((n) => n.id)) : {};
    // A large lab's links are added after its nodes: when its layout is in, or, laid out already (by the server),
    // a frame later, so that the first frame styles, measures and draws the nodes alone (1,000 links were about
    // half of a 1,000-node lab's first frame here, in a browser whose JavaScript is still cold).
    const deferEdges = inWorker;
    // A large lab's names wait until the view is zoomed in far enough to draw them (labelsInView).
    const large = view.nodes.length > WORKER_LAYOUT_OVER;
    for (const n of view.nodes) {
      const p = positions[n.id] ?? waiting[n.id];
      const data = { id: n.id, kind: n.kind, type: n.type, tip: nodeTip(n), ...(large ? { waitingLabel: n.label } : { label: n.label }) };
      els.push({ group: 'nodes', data, ...(p ? { position: { ...p } } : {}) });
    }
    const pairs = large ? linksPerPair(view.edges) : undefined;
    for (const e of view.edges) {
      edgeEls.push({ group: 'edges', data: {
        id: e.id, source: e.source, target: e.target, width: 2, aRate: '', bRate: '', tip: edgeTip(e),
        ...(pairs && pairs.get(pairKey(e)) === 1 ? { straight: true } : {}),
        aLabel: `${e.a.iface}${e.a.ipv4 ? ` ${e.a.ipv4}` : ''}`, bLabel: e.b && e.b.node !== 'host' ? `${e.b.iface}${e.b.ipv4 ? ` ${e.b.ipv4}` : ''}` : e.b ? e.b.iface : '',
      } });
    }
    this.pendingEdges = deferEdges ? edgeEls : [];
    this.cy.batch(() => {
      this.cy.elements().remove();
      this.cy.add(deferEdges ? els : els.concat(edgeEls));
    });
    this.byId = new Map();
    this.cy.elements().forEach((el) => { this.byId.set(el.id(), el); });
    this.unnamed = large ? this.cy.nodes().toArray() : [];
    if (this.live && this.live.lab !== view.lab) this.live = undefined;
    if (missing.length === 0) {
      if (large) this.fitPositions(this.positions()); else this.cy.fit(undefined, 30);
      this.labelsInView();
      // After the first frame, and after what waited for it (a click, the page's own mark of that frame).
      if (deferEdges) requestAnimationFrame(() => setTimeout(() => setTimeout(() => { this.addPendingEdges(); })));
      else this.linksAt = performance.now();
      this.laidOutAt = performance.now();
      return false;
    }
    this.awaitingServer = inWorker && serverLays;
    if (this.awaitingServer) {
      this.fitGrid(missing.length);
      return false;
    }
    this.layout(positions, missing.length);
    return true;
  }

  /**
   * Lays the graph out, holding `fixed` positions where they are. A large lab
   * is first put on a grid (the page answers at once) and laid out in a Web
   * Worker; its positions arrive when it is done. `placed`: that many nodes
   * (those not in `fixed`) are on the grid already (setView put them there).
   */
  layout(fixed: Positions = {}, placed = 0): void {
    this.awaitingServer = false; // "re-layout" while the server's positions are awaited: this layout wins
    const n = this.cy.nodes().length;
    const fixedNodeConstraint = Object.entries(fixed).filter(([id]) => this.cy.getElementById(id).nonempty()).map(([nodeId, position]) => ({ nodeId, position }));
    // Large labs: the spectral step alone places a 1,000-node graph in well under a second.
    const options = fcoseOptions(n) as { idealEdgeLength: number; nodeRepulsion: number };
    const done = (): void => {
      this.laidOutAt = performance.now();
      this.events.laidOut(this.positions());
    };
    if (n > WORKER_LAYOUT_OVER && typeof Worker !== 'undefined') {
      const id = ++this.layoutId;
      const held = new Set(fixedNodeConstraint.map((f) => f.nodeId));
      if (!placed) {
        const free = this.cy.nodes().filter((x) => !held.has(x.id()));
        const grid = gridPositions(free.map((x) => x.id()));
        this.cy.batch(() => { free.forEach((x) => { x.position(grid[x.id()]!); }); });
        placed = free.length;
      }
      if (held.size) this.cy.fit(undefined, 30); else this.fitGrid(placed);
      this.worker ??= new Worker('/assets/layout.js');
      // One size for all (the largest node's): asking each node's width would compute every style now, before the first frame.
      const request = layoutRequest(this.view ?? { nodes: [], edges: [] }, Object.fromEntries(fixedNodeConstraint.map((f) => [f.nodeId, f.position])), id);
      this.worker.onmessage = (e: MessageEvent<LayoutReply>) => {
        if (e.data.id !== this.layoutId) return; // a newer layout was asked for
        const p = e.data.positions ?? {};
        this.cy.batch(() => { this.cy.nodes().forEach((x) => { const q = p[x.id()]; if (q && !x.grabbed()) x.position(q); }); });
        this.addPendingEdges();
        this.fitPositions(this.positions());
        done();
      };
      // A worker that cannot run (its script did not load) leaves the lab on its grid, with its links.
      this.worker.onerror = () => { this.addPendingEdges(); };
      this.worker.postMessage(request);
      return;
    }
    const l = this.cy.layout({
      name: 'fcose', ...options, animate: false, fit: true,
      idealEdgeLength: () => options.idealEdgeLength, nodeRepulsion: () => options.nodeRepulsion,
      ...(fixedNodeConstraint.length ? { fixedNodeConstraint } : {}),
    } as cytoscape.LayoutOptions);
    l.one('layoutstop', done);
    l.run();
  }

  /** Adds the links a large lab held back while it waited for its layout, in their last live state. */
  private addPendingEdges(): void {
    if (!this.pendingEdges.length) return;
    let added!: cytoscape.CollectionReturnValue;
    this.cy.batch(() => { added = this.cy.add(this.pendingEdges); });
    this.pendingEdges = [];
    this.linksAt = performance.now();
    added.forEach((el) => { this.byId.set(el.id(), el); });
    if (this.live) this.applyLive(this.live);
    this.labelsInView();
  }

  /**
   * Gives a large lab's nodes their names once the view is zoomed in far
   * enough for cytoscape to draw them (STYLE: 12 px names, not drawn below
   * 7 px on screen), and only those in view (and a margin), more as the view
   * moves: fitted, a 1,000-node lab is far below that zoom, and styling and
   * measuring 1,000 names was a third of its first frame here (and, all at
   * once, most of the first zoom-in).
   */
  private labelsInView(): void {
    const cy = this.cy;
    cy.off('viewport', this.onViewport);
    if (!this.unnamed.length) return;
    cy.on('viewport', this.onViewport);
    if (this.pendingEdges.length || cy.zoom() < LABEL_ZOOM) return;
    const e = cy.extent(), m = 2 * NODE_BOX;
    const show: cytoscape.NodeSingular[] = [], keep: cytoscape.NodeSingular[] = [];
    for (const n of this.unnamed) {
      const p = n.position();
      (p.x >= e.x1 - m && p.x <= e.x2 + m && p.y >= e.y1 - m && p.y <= e.y2 + m ? show : keep).push(n);
    }
    this.unnamed = keep;
    if (show.length) cy.batch(() => { for (const n of show) { n.data('label', n.data('waitingLabel')); n.removeData('waitingLabel'); } });
    if (!keep.length) cy.off('viewport', this.onViewport);
  }

  private readonly onViewport = (): void => { this.labelsInView(); };

  /**
   * Shows every position in `positions` whole (a large lab laid out before it
   * is drawn): the view set by arithmetic from the positions, not cy.fit(),
   * which computes every element's style and label box first.
   */
  private fitPositions(positions: Positions): void {
    let x1 = Infinity, y1 = Infinity, x2 = -Infinity, y2 = -Infinity;
    for (const p of Object.values(positions)) {
      if (p.x < x1) x1 = p.x;
      if (p.x > x2) x2 = p.x;
      if (p.y < y1) y1 = p.y;
      if (p.y > y2) y2 = p.y;
    }
    if (x1 > x2) return;
    // 30 px around, as cy.fit(undefined, 30); every node's box (NODE_BOX at most) inside.
    const w = this.cy.width(), h = this.cy.height();
    const zoom = Math.max(this.cy.minZoom(), Math.min(this.cy.maxZoom(), (w - 60) / (x2 - x1 + NODE_BOX), (h - 60) / (y2 - y1 + NODE_BOX)));
    this.cy.viewport({ zoom, pan: { x: w / 2 - ((x1 + x2) / 2) * zoom, y: h / 2 - ((y1 + y2) / 2) * zoom } });
  }

  /**
   * Shows the square grid of `count` nodes (gridPositions) whole: where a
   * large lab waits for its layout. Computed, not cy.fit(), which measures
   * every node's and edge's label first (0.3 s of a 1,000-node lab's first page here).
   */
  private fitGrid(count: number): void {
    const cols = Math.max(1, Math.ceil(Math.sqrt(count))), rows = Math.max(1, Math.ceil(count / cols));
    const w = this.cy.width(), h = this.cy.height();
    const spanX = (cols - 1) * GRID_STEP, spanY = (rows - 1) * GRID_STEP;
    const zoom = Math.max(this.cy.minZoom(), Math.min(this.cy.maxZoom(), (w - 60) / (spanX + GRID_STEP), (h - 60) / (spanY + GRID_STEP)));
    this.cy.viewport({ zoom, pan: { x: (w - spanX * zoom) / 2, y: (h - spanY * zoom) / 2 } });
  }

  /** Moves elements to positions another page saved, or the server laid out (then the links a large lab held back are added). */
  place(positions: Positions): void {
    this.cy.batch(() => {
      for (const [id, p] of Object.entries(positions)) {
        const n = this.byId.get(id);
        if (n && n.isNode() && !n.grabbed()) n.position(p);
      }
    });
    if (!this.awaitingServer) return;
    this.awaitingServer = false;
    this.addPendingEdges();
    this.fitPositions(this.positions());
    this.laidOutAt = performance.now(); // saved by the server: not sent back (laidOut)
  }

  /** Every element's position now. */
  positions(): Positions {
    const p: Positions = {};
    this.cy.nodes().forEach((n) => { p[n.id()] = { ...n.position() }; });
    return p;
  }

  /** Colours, widths and rate labels from a live reading. */
  applyLive(live: LiveState): void {
    this.live = live;
    this.cy.batch(() => {
      for (const [id, n] of Object.entries(live.nodes)) {
        const el = this.byId.get(id);
        if (!el) continue;
        setClass(el, 'dead', n.state === 'dead');
        setClass(el, 'paused', n.state === 'paused');
        setClass(el, 'sick', n.state === 'running' && !!n.daemons?.some((d) => !d.running));
      }
      for (const [id, e] of Object.entries(live.edges)) {
        const el = this.byId.get(id);
        if (!el) continue;
        setClass(el, 'down', e.state === 'down');
        const top = Math.max(e.abBps ?? 0, e.baBps ?? 0);
        const width = 2 + Math.min(6, Math.log10(top / 1000 + 1) * 1.5);
        const aRate = (e.abBps ?? 0) >= 1 ? shortBps(e.abBps) : '';
        const bRate = (e.baBps ?? 0) >= 1 ? shortBps(e.baBps) : '';
        if (el.data('aRate') !== aRate) el.data('aRate', aRate);
        if (el.data('bRate') !== bRate) el.data('bRate', bRate);
        if (Math.abs((el.data('width') as number) - width) > 0.1) el.data('width', width);
      }
    });
  }

  select(sel: { type: 'node' | 'edge'; id: string } | null): void {
    this.cy.elements(':selected').unselect();
    if (sel) this.cy.getElementById(sel.id).select();
  }

  fit(): void {
    this.cy.fit(undefined, 30);
  }

  /** Where an element is drawn on the page (for tests and tooltips), or undefined. */
  screenPoint(id: string): { x: number; y: number } | undefined {
    const el = this.cy.getElementById(id);
    if (el.empty()) return undefined;
    const box = this.cy.container()!.getBoundingClientRect();
    let p = el.isEdge() ? (el as EdgeSingular).renderedMidpoint() : (el as NodeSingular).renderedPosition();
    if (el.isEdge()) {
      // A point of the edge that no node covers (a node may sit on the midpoint): a click there selects the edge.
      const e = el as EdgeSingular;
      const a = e.source().renderedPosition(), b = e.target().renderedPosition();
      const boxes = this.cy.nodes().map((n) => n.renderedBoundingBox({ includeLabels: true }));
      const free = [0.5, 0.4, 0.6, 0.3, 0.7, 0.25, 0.75].map((f) => ({ x: a.x + (b.x - a.x) * f, y: a.y + (b.y - a.y) * f }))
        .find((q) => !boxes.some((r) => q.x >= r.x1 && q.x <= r.x2 && q.y >= r.y1 && q.y <= r.y2));
      if (free) p = free;
    }
    return { x: box.left + p.x, y: box.top + p.y };
  }

  get current(): LabView | undefined {
    return this.view;
  }
}
