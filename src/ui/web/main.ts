/**
 * netlab ui, the page: one live WebSocket brings the lab list, the drawn lab
 * and its state every second; the drawing (graph.ts), the card beside it
 * (cards.ts), the terminals (terminals.ts) and the tests panel follow it.
 * When the lab goes down the page says so and keeps what it showed; when the
 * server goes away it reconnects.
 */
import '@xterm/xterm/css/xterm.css';
import './style.css';
import type { Capabilities, LabSummary, LabView, LiveState, LiveTest, ServerMessage } from '../protocol.js';
import { api, edgeCard, nodeCard, otherCard, refreshEdgeCard, setActAs, type CardContext } from './cards.js';
import { esc } from './format.js';
import { Graph } from './graph.js';
import { PacketList } from './packets.js';
import { Terminals } from './terminals.js';
import type { EarlySocket } from './boot.js';

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => document.getElementById(id) as T;

interface PageState {
  labs: LabSummary[];
  caps: Capabilities;
  lab?: string;
  view?: LabView;
  live?: LiveState;
  gone?: string;
  selected: { type: 'node' | 'edge'; id: string } | null;
  tests?: { runId: number; state: 'running' | 'done'; results: LiveTest[]; summary?: string };
  connected: boolean;
  /** The teacher's view: root ticked "act on OWNER's lab" for the lab shown (cleared when another lab is shown). */
  acting: boolean;
}

const state: PageState = { labs: [], caps: { capture: false }, selected: null, connected: false, acting: false };
let ws: WebSocket | undefined;
/** The lab boot.js already subscribed to (main.ts then does not ask again: the server would send the drawn lab twice). */
let subscribedEarly: string | undefined;
let stopCard: () => void = () => { /* no card */ };
let cardKey = '';

const graph = new Graph($('graph'), {
  select: (sel) => { state.selected = sel; graph.select(sel); renderCard(true); watch(); },
  open: (node) => openTerminal(node),
  moved: (positions) => {
    if (!state.lab || shown()?.readOnly) return; // another user's lab: the drawing is theirs
    api('PUT', `/api/labs/${encodeURIComponent(state.lab)}/positions`, positions).catch((err: Error) => banner(`positions not saved: ${err.message}`));
  },
  laidOut: (positions) => {
    // The layout is saved with the lab: the next page (a reload, the projector, a student's laptop) draws
    // the same picture at once, without laying out again (fcose takes most of a second at 1,000 nodes).
    if (state.lab && canAct() && !shown()?.readOnly) api('PUT', `/api/labs/${encodeURIComponent(state.lab)}/positions`, positions).catch(() => { /* the next page lays out again */ });
  },
  hover: (text, x, y) => {
    const tip = $('tooltip');
    if (!text) { tip.hidden = true; return; }
    tip.textContent = text;
    tip.style.left = `${x + 14}px`;
    tip.style.top = `${y + 10}px`;
    tip.hidden = false;
  },
});
const terminals = new Terminals($('terms'), () => { $('term-count').textContent = terminals.open.length ? `(${terminals.open.length})` : ''; });

const packets = new PacketList($('packets'), () => {
  const running = packets.list().filter((c) => c.state === 'running').length;
  $('packet-count').textContent = running ? `(${running} live)` : '';
});

/**
 * When the page got the drawn lab, drew it, painted its first frame (`frameAt`: cytoscape styles and
 * measures every element then) and applied live readings (performance.now(), ms), for the benchmark.
 */
const perf = { scriptAt: performance.now(), helloAt: 0, topologyAt: 0, drawnAt: 0, frameAt: 0, firstLiveAt: 0, applyLiveMs: [] as number[] };

/** For the browser tests and the benchmark: what the page shows, without scraping a canvas. */
(window as unknown as { netlabUi: unknown }).netlabUi = { graph, terminals, packets, state, perf, cy: graph.cy };

function banner(text: string | null): void {
  const b = $('banner');
  b.hidden = !text;
  b.textContent = text ?? '';
}

/** The lab shown, as the lab list has it. */
function shown(): LabSummary | undefined {
  return state.labs.find((l) => l.name === state.lab);
}

/** Actions are on: connected, the lab runs, and it is the viewer's own — or root ticked "act on …'s lab". */
function canAct(): boolean {
  return state.connected && !state.gone && (!shown()?.readOnly || state.acting);
}

/** Sets whether root acts on the shown (another user's) lab; the server checks it on every request. */
function setActing(on: boolean): void {
  state.acting = on;
  setActAs(on ? shown()?.owner : undefined);
  const box = $<HTMLInputElement>('act');
  box.checked = on;
  renderHeader();
  renderCard(true);
}

function openTerminal(node: string): void {
  if (!state.lab || shown()?.readOnly) return; // another user's lab: no terminal from the teacher's view
  showTab('terms');
  terminals.add(state.lab, node);
}

function context(): CardContext | undefined {
  if (!state.lab || !state.view) return undefined;
  return { lab: state.lab, view: state.view, live: state.live, caps: state.caps, canAct: canAct(), others: !!shown()?.readOnly, openTerminal, showPackets: () => showTab('packets') };
}

/** Draws the card of the selection; `force` redraws a link card's form too (else only its numbers change). */
function renderCard(force: boolean): void {
  const el = $('card');
  const ctx = context();
  const sel = state.selected;
  const key = `${state.lab}|${sel?.type}|${sel?.id}|${canAct()}`;
  if (!ctx || !sel) {
    stopCard(); stopCard = () => { /* none */ }; cardKey = '';
    el.innerHTML = state.view ? '<p class="muted">Click a node or a link. Double-click a node for a terminal.</p>' : '';
    return;
  }
  if (sel.type === 'edge') {
    const e = ctx.view.edges.find((x) => x.id === sel.id);
    if (!e) return;
    if (!force && key === cardKey && state.live) { refreshEdgeCard(el, e, state.live); return; }
    stopCard(); stopCard = () => { /* none */ };
    edgeCard(el, e, ctx, () => { /* the live message shows the result */ });
  } else {
    const n = ctx.view.nodes.find((x) => x.id === sel.id);
    if (!n) return;
    // A node card is redrawn when its state or daemons change (it has no form to keep).
    const liveKey = JSON.stringify(state.live?.nodes[n.id] ?? null);
    if (!force && key === cardKey && el.dataset.live === liveKey) return;
    el.dataset.live = liveKey;
    if (force || key !== cardKey) { stopCard(); stopCard = () => { /* none */ }; }
    if (n.type === 'node') {
      const neighbors = key === cardKey ? el.querySelector('#neighbors')?.innerHTML : undefined;
      const stop = nodeCard(el, n, ctx);
      if (key !== cardKey || force) stopCard = stop; else stop();
      const box = el.querySelector('#neighbors');
      if (box && neighbors) { box.innerHTML = neighbors; box.className = ''; }
    } else {
      otherCard(el, n, ctx);
    }
  }
  cardKey = key;
}

function renderTests(): void {
  const pane = $('tests');
  const tests = state.view?.tests ?? [];
  if (!tests.length) { pane.innerHTML = '<p class="muted">This lab has no tests: add a tests: list to its topology (docs/testing.md).</p>'; $('test-count').textContent = ''; return; }
  const byIndex = new Map((state.tests?.results ?? []).map((r) => [r.index, r]));
  const rows = tests.map((t) => {
    const r = byIndex.get(t.index);
    const status = r?.status ?? 'pending';
    const cls = status === 'running' ? 'running-test' : status;
    const seen = r?.status === 'pass' || r?.status === 'fail' || r?.status === 'error' ? `${r.seen ?? ''}${r.status !== 'pass' && r.detail ? `\n${r.detail}` : ''}` : '';
    return `<tr data-index="${t.index}" data-status="${esc(status)}"><td>${t.index + 1}</td><td>${esc(t.name)}</td><td class="muted">${esc(t.kind)} on ${esc(t.node)}</td><td><span class="state ${esc(cls)}">${esc(status)}</span>${r?.durationMs !== undefined && status !== 'running' ? ` <span class="muted">${(r.durationMs / 1000).toFixed(1)} s</span>` : ''}</td><td class="seen">${esc(seen)}</td></tr>`;
  }).join('');
  const summary = state.tests?.summary ? `<div class="summary" id="test-summary">${esc(state.tests.summary)}</div>` : state.tests?.state === 'running' ? '<div class="summary muted">running…</div>' : '<div class="muted summary">Not run yet: press “run tests”.</div>';
  pane.innerHTML = `${summary}<table><tr><th>#</th><th>test</th><th>what</th><th>result</th><th>seen</th></tr>${rows}</table>`;
  const results = state.tests?.results ?? [];
  const passed = results.filter((r) => r.status === 'pass').length;
  $('test-count').textContent = state.tests ? `(${passed}/${tests.length})` : `(${tests.length})`;
}

function renderHeader(): void {
  const sel = $<HTMLSelectElement>('lab-select');
  const names = state.labs.map((l) => l.name);
  if (state.lab && !names.includes(state.lab)) names.push(state.lab);
  const html = names.length ? names.map((n) => {
    const l = state.labs.find((x) => x.name === n);
    const bare = l?.owner && n.startsWith(`${l.owner}/`) ? n.slice(l.owner.length + 1) : n;
    return `<option value="${esc(n)}">${esc(l?.owner ? `${l.owner}: ${bare}` : n)}${l?.readOnly ? ' (read-only)' : ''}${l ? '' : ' (not running)'}</option>`;
  }).join('') : '<option value="">no lab is running</option>';
  if (sel.innerHTML !== html) sel.innerHTML = html;
  sel.value = state.lab ?? '';
  const pill = $('lab-state');
  pill.className = `pill ${!state.connected ? '' : state.gone ? 'gone' : state.lab ? 'live' : ''}`;
  pill.textContent = !state.connected ? 'server unreachable' : state.gone ? 'not running' : state.lab ? 'live' : 'idle';
  $('lab-desc').textContent = state.view?.description ?? '';
  $<HTMLButtonElement>('run-tests').disabled = !canAct() || !!shown()?.readOnly || !state.view?.tests.length || state.tests?.state === 'running';
  const owned = shown();
  $('act-wrap').hidden = !owned?.readOnly;
  $('act-label').textContent = owned?.readOnly ? `act on ${owned.owner}'s lab` : '';
  $('owner').textContent = owned?.owner ? `owner ${owned.owner}${owned.readOnly && !state.acting ? ' · read-only' : owned.readOnly ? ' · root acts' : ''}` : '';
  if (!state.connected) banner('The netlab ui server does not answer (stopped?). Reconnecting… The labs keep running either way.');
  else if (state.gone) banner(`${state.gone}. The page shows the lab as it was last seen; it comes back by itself when the lab runs again.`);
  else if (!state.labs.length && !state.lab) banner('No lab is running. Start one (netlab up FILE); it appears here by itself.');
  else banner(null);
}

function subscribe(lab: string | undefined): void {
  if (lab === state.lab && state.view) return;
  state.lab = lab;
  state.view = undefined;
  state.live = undefined;
  state.gone = undefined;
  state.tests = undefined;
  state.selected = null;
  state.acting = false; // acting is for one lab, ticked again for another
  setActAs(undefined);
  $<HTMLInputElement>('act').checked = false;
  packets.reset(lab);
  if (lab) {
    history.replaceState(null, '', `#lab=${encodeURIComponent(lab)}`);
    if (subscribedEarly === lab) subscribedEarly = undefined;
    else ws?.send(JSON.stringify({ type: 'subscribe', lab }));
  }
  renderHeader();
  renderCard(true);
  renderTests();
}

function watch(): void {
  if (!state.lab) return;
  ws?.send(JSON.stringify({ type: 'watch-node', lab: state.lab, node: state.selected?.type === 'node' ? state.selected.id : null }));
}

/** Shows a live reading of the lab shown. */
function applyLive(live: LiveState): void {
  state.live = live;
  state.gone = undefined;
  const t0 = performance.now();
  graph.applyLive(live);
  perf.applyLiveMs.push(performance.now() - t0);
  if (perf.applyLiveMs.length > 100) perf.applyLiveMs.shift();
  perf.firstLiveAt ||= performance.now();
}

function onMessage(m: ServerMessage): void {
  switch (m.type) {
    case 'hello': {
      perf.helloAt ||= performance.now();
      state.labs = m.labs;
      state.caps = m.capabilities;
      const fromHash = new URLSearchParams(location.hash.slice(1)).get('lab') ?? undefined;
      const want = state.lab ?? fromHash ?? m.lab ?? (m.labs.length === 1 ? m.labs[0]!.name : undefined);
      state.lab = undefined;
      subscribe(want);
      break;
    }
    case 'labs':
      state.labs = m.labs;
      if (!state.lab && m.labs.length === 1) subscribe(m.labs[0]!.name);
      break;
    case 'topology':
      if (m.lab !== state.lab) return;
      state.view = m.view;
      state.gone = undefined;
      perf.topologyAt = performance.now();
      graph.setView(m.view, m.positions, m.layingOut === true);
      perf.drawnAt = performance.now();
      if (m.live) applyLive(m.live);
      // cytoscape draws in its own animation-frame callback, registered before this one: a task after both is after the frame.
      if (!perf.frameAt) requestAnimationFrame(() => setTimeout(() => { perf.frameAt ||= performance.now(); }));
      if (state.selected && !m.view.nodes.some((n) => n.id === state.selected!.id) && !m.view.edges.some((e) => e.id === state.selected!.id)) state.selected = null;
      renderCard(true);
      renderTests();
      break;
    case 'positions':
      if (m.lab === state.lab) graph.place(m.positions);
      break;
    case 'live':
      if (m.live.lab !== state.lab) return;
      applyLive(m.live);
      renderCard(false);
      break;
    case 'gone':
      if (m.lab !== state.lab) return;
      state.gone = m.message;
      renderCard(true);
      break;
    case 'tests':
      if (m.lab !== state.lab) return;
      state.tests = { runId: m.runId, state: m.state, results: m.results, ...(m.summary ? { summary: m.summary } : {}) };
      renderTests();
      break;
    case 'capture':
      if (m.lab === state.lab) packets.update(m.capture);
      return;
    case 'packets':
      if (m.lab === state.lab) packets.add(m.id, m.rows);
      return;
  }
  renderHeader();
}

/** Connects the live socket: the one boot.js opened (once), else a new one; reconnects when it closes. */
function connect(delayMs = 500): void {
  const g = globalThis as unknown as { netlabEarly?: EarlySocket };
  const early = g.netlabEarly;
  g.netlabEarly = undefined;
  const sock = early?.ws ?? new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws/live`);
  ws = sock;
  const closed = (): void => {
    state.connected = false;
    renderHeader();
    renderCard(true);
    setTimeout(() => connect(Math.min(delayMs * 2, 5000)), delayMs);
  };
  sock.onopen = () => { state.connected = true; delayMs = 500; renderHeader(); };
  sock.onmessage = (ev) => onMessage(JSON.parse(ev.data as string) as ServerMessage);
  sock.onclose = closed;
  if (early) {
    subscribedEarly = early.subscribed;
    if (sock.readyState === WebSocket.OPEN) { state.connected = true; renderHeader(); }
    for (const m of early.queued.splice(0)) onMessage(JSON.parse(m) as ServerMessage);
    // Closed before app.js took it over (the server stopped meanwhile): its close event is gone; reconnect as after one.
    if (sock.readyState === WebSocket.CLOSED) closed();
  }
}

type Tab = 'terms' | 'tests' | 'packets';
function showTab(tab: Tab): void {
  for (const b of document.querySelectorAll<HTMLButtonElement>('#dock-tabs button')) b.classList.toggle('on', b.dataset.tab === tab);
  for (const t of ['terms', 'tests', 'packets'] as const) $(t).hidden = tab !== t;
}

$('lab-select').addEventListener('change', (e) => { const v = (e.target as HTMLSelectElement).value; if (v) subscribe(v); });
$('fit').addEventListener('click', () => graph.fit());
$<HTMLInputElement>('act').addEventListener('change', (e) => {
  const box = e.target as HTMLInputElement;
  const owner = shown()?.owner;
  // Root acts on a student's lab only on purpose: a second, explicit yes.
  if (box.checked && !confirm(`Act as root on ${owner}'s lab ${state.lab}? Cut and restore then change the student's running lab.`)) { box.checked = false; return; }
  setActing(box.checked);
});
$('relayout').addEventListener('click', () => graph.layout()); // saved when it ends (laidOut)
$('run-tests').addEventListener('click', () => {
  if (!state.lab) return;
  showTab('tests');
  api('POST', `/api/labs/${encodeURIComponent(state.lab)}/tests`).catch((err: Error) => banner(err.message));
});
for (const b of document.querySelectorAll<HTMLButtonElement>('#dock-tabs button')) b.addEventListener('click', () => showTab(b.dataset.tab as Tab));

// The dock's height follows its handle.
$('dock-handle').addEventListener('pointerdown', (down) => {
  const handle = down.target as HTMLElement;
  handle.setPointerCapture(down.pointerId);
  const move = (e: PointerEvent): void => {
    const h = Math.min(window.innerHeight - 140, Math.max(60, window.innerHeight - e.clientY));
    document.documentElement.style.setProperty('--dock-h', `${h}px`);
  };
  const up = (): void => { handle.removeEventListener('pointermove', move); handle.removeEventListener('pointerup', up); graph.cy.resize(); };
  handle.addEventListener('pointermove', move);
  handle.addEventListener('pointerup', up);
});
new ResizeObserver(() => graph.cy.resize()).observe($('graph'));

connect();
