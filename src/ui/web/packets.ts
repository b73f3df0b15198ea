/**
 * The packet list of the page: the live captures of the lab (started from a
 * link's card), the newest first in a menu, and the packets of the one shown
 * as rows that arrive while it runs — number, time, interface, source,
 * destination, protocol, length, info. The page keeps at most MAX_ROWS rows
 * per capture (the oldest go); the server says how many packets it counted
 * but did not list (a flood) and how many the kernel dropped.
 */
import type { LiveCaptureInfo, PacketRow } from '../protocol.js';
import { api } from './cards.js';
import { esc } from './format.js';

/** Rows the page keeps per capture. */
const MAX_ROWS = 2000;

interface Shown {
  info: LiveCaptureInfo;
  rows: PacketRow[];
}

function bytes(n: number): string {
  return n < 1024 ? `${n} B` : n < 1 << 20 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / (1 << 20)).toFixed(1)} MiB`;
}

function row(r: PacketRow): string {
  return `<tr data-proto="${esc(r.protocol)}"><td class="num">${r.n}</td><td class="num">${r.t.toFixed(6)}</td><td>${esc(r.endpoint)}</td><td>${esc(r.src)}</td><td>${esc(r.dst)}</td><td class="proto">${esc(r.protocol)}</td><td class="num">${r.length}</td><td class="info">${esc(r.info)}</td></tr>`;
}

/** The packets pane of the dock. */
export class PacketList {
  private readonly captures = new Map<string, Shown>();
  private current: string | undefined;
  private lab: string | undefined;

  constructor(private readonly el: HTMLElement, private readonly changed: () => void) {
    this.render();
  }

  /** Forgets every capture (another lab is shown). */
  reset(lab: string | undefined): void {
    this.lab = lab;
    this.captures.clear();
    this.current = undefined;
    this.render();
  }

  /** The captures known, newest first. */
  list(): LiveCaptureInfo[] {
    return [...this.captures.values()].map((c) => c.info).reverse();
  }

  /** A capture started or its counts changed; a new one is shown. */
  update(info: LiveCaptureInfo): void {
    const known = this.captures.get(info.id);
    if (known) known.info = info;
    else {
      // The server keeps one stopped capture per link: an older one of this link is gone with its file.
      for (const [id, c] of this.captures) if (c.info.edge === info.edge && c.info.state === 'stopped') this.captures.delete(id);
      this.captures.set(info.id, { info, rows: [] });
      this.current = info.id;
      this.render();
      this.changed();
      return;
    }
    if (info.id === this.current) this.renderStatus();
    this.changed();
  }

  /** Rows of capture `id` arrived. */
  add(id: string, rows: PacketRow[]): void {
    const c = this.captures.get(id);
    if (!c) return;
    // A page that reconnects gets the server's ring again: rows it has are skipped.
    const last = c.rows.length ? c.rows[c.rows.length - 1]!.n : 0;
    const fresh = rows.filter((r) => r.n > last);
    if (!fresh.length) return;
    c.rows.push(...fresh);
    const over = c.rows.length - MAX_ROWS;
    if (over > 0) c.rows.splice(0, over);
    if (id !== this.current) return;
    const body = this.el.querySelector<HTMLTableSectionElement>('#packet-rows');
    const scroller = this.el.querySelector<HTMLElement>('.packet-scroll');
    if (!body || !scroller) return;
    const atEnd = scroller.scrollTop + scroller.clientHeight >= scroller.scrollHeight - 20;
    body.insertAdjacentHTML('beforeend', fresh.map(row).join(''));
    while (body.rows.length > MAX_ROWS) body.deleteRow(0);
    if (atEnd) scroller.scrollTop = scroller.scrollHeight;
  }

  private status(c: Shown): string {
    const i = c.info;
    const parts = [`${i.packets} packet${i.packets === 1 ? '' : 's'}`];
    if (i.notShown) parts.push(`${i.notShown} not listed (more than the list takes per second)`);
    if (i.kernelDropped) parts.push(`${i.kernelDropped} dropped by the kernel (the capture fell behind)`);
    parts.push(`file ${bytes(i.fileBytes)}${i.notInFile ? `, ${i.notInFile} packets past its limit not saved` : ''}`);
    return `<span class="state ${i.state === 'running' ? 'running-test' : 'pending'}">${i.state === 'running' ? 'capturing' : 'stopped'}</span>
      <b>${esc(i.endpoints.join(', '))}</b> <span class="muted">(link ${esc(i.edge)}${i.filter ? `, filter ${esc(i.filter)}` : ''})</span>
      <span id="packet-counts">${esc(parts.join(' · '))}</span>${i.error ? ` <span class="msg err">${esc(i.error)}</span>` : ''}`;
  }

  private renderStatus(): void {
    const c = this.current ? this.captures.get(this.current) : undefined;
    const box = this.el.querySelector('#packet-status');
    if (!c || !box) return;
    box.innerHTML = this.status(c);
    const stop = this.el.querySelector<HTMLButtonElement>('#packet-stop');
    if (stop) stop.disabled = c.info.state !== 'running';
  }

  private render(): void {
    const c = this.current ? this.captures.get(this.current) : undefined;
    if (!c || !this.lab) {
      this.el.innerHTML = '<p class="muted empty">No live capture. Pick a link and press “live packet list”.</p>';
      return;
    }
    const lab = this.lab;
    const options = this.list().map((x) => `<option value="${esc(x.id)}"${x.id === c.info.id ? ' selected' : ''}>${esc(x.id)}: ${esc(x.endpoints.join(', '))}</option>`).join('');
    const base = `/api/labs/${encodeURIComponent(lab)}/captures/${encodeURIComponent(c.info.id)}`;
    this.el.innerHTML = `<div class="packet-bar">
        <select id="packet-pick" aria-label="capture">${options}</select>
        <button type="button" id="packet-stop" class="danger" ${c.info.state === 'running' ? '' : 'disabled'}>stop</button>
        <a id="packet-download" href="${esc(base)}/pcapng" download="${esc(`${lab}-${c.info.edge}-live.pcapng`)}">download pcapng</a>
        <span id="packet-status">${this.status(c)}</span>
      </div>
      <div class="packet-scroll"><table class="packets"><thead><tr><th>no.</th><th>time</th><th>interface</th><th>source</th><th>destination</th><th>protocol</th><th>length</th><th>info</th></tr></thead>
      <tbody id="packet-rows">${c.rows.map(row).join('')}</tbody></table></div>`;
    this.el.querySelector('#packet-pick')!.addEventListener('change', (e) => { this.current = (e.target as HTMLSelectElement).value; this.render(); });
    this.el.querySelector('#packet-stop')!.addEventListener('click', () => {
      api('POST', `${base}/stop`).catch((err: Error) => {
        const box = this.el.querySelector('#packet-status');
        if (box) box.insertAdjacentHTML('beforeend', ` <span class="msg err">${esc(err.message)}</span>`);
      });
    });
    const scroller = this.el.querySelector<HTMLElement>('.packet-scroll')!;
    scroller.scrollTop = scroller.scrollHeight;
  }
}
