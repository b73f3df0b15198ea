/**
 * The card beside the drawing: what the selected node or link is, its live
 * state, and what can be done to it (a terminal; cut, restore, shape,
 * capture). Actions call the server's API, which calls the library as
 * `netlab link` does.
 */
import type { ApiError, Capabilities, LabView, LinkAction, LiveState, RouterNeighbors, ViewEdge, ViewNode } from '../protocol.js';
import { esc, formatBps } from './format.js';

/** What a card needs of the page. */
export interface CardContext {
  lab: string;
  view: LabView;
  live: LiveState | undefined;
  caps: Capabilities;
  /** False while the lab is down or read-only: actions are disabled. */
  canAct: boolean;
  /** Another user's lab (the teacher's view): no terminal, no capture, even when root acts. */
  others?: boolean;
  openTerminal(node: string): void;
  /** Shows the packet list (a live capture started). */
  showPackets(): void;
}

/** The user on whose lab root acts (the teacher's view, "act on …'s lab" ticked); sent with every request. */
let actAs: string | undefined;

/** Sets (or clears) the user on whose lab the page acts as root (src/ui/server.ts ACT_HEADER). */
export function setActAs(owner: string | undefined): void {
  actAs = owner;
}

/** Calls the server's API; resolves with its JSON, or rejects with "error\nhint". */
export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = body === undefined ? {} : { 'content-type': 'application/json' };
  if (actAs) headers['x-netlab-act-as-root'] = actAs;
  const r = await fetch(path, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const data = (await r.json().catch(() => ({ error: `${r.status} ${r.statusText}` }))) as T & ApiError;
  if (!r.ok) throw new Error(`${data.error}${data.hint ? `\nhint: ${data.hint}` : ''}`);
  return data;
}

const labPath = (lab: string): string => `/api/labs/${encodeURIComponent(lab)}`;

function stateBadge(state: string): string {
  return `<span class="state ${esc(state)}">${esc(state)}</span>`;
}

/** The card of a lab node. */
export function nodeCard(el: HTMLElement, n: ViewNode, ctx: CardContext): () => void {
  const live = ctx.live?.nodes[n.id];
  const state = live?.state ?? 'running';
  const rows = (n.interfaces ?? []).map((i) => {
    const edge = ctx.view.edges.find((e) => e.a.endpoint === i.endpoint || e.b?.endpoint === i.endpoint);
    const peer = edge ? (edge.a.endpoint === i.endpoint ? (edge.b?.endpoint ?? edge.target.replace(/^lan:/, 'LAN ')) : edge.a.endpoint) : '';
    return `<tr><td class="k">${esc(i.iface)}</td><td>${esc([i.ipv4, i.ipv6].filter(Boolean).join(' '))}</td><td class="muted">${peer ? `→ ${esc(peer)}` : ''}</td></tr>`;
  }).join('');
  const daemons = live?.daemons?.length
    ? live.daemons.map((d) => `<tr><td class="k">${esc(d.daemon)}</td><td>${stateBadge(d.running ? 'running' : 'dead')}</td><td class="muted">${esc(d.detail ?? '')}</td></tr>`).join('')
    : `<tr><td class="muted" colspan="3">${n.neighbors ? 'reading…' : 'none'}</td></tr>`;
  const lo = [n.loopback?.ipv4, n.loopback?.ipv6].filter(Boolean).join(' ');
  el.innerHTML = `<h2>${esc(n.label)} ${stateBadge(state)}</h2>
    <div class="muted">kind ${esc(n.kind)}${lo ? ` · loopback ${esc(lo)}` : ''}</div>
    <div class="actions"><button type="button" class="primary" id="open-term" ${state === 'running' && ctx.canAct && !ctx.others ? '' : 'disabled'}>terminal</button></div>
    <h3>interfaces</h3><table>${rows || '<tr><td class="muted">none</td></tr>'}</table>
    <h3>daemons</h3><table>${daemons}</table>
    ${n.neighbors ? '<h3>routing neighbours</h3><div id="neighbors" class="muted">asking the router…</div>' : ''}`;
  el.querySelector('#open-term')!.addEventListener('click', () => ctx.openTerminal(n.id));
  if (!n.neighbors) return () => { /* no routing daemon: nothing polls */ };
  // Neighbours cost a vtysh/birdc call: asked while the card is open, every 5 s.
  let stopped = false;
  const ask = async (): Promise<void> => {
    const box = el.querySelector('#neighbors');
    if (!box || stopped || state !== 'running') return;
    try {
      const r = await api<RouterNeighbors>('GET', `${labPath(ctx.lab)}/nodes/${encodeURIComponent(n.id)}/neighbors`);
      if (stopped) return;
      const parts: string[] = [];
      if (r.ospf) {
        parts.push(`<table><tr><td class="k">OSPF</td><td colspan="2">${r.ospf.length} neighbour${r.ospf.length === 1 ? '' : 's'}</td></tr>${r.ospf.map((x) => `<tr><td class="k">${esc(x.routerId)}</td><td>${stateBadge(/^full/i.test(x.state) ? 'up' : 'pending')} ${esc(x.state)}</td><td class="muted">${esc(x.iface)} ${esc(x.address)}</td></tr>`).join('')}</table>`);
      }
      if (r.bgp) {
        parts.push(`<table><tr><td class="k">BGP</td><td colspan="2">${r.bgp.length} session${r.bgp.length === 1 ? '' : 's'}</td></tr>${r.bgp.map((x) => `<tr><td class="k">${esc(x.peer)}</td><td>${stateBadge(/^established/i.test(x.state) ? 'up' : 'pending')} ${esc(x.state)}</td><td class="muted">${x.remoteAs !== undefined ? `AS ${esc(x.remoteAs)}` : ''}</td></tr>`).join('')}</table>`);
      }
      for (const p of r.problems) parts.push(`<div class="msg err">${esc(p)}</div>`);
      box.className = '';
      box.innerHTML = parts.join('') || '<span class="muted">no OSPF or BGP configured</span>';
    } catch (err) {
      box.innerHTML = `<div class="msg err">${esc((err as Error).message)}</div>`;
    }
  };
  void ask();
  const timer = setInterval(() => { void ask(); }, 5000);
  return () => { stopped = true; clearInterval(timer); };
}

/** The card of a LAN segment or the host. */
export function otherCard(el: HTMLElement, n: ViewNode, ctx: CardContext): void {
  const members = ctx.view.edges.filter((e) => e.target === n.id);
  el.innerHTML = `<h2>${esc(n.label)}</h2><div class="muted">${n.type === 'segment' ? 'LAN segment: a bridge netlab made in the lab\'s hidden namespace' : 'the host: the machine netlab runs on'}</div>
    <h3>${n.type === 'segment' ? 'members' : 'host links'}</h3>
    <table>${members.map((e) => `<tr><td class="k">${esc(e.a.endpoint)}</td><td>${esc([e.a.ipv4, e.a.ipv6].filter(Boolean).join(' '))}</td></tr>`).join('')}</table>`;
}

/** The card of a link: state, rates, shaping, and the actions on it. */
export function edgeCard(el: HTMLElement, e: ViewEdge, ctx: CardContext, onDone: () => void): void {
  const live = ctx.live?.edges[e.id];
  const b = e.b && e.b.node !== 'host' ? e.b : undefined;
  const other = e.b ? e.b.endpoint : `LAN ${e.name ?? e.target.replace(/^lan:/, '')}`;
  const end = (x: ViewEdge['a'] | undefined): string => (x ? `<tr><td class="k">${esc(x.endpoint)}</td><td>${esc([x.ipv4, x.ipv6].filter(Boolean).join(' '))}</td></tr>` : '');
  const can = ctx.canAct ? '' : 'disabled';
  const canShape = ctx.canAct && !ctx.others ? '' : 'disabled'; // from the teacher's view: cut and restore only
  el.innerHTML = `<h2>${esc(e.a.endpoint)} — ${esc(other)} ${stateBadge(live?.state ?? 'up')}</h2>
    <div class="muted">${e.type === 'p2p' ? 'point-to-point link' : e.type === 'lan' ? 'LAN port' : 'host link'} ${esc(e.id)}${e.prefix4 ? ` · ${esc(e.prefix4)}` : ''}${live?.reason ? ` · ${esc(live.reason)}` : ''}</div>
    <table>${end(e.a)}${end(e.b)}</table>
    <h3>traffic</h3>
    <table>
      <tr><td class="k">${esc(e.a.node)} → ${esc(b?.node ?? other)}</td><td class="rate" id="rate-ab">${formatBps(live?.abBps)}</td></tr>
      <tr><td class="k">${esc(b?.node ?? other)} → ${esc(e.a.node)}</td><td class="rate" id="rate-ba">${formatBps(live?.baBps)}</td></tr>
      <tr><td class="k">drops</td><td class="rate" id="drops">${live?.dropsPerS === undefined ? '–' : `${live.dropsPerS.toFixed(live.dropsPerS < 10 ? 1 : 0)} /s`}</td></tr>
      <tr><td class="k">shaping</td><td id="shaping">${esc([live?.shapingA ? `${e.a.endpoint}: ${live.shapingA}` : '', live?.shapingB && b ? `${b.endpoint}: ${live.shapingB}` : ''].filter(Boolean).join('\n') || 'none')}</td></tr>
    </table>
    <div class="actions">
      <button type="button" class="danger" id="cut" ${can}>cut</button>
      <button type="button" id="restore" ${can}>restore</button>
    </div>
    <h3>shaping</h3>
    <form class="shape" id="shape">
      <label for="s-ends">direction</label>
      <select id="s-ends"><option value="both">both ways</option><option value="a">${esc(e.a.node)} → ${esc(b?.node ?? other)}</option>${b ? `<option value="b">${esc(b.node)} → ${esc(e.a.node)}</option>` : ''}</select>
      <label for="s-rate">rate</label><input id="s-rate" name="rate" placeholder="e.g. 10mbit" autocomplete="off">
      <label for="s-delay">delay</label><input id="s-delay" name="delay" placeholder="e.g. 20ms" autocomplete="off">
      <label for="s-jitter">jitter</label><input id="s-jitter" name="jitter" placeholder="e.g. 5ms" autocomplete="off">
      <label for="s-loss">loss</label><input id="s-loss" name="loss" placeholder="e.g. 1%" autocomplete="off">
      <span></span><span class="actions"><button type="submit" id="apply" ${canShape}>apply</button><button type="button" id="clear" ${canShape} title="remove all shaping">clear</button></span>
    </form>
    <div class="muted" style="font-size:12px">0 removes a value; what is not typed stays as it is.</div>
    <h3>capture</h3>
    <div class="actions"><label>filter <input id="cap-filter" placeholder="e.g. icmp, not arp" autocomplete="off" style="width:11em"></label>
      <button type="button" id="live-capture" class="primary" ${ctx.caps.capture && ctx.canAct && !ctx.others ? '' : 'disabled'} title="list the packets as they pass, at ${esc(e.a.endpoint)}">live packet list</button></div>
    <div class="actions"><label>for <input id="cap-s" type="number" min="1" max="3600" value="10" style="width:5em"> s</label>
      <button type="button" id="capture" ${ctx.caps.capture && ctx.canAct && !ctx.others ? '' : 'disabled'}>download pcapng</button></div>
    ${ctx.caps.capture ? '' : `<div class="muted" style="font-size:12px">${esc(ctx.caps.captureWhy ?? 'capture is not available')}</div>`}
    <div class="msg" id="msg" role="status"></div>`;
  const msg = el.querySelector('#msg') as HTMLElement;
  const act = async (action: LinkAction, what: string): Promise<void> => {
    msg.className = 'msg';
    msg.textContent = `${what}…`;
    try {
      await api('POST', `${labPath(ctx.lab)}/links/${encodeURIComponent(e.id)}`, action);
      msg.className = 'msg ok';
      msg.textContent = `${what}: done`;
      onDone();
    } catch (err) {
      msg.className = 'msg err';
      msg.textContent = (err as Error).message;
    }
  };
  const ends = (): LinkAction['ends'] => (el.querySelector('#s-ends') as HTMLSelectElement).value as LinkAction['ends'];
  el.querySelector('#cut')!.addEventListener('click', () => { void act({ action: 'cut' }, 'cutting'); });
  el.querySelector('#restore')!.addEventListener('click', () => { void act({ action: 'restore' }, 'restoring'); });
  el.querySelector('#shape')!.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const change: Record<string, string> = {};
    for (const k of ['rate', 'delay', 'jitter', 'loss']) {
      const v = (el.querySelector(`#s-${k}`) as HTMLInputElement).value.trim();
      if (v) change[k] = v;
    }
    void act({ action: 'shape', ends: ends(), change }, 'shaping');
  });
  el.querySelector('#clear')!.addEventListener('click', () => { void act({ action: 'shape', ends: ends(), change: {}, reset: true }, 'clearing'); });
  el.querySelector('#live-capture')!.addEventListener('click', () => {
    const filter = (el.querySelector('#cap-filter') as HTMLInputElement).value.trim();
    msg.className = 'msg';
    msg.textContent = 'starting the capture…';
    api('POST', `${labPath(ctx.lab)}/links/${encodeURIComponent(e.id)}/live-capture`, filter ? { filter } : {}).then(() => {
      msg.className = 'msg ok';
      msg.textContent = `capturing at ${e.a.endpoint}: the packets tab lists the packets`;
      ctx.showPackets();
    }, (err: Error) => {
      msg.className = 'msg err';
      msg.textContent = err.message;
    });
  });
  el.querySelector('#capture')!.addEventListener('click', () => {
    const s = Number((el.querySelector('#cap-s') as HTMLInputElement).value) || 10;
    const a = document.createElement('a');
    a.href = `${labPath(ctx.lab)}/links/${encodeURIComponent(e.id)}/capture?seconds=${s}`;
    a.download = `${ctx.lab}-${e.id}.pcapng`;
    a.click();
    msg.className = 'msg';
    msg.textContent = `capturing for ${s} s; the file downloads when it ends`;
  });
}

/** Updates the live numbers of an open link card without redrawing its form. */
export function refreshEdgeCard(el: HTMLElement, e: ViewEdge, live: LiveState): void {
  const l = live.edges[e.id];
  if (!l) return;
  const set = (id: string, text: string): void => { const x = el.querySelector(`#${id}`); if (x) x.textContent = text; };
  set('rate-ab', formatBps(l.abBps));
  set('rate-ba', formatBps(l.baBps));
  set('drops', l.dropsPerS === undefined ? '–' : `${l.dropsPerS.toFixed(l.dropsPerS < 10 ? 1 : 0)} /s`);
  const b = e.b && e.b.node !== 'host' ? e.b : undefined;
  set('shaping', [l.shapingA ? `${e.a.endpoint}: ${l.shapingA}` : '', l.shapingB && b ? `${b.endpoint}: ${l.shapingB}` : ''].filter(Boolean).join('\n') || 'none');
  const badge = el.querySelector('h2 .state');
  if (badge) { badge.className = `state ${l.state}`; badge.textContent = l.state; }
}
