/**
 * Node terminals in the page: xterm.js over a WebSocket to a pty in the node
 * (lab.terminal on the server: what `netlab shell` does). Several at once,
 * side by side in the dock; each is resizable (drag its right edge; the dock
 * by its top edge) and tells the node its new size. Copy: select text, then
 * Ctrl+Shift+C (or the "copy" button); paste: Ctrl+Shift+V (or "paste").
 */
import type { Terminal } from '@xterm/xterm';
import type { TerminalEvent } from '../protocol.js';
import type { XtermModule } from './xterm.js';

/** One open terminal. */
export interface OpenTerminal {
  lab: string;
  node: string;
  term: Terminal;
  ws: WebSocket;
  el: HTMLElement;
  /** Keystroke (xterm onData) to its echo parsed into the screen, ms, latest last (at most 1,000). */
  echoMs: number[];
  /** Everything the terminal received, as text (for tests; at most 1 MB kept). */
  text(): string;
  close(): void;
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();

let loading: Promise<XtermModule> | undefined;

/**
 * xterm.js (assets/xterm.js, src/ui/web/xterm.ts): loaded by the first
 * terminal, not with the page: a third of the page's script is not compiled
 * before the lab is drawn.
 * @throws (rejects) Error when the script cannot be loaded (the server stopped).
 */
export function loadXterm(): Promise<XtermModule> {
  const g = globalThis as unknown as { netlabXterm?: XtermModule };
  if (g.netlabXterm) return Promise.resolve(g.netlabXterm);
  loading ??= new Promise<XtermModule>((resolve, reject) => {
    const s = document.createElement('script');
    s.src = '/assets/xterm.js';
    s.onload = () => { if (g.netlabXterm) resolve(g.netlabXterm); else reject(new Error('/assets/xterm.js did not define the terminal')); };
    s.onerror = () => { loading = undefined; s.remove(); reject(new Error('cannot load /assets/xterm.js: is netlab ui still running?')); };
    document.head.append(s);
  });
  return loading;
}

/** The terminals of the page. */
export class Terminals {
  readonly open: OpenTerminal[] = [];

  constructor(private readonly dock: HTMLElement, private readonly changed: () => void) {}

  /**
   * Opens a terminal on `node` of `lab` (another one if one is open already:
   * each is its own shell). Its tile shows at once; the shell starts once
   * xterm.js is loaded (the first terminal loads it), and the terminal is then
   * in `open`.
   */
  add(lab: string, node: string): void {
    this.dock.querySelector('.empty')?.remove();
    const el = document.createElement('div');
    el.className = 'term';
    el.dataset.node = node;
    el.innerHTML = '<header><span class="t"></span><button type="button" class="copy" title="copy the selection (Ctrl+Shift+C)">copy</button><button type="button" class="paste" title="paste (Ctrl+Shift+V)">paste</button><button type="button" class="close" title="close: hangs up the shell">×</button></header><div class="screen"></div>';
    el.querySelector('.t')!.textContent = `${node} — ${lab}`;
    this.dock.append(el);
    // Closed before xterm.js came: nothing to start.
    el.querySelector('.close')!.addEventListener('click', () => el.remove(), { once: true });
    loadXterm().then((x) => { if (el.isConnected) this.start(x, el, lab, node); }, (err: Error) => {
      el.classList.add('ended');
      el.querySelector('.screen')!.textContent = err.message;
    });
  }

  /** Starts the terminal of tile `el`: xterm.js on it, a WebSocket to a shell in the node. */
  private start({ Terminal, FitAddon }: XtermModule, el: HTMLElement, lab: string, node: string): OpenTerminal {
    const term = new Terminal({ fontSize: 13, fontFamily: 'ui-monospace, "DejaVu Sans Mono", Menlo, monospace', cursorBlink: true, scrollback: 5000, theme: { background: '#11151c' } });
    const fit = new FitAddon();
    term.loadAddon(fit);
    term.open(el.querySelector('.screen') as HTMLElement);
    try { fit.fit(); } catch { /* not laid out yet */ }
    const q = new URLSearchParams({ lab, node, rows: String(term.rows), cols: String(term.cols) });
    const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws/term?${q}`);
    ws.binaryType = 'arraybuffer';
    let received = '';
    let keyAt: number | undefined;
    const t: OpenTerminal = {
      lab, node, term, ws, el, echoMs: [],
      text: () => received,
      close: () => { ws.close(); term.dispose(); el.remove(); const i = this.open.indexOf(t); if (i >= 0) this.open.splice(i, 1); this.changed(); },
    };
    const copy = (): void => { const s = term.getSelection(); if (s) void navigator.clipboard?.writeText(s); };
    const paste = (): void => { void navigator.clipboard?.readText().then((s) => term.paste(s)); };
    term.attachCustomKeyEventHandler((e) => {
      if (e.type !== 'keydown' || !e.ctrlKey || !e.shiftKey) return true;
      if (e.code === 'KeyC') { copy(); return false; }
      if (e.code === 'KeyV') { paste(); return false; }
      return true;
    });
    el.querySelector('.copy')!.addEventListener('click', copy);
    el.querySelector('.paste')!.addEventListener('click', paste);
    el.querySelector('.close')!.addEventListener('click', () => t.close());
    term.onData((d) => {
      if (ws.readyState !== WebSocket.OPEN) return;
      keyAt ??= performance.now();
      ws.send(encoder.encode(d));
    });
    ws.onmessage = (m) => {
      if (typeof m.data === 'string') {
        const ev = JSON.parse(m.data) as TerminalEvent;
        if (ev.type === 'exit') term.write(`\r\n\x1b[2m[the shell ended with code ${ev.code}; close this terminal or open another]\x1b[0m\r\n`);
        if (ev.type === 'error') term.write(`\r\n\x1b[31m${ev.message}\x1b[0m\r\n`);
        el.classList.add('ended');
        return;
      }
      const bytes = new Uint8Array(m.data as ArrayBuffer);
      if (received.length < 1 << 20) received += decoder.decode(bytes, { stream: true });
      const sent = keyAt;
      keyAt = undefined;
      term.write(bytes, () => {
        if (sent !== undefined) { t.echoMs.push(performance.now() - sent); if (t.echoMs.length > 1000) t.echoMs.shift(); }
      });
    };
    ws.onclose = () => { el.classList.add('ended'); };
    // Resizing the tile or the dock resizes the node's terminal.
    let last = `${term.rows}x${term.cols}`;
    new ResizeObserver(() => {
      try { fit.fit(); } catch { return; }
      const now = `${term.rows}x${term.cols}`;
      if (now !== last && ws.readyState === WebSocket.OPEN) { last = now; ws.send(JSON.stringify({ type: 'resize', rows: term.rows, cols: term.cols })); }
    }).observe(el);
    ws.onopen = () => { ws.send(JSON.stringify({ type: 'resize', rows: term.rows, cols: term.cols })); };
    term.focus();
    this.open.push(t);
    this.changed();
    return t;
  }
}
